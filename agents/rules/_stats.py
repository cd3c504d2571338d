"""Per-operation counts and quality metrics of one pipeline run."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from actorflow.contracts import FrozenMap

#: The built-in reject rules, in the order they are checked.
BUILTIN_REJECT_RULES = ("money", "duplicate", "required", "range")


def unparseable_date_warning(field: str) -> str:
    """The warning key for a date no format parses."""
    return f"{field}: unparseable"


def not_an_integer_warning(field: str) -> str:
    """The warning key for an impressions value that is not an integer."""
    return f"{field}: not an integer"


@dataclass(frozen=True, slots=True, kw_only=True)
class PipelineStats:
    """What a run did: counts per operation, and how much of the input survived.

    Warnings are counted on the records that reached the date step (passed money cleaning
    and were not duplicates), whether or not filtering later rejects them.

    Attributes:
        input_count: records in.
        output_count: records out.
        rejected: rejections per rule, in check order (built-ins, then user filters),
            zeros included.
        warnings: warnings per kind (``<date field>: unparseable``,
            ``<impressions field>: not an integer``), zeros included.
        clean_count: output records without any warning.
    """

    input_count: int
    output_count: int
    rejected: Mapping[str, int]
    warnings: Mapping[str, int]
    clean_count: int

    def __post_init__(self) -> None:
        object.__setattr__(self, "rejected", FrozenMap(self.rejected))
        object.__setattr__(self, "warnings", FrozenMap(self.warnings))
        if self.input_count != self.output_count + self.reject_count:
            raise ValueError(
                f"count conservation broken: {self.input_count} in, {self.output_count} out, "
                f"{self.reject_count} rejected"
            )

    @classmethod
    def combine(cls, parts: Sequence[PipelineStats]) -> PipelineStats:
        """The stats of a table processed in slices: every count summed.

        Raises:
            ValueError: no parts.
        """
        if not parts:
            raise ValueError("no stats to combine")
        return cls(
            input_count=sum(p.input_count for p in parts),
            output_count=sum(p.output_count for p in parts),
            rejected={k: sum(p.rejected[k] for p in parts) for k in parts[0].rejected},
            warnings={k: sum(p.warnings[k] for p in parts) for k in parts[0].warnings},
            clean_count=sum(p.clean_count for p in parts),
        )

    @property
    def reject_count(self) -> int:
        """Records rejected, all rules together."""
        return sum(self.rejected.values())

    @property
    def retention_rate(self) -> float:
        """Share of the input that was kept (1.0 for an empty input)."""
        return self.output_count / self.input_count if self.input_count else 1.0

    @property
    def quality_score(self) -> float:
        """Share of the input kept without any warning (1.0 for an empty input)."""
        return self.clean_count / self.input_count if self.input_count else 1.0

    def as_dict(self) -> dict[str, Any]:
        """Plain data, for logs, events and JSON."""
        return {
            "input_count": self.input_count,
            "output_count": self.output_count,
            "reject_count": self.reject_count,
            "rejected": dict(self.rejected),
            "warnings": dict(self.warnings),
            "clean_count": self.clean_count,
            "retention_rate": self.retention_rate,
            "quality_score": self.quality_score,
        }
