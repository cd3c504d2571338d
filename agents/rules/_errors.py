"""The one error a rule raises when a record breaks it."""

from __future__ import annotations

from actorflow.contracts import DataValidationError


# A violation is how a record is normally rejected, not a failure: no Error suffix.
class RuleViolation(DataValidationError):  # noqa: N818
    """A record broke a rule and is rejected.

    ``str(error)`` is the reason text of the spec (``docs/revenue-pipeline.md``), which is
    also what the reject record carries, so a scalar rejection and a vectorized one read
    the same.

    Attributes:
        rule: the rule family that rejected the record: ``money``, ``duplicate``,
            ``required``, ``range``, or the name of a user filter rule.
        reason: the spec's reason text, e.g. ``revenue: cannot parse 'N/A'``.
        field: the field at fault, when there is one.
    """

    def __init__(self, rule: str, reason: str, *, field: str | None = None) -> None:
        super().__init__(reason)
        self.rule = rule
        self.reason = reason
        self.field = field

    def __reduce__(self) -> tuple[type[RuleViolation], tuple[str, str], dict[str, object]]:
        # Exceptions pickle through ``args``; the keyword-only field would be lost.
        return (RuleViolation, (self.rule, self.reason), {"field": self.field})

    def __repr__(self) -> str:
        return f"RuleViolation(rule={self.rule!r}, reason={self.reason!r}, field={self.field!r})"
