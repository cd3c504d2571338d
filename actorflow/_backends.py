"""Backends by name: the string shorthands ``"pykka"`` and ``"ray"`` a runtime accepts.

``Runtime(backend="ray")`` is ``Runtime(backend=RayBackend())``: a local Ray. Ray is
optional: it is imported only when an agent is placed on it, and a missing install is
reported before any run.
"""

from __future__ import annotations

import importlib.util
from typing import Literal

from actorflow.actors import Backend, PykkaBackend
from actorflow.contracts import BackendUnavailableError

BackendName = Literal["pykka", "ray"]
BACKENDS: tuple[BackendName, ...] = ("pykka", "ray")


def check_backend(value: object, *, where: str) -> BackendName:
    """``value`` as a backend name.

    Raises:
        ValueError: not one of ``BACKENDS``, naming ``where`` it was given.
    """
    if value == "pykka" or value == "ray":  # noqa: PLR1714  # narrows to the Literal
        return value
    raise ValueError(f"{where}: unknown backend {value!r}; expected one of {', '.join(BACKENDS)}")


def require_ray(*, where: str) -> None:
    """Check that Ray can be imported, without importing it.

    Raises:
        BackendUnavailableError: Ray is not installed, saying how to install it.
    """
    if importlib.util.find_spec("ray") is None:
        raise BackendUnavailableError(
            f"{where} needs Ray, which is not installed: pip install 'actorflow[ray]' "
            "(or pip install 'ray>=2.9')"
        )


def make_backend(
    value: Backend | str,
    *,
    where: str,
    ray_where: str = "Runtime(backend='ray')",
    ray_address: str | None = None,
) -> Backend:
    """The backend ``value`` names (or ``value`` itself).

    Args:
        value: a ``Backend``, or ``"pykka"`` / ``"ray"``.
        where: what was given it, for error messages (``"Runtime(backend=...)"``).
        ray_where: what needs Ray, for the message when it is not installed.
        ray_address: the Ray cluster of a ``"ray"`` made here (``None``: a local Ray).

    Raises:
        ValueError: an unknown name, or ``ray_address`` for a backend not on Ray.
        BackendUnavailableError: ``"ray"`` without Ray installed.
    """
    if isinstance(value, Backend):
        return value
    name = check_backend(value, where=where)
    if name == "pykka":
        if ray_address is not None:
            raise ValueError(f"{where}: a Ray address applies to backend='ray'")
        return PykkaBackend()
    require_ray(where=ray_where)
    from actorflow.backends.ray import RayBackend  # noqa: PLC0415  # Ray is optional

    return RayBackend(ray_address)
