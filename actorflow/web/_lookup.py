"""Finding a run by its id or a unique prefix of it, in memory and in the run store.

Every route with a ``{workflow_id}`` goes through :func:`resolve`: ``wf_1a2b3c4d`` finds
the one run whose id starts with it, a prefix that starts several ids is a 400 listing
them, one that starts none a 404.
"""

from __future__ import annotations

import asyncio

from actorflow._ids import SHOWN_CANDIDATES, candidates_text

from ._errors import ApiError, not_found
from ._service import WebService


async def resolve(service: WebService, given: str) -> str:
    """The id of the one run ``given`` names (its id, or a prefix of only its id).

    Raises:
        ApiError: 404 when no run's id starts with ``given``, 400 (``ambiguous_id``,
            listing some of them) when several do.
    """
    if service.tracker.get(given) is not None:
        return given  # a whole id of a run in memory: the common case, no store read
    found = {tracked.run_id for tracked in service.tracker if tracked.run_id.startswith(given)}
    if service.store is not None:
        # One more than shown: enough to know that more exist.
        stored = await asyncio.to_thread(service.store.run_ids, given, limit=SHOWN_CANDIDATES + 1)
        if given in stored:
            return given
        found.update(stored)
    if given in found:
        return given
    if not found:
        raise not_found(f"no workflow run {given!r}", "workflow_id")
    if len(found) > 1:
        raise ApiError(400, "ambiguous_id", candidates_text(given, found), field="workflow_id")
    (run_id,) = found
    return run_id
