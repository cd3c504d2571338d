"""Workflow files in the seed's vocabulary load as actorflow's, and mistakes name the alias."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from actorflow.contracts import WorkflowValidationError, load_workflow

BUILTIN = {"extractor", "processor", "insights"}
ONE = [{"name": "a", "agent": "extractor"}]

#: The seed's ``_create_default_workflow_config()``, as written there (with a name: a
#: workflow file names its workflow).
SEED_DEFAULT = {
    "stages": [
        {"name": "extraction", "agent": "data_extractor", "timeout": 60, "retry_count": 2},
        {
            "name": "processing",
            "agent": "data_processor",
            "timeout": 120,
            "retry_count": 2,
            "depends_on": ["extraction"],
        },
        {
            "name": "insights",
            "agent": "insights_generator",
            "timeout": 90,
            "retry_count": 1,
            "depends_on": ["processing"],
        },
    ],
    "global_timeout": 300,
    "enable_progress_tracking": True,
}


def test_the_seeds_default_workflow_config_loads_from_a_json_file(tmp_path: Path) -> None:
    path = tmp_path / "seed.json"
    path.write_text(json.dumps({"workflow_name": "seed", **SEED_DEFAULT}))
    spec = load_workflow(path, agents=BUILTIN)
    assert spec.name == "seed"
    assert spec.timeout_s == 300
    assert [(s.agent, s.timeout_s, s.retries) for s in spec.stages] == [
        ("extractor", 60, 2),
        ("processor", 120, 2),
        ("insights", 90, 1),
    ]


def test_the_seeds_stage_names_load_from_toml(tmp_path: Path) -> None:
    path = tmp_path / "revenue.toml"
    path.write_text(
        'workflow_name = "Revenue"\n'
        "parallel_execution_enabled = true\n"
        "context_sharing_enabled = true\n"
        "progress_tracking_enabled = true\n"
        "error_recovery_enabled = false\n"
        "[[stages]]\n"
        'name = "extract"\nagent_name = "data_extractor"\n'
        'task_template = "Extract revenue data"\n'
    )
    spec = load_workflow(path, agents=BUILTIN)
    assert (spec.name, spec.parallel) == ("Revenue", True)
    (stage,) = spec.stages
    assert (stage.agent, stage.task) == ("extractor", "Extract revenue data")


def test_an_agent_registered_under_a_seed_name_keeps_it() -> None:
    spec = load_workflow(
        {"name": "w", "stages": [{"name": "a", "agent": "data_extractor"}]},
        agents={"data_extractor", *BUILTIN},
    )
    assert spec.stages[0].agent == "data_extractor"


@pytest.mark.parametrize(
    ("stage", "field"),
    [
        ({"timeout": 60, "timeout_s": 60}, "timeout"),
        ({"retry_count": 1, "retries": 1}, "retry_count"),
        ({"task_template": "x", "task": "x"}, "task_template"),
        ({"agent_name": "extractor"}, "agent_name"),  # beside the stage's "agent"
    ],
)
def test_a_seed_name_with_its_twin_is_an_error_naming_both(
    stage: dict[str, object], field: str
) -> None:
    raw = {"name": "w", "stages": [{"name": "a", "agent": "extractor", **stage}]}
    with pytest.raises(WorkflowValidationError) as caught:
        load_workflow(raw, agents=BUILTIN)
    (problem,) = caught.value.problems
    assert (problem.stage, problem.field) == ("a", field)
    twin = {"timeout": "timeout_s", "retry_count": "retries", "task_template": "task"}
    assert f"'{field}'" in problem.message
    assert f"'{twin.get(field, 'agent')}'" in problem.message


def test_a_workflow_level_seed_name_with_its_twin_is_an_error_naming_both() -> None:
    raw = {"name": "w", "workflow_name": "v", "stages": [{"name": "a", "agent": "extractor"}]}
    with pytest.raises(WorkflowValidationError) as caught:
        load_workflow(raw)
    (problem,) = caught.value.problems
    assert problem.field == "workflow_name"
    assert "'workflow_name'" in problem.message
    assert "'name'" in problem.message


@pytest.mark.parametrize(
    ("raw", "stage", "field"),
    [
        ({"stages": [{"name": "a", "agent": "extractor", "timeout": "soon"}]}, "a", "timeout"),
        ({"stages": [{"name": "a", "agent": "extractor", "retry_count": 1.5}]}, "a", "retry_count"),
        ({"global_timeout": "x", "stages": ONE}, None, "global_timeout"),
        ({"enable_progress_tracking": "yes", "stages": ONE}, None, "enable_progress_tracking"),
    ],
)  # fmt: skip
def test_a_seed_name_with_a_wrong_type_is_named_as_written(
    raw: dict[str, object], stage: str | None, field: str
) -> None:
    with pytest.raises(WorkflowValidationError) as caught:
        load_workflow({"name": "w", **raw}, agents=BUILTIN)
    (problem,) = caught.value.problems
    assert (problem.stage, problem.field) == (stage, field)
    assert "Expected" in problem.message


def test_unknown_fields_are_still_refused_by_name() -> None:
    raw = {"name": "w", "stages": [{"name": "a", "agent": "extractor", "retry_counts": 1}]}
    with pytest.raises(WorkflowValidationError) as caught:
        load_workflow(raw, agents=BUILTIN)
    (problem,) = caught.value.problems
    assert problem.field == "retry_counts"
    with pytest.raises(WorkflowValidationError, match="enable_progress"):
        load_workflow(
            {**raw, "stages": [{"name": "a", "agent": "extractor"}], "enable_progress": 1}
        )
