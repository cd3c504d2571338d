"""The Ray agent backend: agent pools whose members are Ray actors.

Importing this package needs Ray (``pip install 'actorflow[ray]'``); the runtime imports
it only when an agent is placed on Ray. The coordinator, the signals and the run store
stay in the user's process; only agents move.
"""

from ._backend import RayBackend
from ._host import AgentHost, HostReply
from ._members import RayMember, RayMembers
from ._session import RaySession
from ._wire import records_from_wire, records_to_wire, register_wire_types

__all__ = [
    "AgentHost",
    "HostReply",
    "RayBackend",
    "RayMember",
    "RayMembers",
    "RaySession",
    "records_from_wire",
    "records_to_wire",
    "register_wire_types",
]
