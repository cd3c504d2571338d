"""The shape of the pipeline's output, shared by the scalar and the vectorized pipeline."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from ._config import FieldRoles
from ._registry import Rule


def spec_columns(roles: FieldRoles) -> tuple[str, ...]:
    """The spec's record columns, in order, with the key fields named by ``roles``."""
    names = (
        roles.id,
        "podcast_name",
        roles.revenue,
        roles.impressions,
        "rpm",
        roles.date,
        "month_year",
        "currency",
        "source",
    )
    return tuple(dict.fromkeys(names))


def input_defaults(roles: FieldRoles) -> tuple[str, ...]:
    """Input columns every record has, null when the input lacks them."""
    computed = {"rpm", "month_year"}
    named = [c for c in spec_columns(roles) if c not in computed]
    return tuple(dict.fromkeys([*named, *roles.money]))


def output_columns(
    input_columns: Sequence[str], roles: FieldRoles, rules: Iterable[Rule]
) -> tuple[str, ...]:
    """Record columns: the spec's, then other input columns, then calculated rules."""
    columns = dict.fromkeys(spec_columns(roles))
    columns.update(dict.fromkeys(input_columns))
    columns.update(dict.fromkeys(r.name for r in rules if r.kind == "calculated"))
    return tuple(columns)
