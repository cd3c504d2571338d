"""How much of a value an error message quotes: enough to recognise it, never all of it.

Error messages quote what they were given (a stage name, an encoding, the columns a
source lacks), and what they were given can be huge: a 100,000-character stage name, a
cycle through 10,000 stages, a CSV file with 100,000 columns. Every message builder
quotes through these, so an error stays a line a person can read, and says how much it
left out.
"""

from __future__ import annotations

from collections.abc import Iterable

__all__ = ["MAX_ITEMS", "MAX_QUOTED", "listing", "quote", "shorten"]

#: Characters of one value an error message shows.
MAX_QUOTED = 80
#: Items of a list an error message shows.
MAX_ITEMS = 10


def shorten(text: str, limit: int = MAX_QUOTED) -> str:
    """``text``, cut after ``limit`` characters with a note of how many were left out."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}… ({len(text) - limit:,} more characters)"


def quote(text: str, limit: int = MAX_QUOTED) -> str:
    """``repr(text)``, of at most ``limit`` characters of it (``'abc…' (5 more characters)``)."""
    if len(text) <= limit:
        return repr(text)
    return f"{text[:limit]!r}… ({len(text) - limit:,} more characters)"


def listing(
    items: Iterable[str], limit: int = MAX_ITEMS, *, sep: str = ", ", each: int = MAX_QUOTED
) -> str:
    """The first ``limit`` items joined by ``sep`` (each shortened to ``each``
    characters), then ``and N more``. Items past the limit are counted, not kept."""
    shown: list[str] = []
    more = 0
    for item in items:
        if len(shown) < limit:
            shown.append(shorten(item, each))
        else:
            more += 1
    text = sep.join(shown)
    return f"{text}{sep}and {more:,} more" if more else text
