"""The data-quality summary, drawn from the processing stages' stats."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

_COUNTS = ("input_count", "output_count", "reject_count", "clean_count")


def _int(value: object) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def data_quality(stats: Mapping[str, Mapping[str, Any]]) -> dict[str, Any] | None:
    """Counts, rejects by rule and warnings of every processing stage, added up.

    Args:
        stats: the ``stats`` of each dependency that has them (the processor's shape:
            ``quality``, ``rejected``, ``warnings``, ``processing_month``).

    Returns:
        None when no dependency reported processing stats.
    """
    usable = {name: s for name, s in stats.items() if isinstance(s.get("quality"), Mapping)}
    if not usable:
        return None
    counts = dict.fromkeys(_COUNTS, 0)
    rejected: dict[str, int] = {}
    warnings: dict[str, int] = {}
    operations: list[str] = []
    months: list[str] = []
    for s in usable.values():
        quality = s["quality"]
        for key in _COUNTS:
            counts[key] += _int(quality.get(key))
        for rule, n in (s.get("rejected") or {}).items():
            rejected[str(rule)] = rejected.get(str(rule), 0) + _int(n)
        for entry in s.get("warnings") or ():
            if isinstance(entry, Mapping) and _int(entry.get("count")):
                kind = str(entry.get("kind", "warning"))
                warnings[kind] = warnings.get(kind, 0) + _int(entry.get("count"))
        operations += [str(op) for op in s.get("operations") or () if op not in operations]
        month = s.get("processing_month")
        if isinstance(month, str) and month not in months:
            months.append(month)
    return {
        "stages": list(usable),
        **counts,
        "rejected": rejected,
        "warnings": warnings,
        "operations": operations,
        "processing_month": months[0] if len(months) == 1 else None,
    }
