"""Which pipeline a processing stage runs: the revenue rules, or the table's contract.

The rule (one, checked in this order):

1. A stage that declares ``params.contract`` or ``params.calculations`` runs the
   contract-driven path.
2. Otherwise a stage given revenue configuration runs the revenue pipeline
   (``docs/revenue-pipeline.md``): ``params.roles`` or ``params.rules``, or
   ``validation_rules`` (in the params or the run input) that set ``min_revenue`` or
   ``max_revenue``.
3. Otherwise the records decide: a table with the revenue pipeline's label column (the
   first of its default required fields, ``ValidationRules().required_fields``:
   ``podcast_name``) runs it; any other table runs the contract-driven path with the
   contract inferred from its values.

Rule 3 keeps tables shaped like the revenue example on the rules they were written for
(and their errors: such a table without its money column still fails naming it) until
that example is a configuration of the contract-driven path; it is transitional.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

from actorflow.agents.rules import ValidationRules

__all__ = ["Pipeline", "choose_pipeline"]

Pipeline = Literal["revenue", "contract"]

_REVENUE_PARAMS = ("roles", "rules")
_CONTRACT_PARAMS = ("contract", "calculations")
_REVENUE_LIMITS = ("min_revenue", "max_revenue")
_REVENUE_LABEL = ValidationRules().required_fields[0]


def _sets_limits(rules: object) -> bool:
    return isinstance(rules, Mapping) and any(rules.get(k) is not None for k in _REVENUE_LIMITS)


def choose_pipeline(
    params: Mapping[str, Any], run_input: Mapping[str, Any], columns: Sequence[str]
) -> Pipeline:
    """The pipeline a stage runs (see the module's rule).

    Args:
        params: the stage's params.
        run_input: the run's input.
        columns: the columns of the records the stage received.
    """
    if any(params.get(k) is not None for k in _CONTRACT_PARAMS):
        return "contract"
    if any(params.get(k) is not None for k in _REVENUE_PARAMS):
        return "revenue"
    if _sets_limits(params.get("validation_rules")) or _sets_limits(
        run_input.get("validation_rules")
    ):
        return "revenue"
    return "revenue" if _REVENUE_LABEL in columns else "contract"
