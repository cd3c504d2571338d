"""Contracts are values: frozen, picklable, validated at construction."""

from __future__ import annotations

import pickle
from decimal import Decimal
from pathlib import Path

import msgspec
import polars as pl
import pytest

from actorflow.contracts import (
    ErrorInfo,
    FrozenMap,
    Records,
    RunFinished,
    RunStage,
    StageDone,
    StageOutcome,
    StageSpec,
    UnfreezableError,
    WorkflowSpec,
    WorkflowValidationError,
    decode_event,
    encode_event,
    freeze,
    load_workflow,
)


def _stage() -> StageSpec:
    return StageSpec(name="a", agent="x", params={"nested": {"list": [1, 2]}, "n": 1})


def _payloads() -> list[object]:
    stage = _stage()
    outcome = StageOutcome(stage="a", agent="x", status="succeeded", output=freeze({"k": [1]}))
    return [
        stage,
        WorkflowSpec(name="w", stages=(stage,)),
        RunStage(
            run_id="r",
            workflow="w",
            stage=stage,
            attempt=1,
            input=freeze({"rows": [{"a": 1}]}),
            dependencies=FrozenMap({"a": outcome}),
            context=freeze({"user": "u"}),
        ),
        StageDone(run_id="r", stage="a", attempt=1, status="succeeded", output=freeze([1, 2])),
        outcome,
        RunFinished(
            run_id="r", seq=1, at=0.0, progress=100, status="completed", execution_time_s=1
        ),
        ErrorInfo(type="ValueError", message="m"),
    ]


@pytest.mark.parametrize("payload", _payloads(), ids=lambda p: type(p).__name__)
def test_every_payload_refuses_attribute_assignment(payload: object) -> None:
    field = next(iter(msgspec.structs.fields(payload))).name  # type: ignore[arg-type]
    with pytest.raises(AttributeError):
        setattr(payload, field, None)


@pytest.mark.parametrize("payload", _payloads(), ids=lambda p: type(p).__name__)
def test_every_payload_survives_pickling(payload: object) -> None:
    assert pickle.loads(pickle.dumps(payload)) == payload


def test_nested_params_are_frozen_all_the_way_down() -> None:
    stage = _stage()
    assert stage.params["nested"]["list"] == (1, 2)
    with pytest.raises(TypeError):
        stage.params["n"] = 2
    with pytest.raises(TypeError):
        stage.params["nested"]["new"] = 1
    with pytest.raises(TypeError):
        stage.params.update({"n": 3})
    with pytest.raises(AttributeError):
        stage.params["nested"]["list"].append(3)  # type: ignore[attr-defined]


def test_run_stage_input_cannot_be_mutated_by_a_receiver() -> None:
    message = _payloads()[2]
    assert isinstance(message, RunStage)
    with pytest.raises(TypeError):
        message.input["rows"][0]["a"] = 2
    with pytest.raises(TypeError):
        del message.context["user"]


def test_freeze_refuses_objects_that_are_not_plain_data() -> None:
    with pytest.raises(UnfreezableError, match=r"input\.handle"):
        freeze({"handle": open}, where="input")


def test_freeze_keeps_decimals_and_converts_containers() -> None:
    frozen = freeze({"money": Decimal("1.10"), "tags": {"a"}, "rows": [[1]]})
    assert frozen == {"money": Decimal("1.10"), "tags": frozenset({"a"}), "rows": ((1,),)}
    assert hash(frozen)


def test_records_receivers_get_copy_on_write_views() -> None:
    records = Records(pl.DataFrame({"a": [1, 2, 3]}))
    view = records.frame
    view.insert_column(1, pl.Series("b", [4, 5, 6]))
    view[0, "a"] = 99
    assert records.columns == ("a",)
    assert records.frame["a"].to_list() == [1, 2, 3]


def test_records_are_isolated_from_the_frame_they_were_built_from() -> None:
    frame = pl.DataFrame({"a": [1]})
    records = Records(frame)
    frame[0, "a"] = 5
    assert records.to_dicts() == [{"a": 1}]


def test_records_pickle_round_trip() -> None:
    records = Records.from_dicts([{"a": "x", "b": None}, {"a": "y", "b": "2"}])
    assert pickle.loads(pickle.dumps(records)) == records


def test_events_encode_with_a_type_tag_and_decode_back() -> None:
    event = RunFinished(
        run_id="r", seq=3, at=1.5, progress=100, status="completed", execution_time_s=2
    )
    data = encode_event(event)
    assert b'"type":"run_finished"' in data
    assert decode_event(data) == event


def test_workflow_loads_from_toml(tmp_path: Path) -> None:
    path = tmp_path / "wf.toml"
    path.write_text(
        'name = "wf"\nparallel = true\n\n[[stages]]\nname = "a"\nagent = "x"\n'
        '[stages.params]\nk = [1, 2]\n\n[[stages]]\nname = "b"\nagent = "x"\ndepends_on = ["a"]\n'
    )
    spec = load_workflow(path)
    assert spec.parallel
    assert spec.stage("b").depends_on == ("a",)
    assert spec.stage("a").params == {"k": (1, 2)}


def test_workflow_error_names_the_file_the_stage_and_the_field(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text(
        '{"name": "wf", "stages": [{"name": "a", "agent": "x"},'
        ' {"name": "b", "agent": "x", "retries": "3"}]}'
    )
    with pytest.raises(WorkflowValidationError) as info:
        load_workflow(path)
    text = str(info.value)
    assert str(path) in text
    assert "stage 'b'" in text
    assert "field 'retries'" in text


def test_invalid_toml_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "broken.toml"
    path.write_text("name = \n")
    with pytest.raises(WorkflowValidationError, match=r"broken\.toml"):
        load_workflow(path)


def test_missing_workflow_file_is_a_validation_error(tmp_path: Path) -> None:
    with pytest.raises(WorkflowValidationError, match="cannot read"):
        load_workflow(tmp_path / "nope.toml")


def test_unknown_field_is_named() -> None:
    with pytest.raises(WorkflowValidationError, match="field 'colour'"):
        load_workflow({"name": "w", "stages": [{"name": "a", "agent": "x", "colour": "red"}]})
