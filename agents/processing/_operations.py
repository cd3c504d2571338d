"""Which operations a processing stage runs: from its params, or from its task's words."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal, TypeAlias

from actorflow.agents.rules import RuleKind

Operation: TypeAlias = Literal[
    "cleaning", "normalization", "calculations", "filtering", "validation"
]

#: The pipeline's operations, in the order they always run (docs/revenue-pipeline.md).
PIPELINE_OPERATIONS: tuple[Operation, ...] = (
    "cleaning",
    "normalization",
    "calculations",
    "filtering",
)
#: The basic check run when a task names no operation: required fields only.
BASIC_VALIDATION: Operation = "validation"
OPERATIONS: tuple[Operation, ...] = (*PIPELINE_OPERATIONS, BASIC_VALIDATION)

# The seed's words, as stems so that "cleans", "validation", "normalise" and
# "standardized" count too; anchored at a word start so "recalculate" does not.
_TASK_WORDS: tuple[tuple[Operation, re.Pattern[str]], ...] = (
    ("cleaning", re.compile(r"\b(?:clean|validat)", re.IGNORECASE)),
    ("normalization", re.compile(r"\b(?:normali[sz]|standardi[sz])", re.IGNORECASE)),
    ("calculations", re.compile(r"\b(?:calculat|comput)", re.IGNORECASE)),
    ("filtering", re.compile(r"\bfilter", re.IGNORECASE)),
)

#: The operation whose step runs a user rule of each kind.
RULE_OPERATION: Mapping[RuleKind, Operation] = {
    "transform": "normalization",
    "calculated": "calculations",
    "filter": "filtering",
}


@dataclass(frozen=True, slots=True)
class OperationPlan:
    """The operations a stage runs and why.

    Attributes:
        operations: what runs, in pipeline order.
        origin: ``params`` (listed by the stage), ``task`` (found in the task's words) or
            ``default`` (no word matched: basic validation).
        implied: operations added because another needs them, with the reason.
    """

    operations: tuple[Operation, ...]
    origin: Literal["params", "task", "default"]
    implied: Mapping[str, str] = field(default_factory=dict)

    def __contains__(self, operation: object) -> bool:
        return operation in self.operations


def operations_from_task(task: str) -> tuple[Operation, ...]:
    """The operations a task's words ask for, in pipeline order (empty if none).

    clean/validate -> cleaning, normalize/standardize -> normalization,
    calculate/compute -> calculations, filter -> filtering.
    """
    return tuple(op for op, words in _TASK_WORDS if words.search(task))


def plan_operations(
    requested: Sequence[str] | None,
    task: str,
    *,
    input_has_validation_rules: bool = False,
    rule_kinds: Iterable[RuleKind] = (),
) -> OperationPlan:
    """Work out the operations of a stage.

    Args:
        requested: the stage's ``params["operations"]`` (checked already), or None.
        task: the stage's task text, used when ``requested`` is None.
        input_has_validation_rules: the run input carries ``validation_rules``. The seed's
            cleaning checked records against them; here that is the filtering step, so
            operations taken from the task's words bring filtering along with cleaning.
        rule_kinds: kinds of the user rules the params named explicitly; each brings the
            operation that runs it.

    Returns:
        The plan; ``calculations`` and ``filtering`` always bring ``cleaning`` (they work
        on cleaned money and dates).
    """
    implied: dict[str, str] = {}
    if requested is not None:
        chosen: set[str] = set(requested)
        origin: Literal["params", "task", "default"] = "params"
    else:
        chosen = set(operations_from_task(task))
        origin = "task" if chosen else "default"
        if (
            chosen
            and input_has_validation_rules
            and "cleaning" in chosen
            and "filtering" not in chosen
        ):
            chosen.add("filtering")
            implied["filtering"] = "the run input gives validation_rules"
    for kind in dict.fromkeys(rule_kinds):
        operation = RULE_OPERATION[kind]
        if operation not in chosen:
            chosen.add(operation)
            implied[operation] = f"a named {kind} rule runs in this step"
    if chosen & {"calculations", "filtering"} and "cleaning" not in chosen:
        chosen.add("cleaning")
        implied["cleaning"] = "calculations and filtering work on cleaned money and dates"
    if chosen & set(PIPELINE_OPERATIONS):
        chosen.discard(BASIC_VALIDATION)
    if not chosen:
        chosen = {BASIC_VALIDATION}
    ordered = tuple(op for op in OPERATIONS if op in chosen)
    return OperationPlan(ordered, origin, implied)
