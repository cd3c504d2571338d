"""Run ids: how new ones look, and finding a run by its id or a unique prefix of it.

New ids are ``wf_`` and 32 hex digits (the seed's ``wf_`` prefix, and a whole uuid4 so
that ids never collide). Older runs in a store keep their 32-hex ids; both are found by
any prefix that only one of them starts with, so ``wf_1a2b3c4d`` (the seed's length) is
enough to name a run.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

__all__ = ["RUN_ID_PREFIX", "SHOWN_CANDIDATES", "candidates_text", "new_run_id"]

RUN_ID_PREFIX = "wf_"
#: Ids an ambiguous prefix's error lists.
SHOWN_CANDIDATES = 10


def new_run_id() -> str:
    """A new run id: ``wf_`` and 32 hex digits."""
    return RUN_ID_PREFIX + uuid.uuid4().hex


def candidates_text(given: str, candidates: Iterable[str]) -> str:
    """The sentence an ambiguous prefix gets: which ids it starts, a few of them."""
    found = sorted(set(candidates))
    shown = ", ".join(found[:SHOWN_CANDIDATES])
    more = f" and {len(found) - SHOWN_CANDIDATES} more" if len(found) > SHOWN_CANDIDATES else ""
    return f"{given!r} is the start of several run ids ({shown}{more}); give more of the id"
