"""The processing agent (``processor``): any business table, cleaned by its contract.

Two pipelines, chosen per stage by one rule (:mod:`._switch`): a stage that declares
``params.contract`` or ``params.calculations`` runs the contract-driven path; one given
revenue configuration (``params.roles``/``params.rules``, or ``validation_rules`` setting
``min_revenue``/``max_revenue``) or records with the revenue example's ``podcast_name``
runs the revenue rules below; every other table runs the contract-driven path with the
contract inferred from its values. The contract-driven path and its output (typed
``records``, ``rejects`` with ``rule``/``reason``, ``contract``, ``contract_toml``,
``contract_source``, ``findings``, ``quality_metrics``, ``field_quality``,
``calculations``) are described in :mod:`._generic` and :mod:`._by_contract`; its params
are ``contract`` (a table contract) and ``calculations`` (``name = "expression"`` or
``name = {expr = ..., scale = ...}``, checked before the run against a declared
contract), plus ``operations`` and ``inputs`` as below.

The revenue rules:

Register it with ``runtime.register_agent("processor", ProcessingAgent)`` (or
``functools.partial(ProcessingAgent, rules=my_rule_set)`` to offer your own rules) and
give a stage ``agent = "processor"`` that depends on an extraction stage. It takes the
``Records`` of its dependencies (an output that is ``Records`` or has a ``records`` key;
several are stacked in ``depends_on`` order) and runs the rules of
``docs/revenue-pipeline.md`` with :func:`actorflow.agents.rules.run_pipeline`.

Stage params (every field optional; unknown fields are errors)::

    operations        list of cleaning | normalization | calculations | filtering, run in
                      that order; or ["validation"] alone (required fields only).
                      Absent: from the task's words: clean/validate -> cleaning,
                      normalize/standardize -> normalization, calculate/compute ->
                      calculations, filter -> filtering; none of them -> validation.
                      Calculations and filtering bring cleaning along; words that ask for
                      cleaning bring filtering when the run input has validation_rules.
    roles             field roles over the agent's (FieldRoles): money, money_suffixes,
                      dates, date_suffixes, names, currency (lists); id, revenue,
                      impressions, date (column names)
    validation_rules  min_revenue, max_revenue, required_fields; the run input's
                      validation_rules override these key by key
    rules             names of the agent's registered rules to apply (default: all); a
                      named rule brings the operation that runs it
    inputs            dependency stages to take records from (default: all with records)
    processing_month  "YYYY-MM"; the run input's processing_month overrides it
    slice_rows        the most rows processed at once (1000000): a longer table is
                      processed a slice at a time, after one pass over its id and money
                      columns finds the duplicates

The run input may carry ``validation_rules`` and ``processing_month`` (as in the seed's
revenue example). The processing month does not restrict the records (the spec keeps every
month); it is carried into the stats with the count of records in it.

The output::

    {"records": Records,     # kept, input order; money as Decimal(38, 2), never a float
     "rejects": Records,     # original values of every rejected record + rule + reason
     "stats": {"operations", "operations_from" (params | task | default), "implied",
               "inputs" {stage: records}, "per_operation" {op: {"input", "output",
               "rejected", "warnings", "fields", "rules", ...}}, "rejected" {rule: n},
               "warnings" [{"kind", "operation", "field", "count", "message"}],
               "quality" {"input_count", "output_count", "reject_count", "clean_count",
                          "retention_rate", "quality_score", "processing_efficiency"},
               "duration_s", "rules", "validation_rules", "processing_month",
               "processing_month_records"}}

Records on disk (a big file the extractor read to disk) are read, processed and
written back a slice at a time, so the stage's memory is a slice's whatever the table's
size; its ``records`` and ``rejects`` are then on disk too.

``input_count == output_count + reject_count`` always. A rule column of the wrong type
(a float revenue, say) or a missing money column fails the stage with a
``DataValidationError`` naming the field; it is not retried. Bad params fail it with a
``WorkflowValidationError`` naming the stage and field.
"""

from ._agent import ProcessingAgent
from ._inputs import records_of
from ._operations import (
    OPERATIONS,
    PIPELINE_OPERATIONS,
    Operation,
    OperationPlan,
    operations_from_task,
    plan_operations,
)
from ._params import ProcessingParams, parse_params

__all__ = [
    "OPERATIONS",
    "PIPELINE_OPERATIONS",
    "Operation",
    "OperationPlan",
    "ProcessingAgent",
    "ProcessingParams",
    "operations_from_task",
    "parse_params",
    "plan_operations",
    "records_of",
]
