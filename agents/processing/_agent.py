"""``ProcessingAgent``: the ``processor`` agent kind."""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, ClassVar

from actorflow.actors import Agent, StageRequest
from actorflow.agents.expressions import check_calculations
from actorflow.agents.rules import FieldRoles, Rule, RuleSet

from ._generic import field_types, process_generic
from ._inputs import collect_records
from ._operations import plan_operations
from ._params import parse_params
from ._process import process_records, string_fields
from ._report import build_stats, operation_message
from ._switch import choose_pipeline

# Progress shares: reading the dependencies' records is quick, the one fused query is the
# work, and the per-operation reports follow it.
_COLLECTED, _QUERIED, _REPORTED = 0.1, 0.8, 0.95


class ProcessingAgent(Agent):
    """Cleans, normalizes, calculates and filters its dependencies' records.

    The stage's params and output are described in :mod:`actorflow.agents.processing`.
    Register your own rules by handing the agent a :class:`RuleSet`::

        runtime.register_agent("processor", functools.partial(ProcessingAgent, rules=mine))

    Args:
        rules: user rules the stages may apply (all of them unless ``params.rules``
            names some); each runs in its step, after the built-in rules.
        roles: the default field roles (``params.roles`` overrides them per stage).
    """

    role: ClassVar[str] = "processor"
    description: ClassVar[str] = (
        "Cleans money and dates, removes duplicates, normalizes names and currency, "
        "calculates rpm and month_year, filters by validation rules; rejects are kept "
        "with the rule and reason"
    )
    expertise: ClassVar[tuple[str, ...]] = (
        "cleaning",
        "normalization",
        "calculations",
        "filtering",
        "validation",
        "deduplication",
        "exact money",
    )

    def __init__(
        self, *, rules: RuleSet | Iterable[Rule] | None = None, roles: FieldRoles | None = None
    ) -> None:
        self.rules = rules if isinstance(rules, RuleSet) else RuleSet(rules or ())
        self.roles = roles or FieldRoles()

    def check_params(self, params: Mapping[str, Any], *, stage: str) -> None:
        """Operations, roles, rules and limits, checked before the run. What depends on
        the run's input (its ``validation_rules``, ``processing_month``) is checked when
        the stage runs."""
        parsed = parse_params(params, {}, stage=stage, registry=self.rules, roles=self.roles)
        if parsed.contract is not None and parsed.calculations:
            check_calculations(stage, parsed.calculations, field_types(parsed.contract))

    def perform(self, request: StageRequest) -> dict[str, Any]:
        """Process the dependencies' records; see :mod:`actorflow.agents.processing`."""
        started = time.perf_counter()
        stage = request.stage.name
        request.raise_if_cancelled()
        params = parse_params(
            request.params, request.input, stage=stage, registry=self.rules, roles=self.roles
        )
        plan = plan_operations(
            params.operations,
            request.task,
            input_has_validation_rules=params.input_has_validation_rules,
            rule_kinds=[r.kind for r in params.rules] if params.named_rules else (),
        )

        def by_contract(columns: Sequence[str]) -> bool:
            return choose_pipeline(request.params, request.input, columns) == "contract"

        def text_fields(columns: Sequence[str]) -> Sequence[str]:
            return () if by_contract(columns) else string_fields(plan, params.roles, columns)

        def no_floats(columns: Sequence[str]) -> Sequence[str]:
            # The contract-driven path reads every other type as text.
            return columns if by_contract(columns) else ()

        collected = collect_records(
            request.dependencies,
            request.stage.depends_on,
            stage=stage,
            inputs=params.inputs,
            string_fields=text_fields,
            float_fields=no_floats,
        )
        records = collected.records
        total = len(records)
        sources = ", ".join(f"{n} from {name}" for name, n in collected.counts.items())
        request.report_progress(
            _COLLECTED, f"{total} records ({sources}): {', '.join(plan.operations)}"
        )
        request.raise_if_cancelled()
        if choose_pipeline(request.params, request.input, records.columns) == "contract":
            return process_generic(
                records,
                plan,
                contract=params.contract,
                calculations=params.calculations,
                task=request.task,
                stage=stage,
                inputs=collected.counts,
                input_warnings=collected.warnings,
                started=started,
            )

        def slice_done(rows: int) -> None:
            # Only records on disk are processed in steps worth reporting.
            request.report_progress(
                _COLLECTED + (_QUERIED - _COLLECTED) * rows / total,
                f"{rows:,} of {total:,} records processed",
            )
            request.raise_if_cancelled()

        processed = process_records(
            records,
            plan,
            roles=params.roles,
            validation=params.validation,
            rules=params.rules,
            stage=stage,
            slice_rows=params.slice_rows,
            progress=slice_done,
        )
        request.raise_if_cancelled()
        stats = build_stats(
            processed,
            plan,
            roles=params.roles,
            validation=params.validation,
            columns=records.columns,
            inputs=collected.counts,
            input_warnings=collected.warnings,
            processing_month=params.processing_month,
            duration_s=time.perf_counter() - started,
        )
        step = (_REPORTED - _QUERIED) / len(plan.operations)
        for i, (operation, entry) in enumerate(stats["per_operation"].items(), start=1):
            request.report_progress(_QUERIED + step * i, operation_message(operation, entry))
        request.raise_if_cancelled()
        return {"records": processed.records, "rejects": processed.rejects, "stats": stats}
