"""The generic report's data quality: what the contract-driven processing said.

Read from each processing output's ``quality_metrics`` (the seed's meanings, plus
``records_in``/``records_out``/``rejected``), ``field_quality`` (per field: missing,
unparsed, and what was done with them) and ``findings`` (inference and processing
notes, e.g. ambiguous dates or divisions by zero).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def _int(value: object) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def table_quality(processing: Mapping[str, Mapping[str, Any]]) -> dict[str, Any] | None:
    """Counts, metrics, per-field gaps and findings of the processing stages, together.

    Returns:
        ``{"stages", "records_in", "records_out", "rejected", "quality_score",
        "data_retention_rate", "processing_efficiency", "metrics", "field_quality",
        "findings"}``; the three seed metrics are those of the only stage (None with
        several: see ``metrics``, by stage). None when no stage reported any of them.
    """
    reporting = {
        name: p
        for name, p in processing.items()
        if any(
            isinstance(p.get(k), Mapping | list)
            for k in ("quality_metrics", "field_quality", "findings")
        )
    }
    if not reporting:
        return None
    metrics: dict[str, dict[str, Any]] = {}
    fields: dict[str, dict[str, Any]] = {}
    findings: list[dict[str, Any]] = []
    for name, p in reporting.items():
        m = p.get("quality_metrics")
        metrics[name] = dict(m) if isinstance(m, Mapping) else {}
        for field, q in (p.get("field_quality") or {}).items():
            if not isinstance(q, Mapping):
                continue
            merged = fields.setdefault(
                str(field), {"missing": 0, "unparsed": 0, "action": q.get("action")}
            )
            merged["missing"] += _int(q.get("missing"))
            merged["unparsed"] += _int(q.get("unparsed"))
        findings += [
            {**f, "stage": name} for f in p.get("findings") or () if isinstance(f, Mapping)
        ]
    only = next(iter(metrics.values())) if len(metrics) == 1 else {}
    return {
        "stages": list(reporting),
        "records_in": sum(_int(m.get("records_in")) for m in metrics.values()),
        "records_out": sum(_int(m.get("records_out")) for m in metrics.values()),
        "rejected": sum(_int(m.get("rejected")) for m in metrics.values()),
        **{
            k: only.get(k)
            for k in ("quality_score", "data_retention_rate", "processing_efficiency")
        },
        "metrics": metrics,
        "field_quality": fields,
        "findings": findings,
    }
