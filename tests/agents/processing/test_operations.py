"""How a processing stage's operations are chosen: params, task words, and what they imply."""

from __future__ import annotations

import pytest

from actorflow.agents.processing import operations_from_task, plan_operations


@pytest.mark.parametrize(
    ("task", "expected"),
    [
        ("Clean and validate the records", ("cleaning",)),
        ("validation of the export", ("cleaning",)),
        ("Normalise names; standardised currency", ("normalization",)),
        ("CALCULATE rpm and compute totals", ("calculations",)),
        ("filtering by rules", ("filtering",)),
        ("recalculate nothing, unclean", ()),
        ("Summarise", ()),
    ],
)
def test_the_seeds_words_map_to_operations(task: str, expected: tuple[str, ...]) -> None:
    assert operations_from_task(task) == expected


def test_params_win_over_the_task_and_run_in_pipeline_order() -> None:
    plan = plan_operations(["filtering", "normalization", "cleaning"], "calculate everything")
    assert plan.operations == ("cleaning", "normalization", "filtering")
    assert plan.origin == "params"
    assert plan.implied == {}


def test_calculations_and_filtering_bring_cleaning() -> None:
    plan = plan_operations(["calculations"], "")
    assert plan.operations == ("cleaning", "calculations")
    assert "cleaning" in plan.implied


def test_input_validation_rules_bring_filtering_only_to_task_words_that_clean() -> None:
    assert plan_operations(None, "clean", input_has_validation_rules=True).operations == (
        "cleaning",
        "filtering",
    )
    assert plan_operations(["cleaning"], "", input_has_validation_rules=True).operations == (
        "cleaning",
    )
    assert plan_operations(None, "normalize", input_has_validation_rules=True).operations == (
        "normalization",
    )


def test_no_words_mean_basic_validation_unless_a_named_rule_needs_a_step() -> None:
    plain = plan_operations(None, "have a look")
    assert (plain.operations, plain.origin) == (("validation",), "default")
    with_rule = plan_operations(None, "have a look", rule_kinds=["transform"])
    assert with_rule.operations == ("normalization",)
    assert with_rule.implied["normalization"] == "a named transform rule runs in this step"
