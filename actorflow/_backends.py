"""Where agents run: the agent backends a runtime can place them on.

``pykka`` (the default) hosts an agent's pool as threads of this process; ``ray`` hosts it
as Ray actors, in other processes or on other machines. Ray is optional: it is imported
only when an agent is placed on it, and a missing install is reported before any run.
"""

from __future__ import annotations

import importlib.util
from typing import TYPE_CHECKING, Literal

from actorflow.contracts import BackendUnavailableError

if TYPE_CHECKING:
    from actorflow.backends.ray import RayBackend

Backend = Literal["pykka", "ray"]
BACKENDS: tuple[Backend, ...] = ("pykka", "ray")


def check_backend(value: object, *, where: str) -> Backend:
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


def connect_ray(
    address: str | None, *, connect_timeout_s: float, init_options: dict[str, object]
) -> RayBackend:
    """Import the Ray backend (and so Ray) and connect it.

    Raises:
        BackendUnavailableError: Ray is missing, or cannot be reached or started.
    """
    require_ray(where="the Ray backend")
    from actorflow.backends.ray import RayBackend  # noqa: PLC0415  # Ray is optional

    return RayBackend.connect(
        address, connect_timeout_s=connect_timeout_s, init_options=init_options
    )
