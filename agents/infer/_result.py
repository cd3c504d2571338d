"""What inference found: the contract, a report per field, and findings to look at."""

from __future__ import annotations

from typing import Literal

import msgspec

from actorflow.contracts import DateOrder, FieldType, TableContract

__all__ = ["FieldReport", "Finding", "FindingKind", "Inference", "Severity"]

FindingKind = Literal[
    "ambiguous_date_order",
    "mixed_date_order",
    "unparsed_values",
    "empty_column",
    "nested_column",
    "renamed_column",
    "mixed_currencies",
    "empty_table",
]
Severity = Literal["info", "warning", "error"]


class Finding(msgspec.Struct, frozen=True, kw_only=True):
    """One thing about a column a person should look at.

    Kinds: ``ambiguous_date_order`` (every day-month date fits both orders: read in
    ``date_order``), ``mixed_date_order`` (an error: some dates need day-month order,
    others month-day), ``unparsed_values`` (values that are not of the inferred type),
    ``empty_column`` (no values: typed string), ``nested_column`` (lists or objects:
    typed string), ``renamed_column`` (a column name that
    cannot be a field name), ``mixed_currencies`` (money marked with several currencies
    and no currency field), ``empty_table`` (no columns or no rows).

    Attributes:
        field: the field (the column's name, as in the contract); ``""`` for the table.
        kind: what was found.
        severity: ``error`` means the field could not be typed as its values suggest.
        message: what was found and what to do, in a sentence.
        count: the rows concerned.
        examples: a few of the values concerned.
        date_order: for date findings, the order the values were read in.
    """

    field: str
    kind: FindingKind
    severity: Severity
    message: str
    count: int = 0
    examples: tuple[str, ...] = ()
    date_order: DateOrder | None = None


class FieldReport(msgspec.Struct, frozen=True, kw_only=True):
    """The facts behind one field's inferred type.

    Attributes:
        name: the field.
        column: the source column it was inferred from (differs when renamed).
        type: the inferred type.
        present: rows with a value.
        missing: rows without one (null or empty text).
        distinct: distinct present values (0 for lists and objects: not counted).
        unparsed: present values that are not of ``type`` (below the threshold).
        unparsed_examples: a few of them.
        currencies: money only: the currency marks seen (``$``, ``EUR``), upper-cased.
    """

    name: str
    column: str
    type: FieldType
    present: int
    missing: int
    distinct: int
    unparsed: int = 0
    unparsed_examples: tuple[str, ...] = ()
    currencies: tuple[str, ...] = ()


class Inference(msgspec.Struct, frozen=True, kw_only=True):
    """The result of ``infer_contract``.

    Attributes:
        contract: the inferred contract (nothing required; see ``infer_contract``).
        fields: one report per field, in column order.
        findings: what a person should look at, errors first.
        rows: the table's rows.
    """

    contract: TableContract
    fields: tuple[FieldReport, ...]
    findings: tuple[Finding, ...]
    rows: int

    @property
    def errors(self) -> tuple[Finding, ...]:
        """The findings of severity ``error``."""
        return tuple(f for f in self.findings if f.severity == "error")

    def report(self, name: str) -> FieldReport:
        """The report of field ``name``.

        Raises:
            KeyError: no such field.
        """
        for item in self.fields:
            if item.name == name:
                return item
        raise KeyError(f"no field {name!r} was inferred")

    def findings_of(self, name: str) -> tuple[Finding, ...]:
        """The findings about field ``name``."""
        return tuple(f for f in self.findings if f.field == name)
