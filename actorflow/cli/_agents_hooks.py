"""``--agents module:callable``: users' own agents, registered next to the built-in ones."""

from __future__ import annotations

import contextlib
import importlib
import importlib.util
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

from actorflow._builtin import register_builtin_agents
from actorflow._runtime import Runtime

from ._errors import CliError

__all__ = ["AgentHook", "load_agent_hooks", "runtime_with_agents"]


@dataclass(frozen=True, slots=True)
class AgentHook:
    """A callable that registers agents on a runtime, and the option that named it."""

    spec: str
    register: Callable[[Runtime], object]

    def apply(self, runtime: Runtime) -> None:
        """Call it on ``runtime``.

        Raises:
            CliError: it raised (the error is named, the traceback is not shown).
        """
        try:
            self.register(runtime)
        except Exception as exc:  # any failure of user code is bad input
            raise CliError(f"--agents {self.spec}: {type(exc).__name__}: {exc}") from exc


def load_agent_hooks(specs: Sequence[str]) -> tuple[AgentHook, ...]:
    """Import each ``module:callable`` (or ``path/to/file.py:callable``).

    Modules are looked up on ``sys.path`` with the current folder first, as ``python -m``
    would, so ``--agents myagents:register`` finds ``./myagents.py``.

    Raises:
        CliError: a malformed spec, a missing module or name, or an import that failed.
    """
    return tuple(_load(spec) for spec in specs)


def _load(spec: str) -> AgentHook:
    module_name, sep, attribute = spec.rpartition(":")
    if not sep or not module_name or not attribute:
        raise CliError(f"--agents {spec!r}: expected module:callable, e.g. myagents:register")
    module = _module(spec, module_name)
    target: object = module
    for part in attribute.split("."):
        try:
            target = getattr(target, part)
        except AttributeError:
            raise CliError(
                f"--agents {spec!r}: module {module.__name__!r} has no {attribute!r}"
            ) from None
    if not callable(target):
        raise CliError(
            f"--agents {spec!r}: {attribute!r} is a {type(target).__name__}, not a callable "
            "taking the runtime"
        )
    return AgentHook(spec, target)


def _module(spec: str, name: str) -> ModuleType:
    try:
        if name.endswith(".py") or os.sep in name or "/" in name:
            return _module_from_file(spec, Path(name))
        cwd = os.getcwd()
        if cwd not in sys.path:
            sys.path.insert(0, cwd)
        return importlib.import_module(name)
    except CliError:
        raise
    except ModuleNotFoundError as exc:
        missing = exc.name or name
        raise CliError(
            f"--agents {spec!r}: no module named {missing!r} "
            "(run from its folder, or put it on PYTHONPATH)"
        ) from None
    except Exception as exc:  # noqa: BLE001 - a user module's failure is bad input
        raise CliError(
            f"--agents {spec!r}: importing {name} failed: {type(exc).__name__}: {exc}"
        ) from None


def _module_from_file(spec: str, path: Path) -> ModuleType:
    if not path.is_file():
        raise CliError(f"--agents {spec!r}: no file {path}")
    module_name = f"actorflow_user_agents_{abs(hash(path.resolve()))}"
    loader_spec = importlib.util.spec_from_file_location(module_name, path)
    if loader_spec is None or loader_spec.loader is None:
        raise CliError(f"--agents {spec!r}: cannot load {path} as a Python module")
    module = importlib.util.module_from_spec(loader_spec)
    sys.modules[module_name] = module
    loader_spec.loader.exec_module(module)
    return module


@contextlib.contextmanager
def runtime_with_agents(hooks: Sequence[AgentHook] = ()) -> Iterator[Runtime]:
    """A started runtime with the built-in agents and the users' own; stopped on exit."""
    with Runtime() as runtime:
        register_builtin_agents(runtime)
        for hook in hooks:
            hook.apply(runtime)
        yield runtime
