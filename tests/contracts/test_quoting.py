"""Error messages quote a bounded part of what they were given (``contracts._quote``),
and input nested too deeply is found without recursion (``contracts._nesting``)."""

from __future__ import annotations

from actorflow.contracts import (
    MAX_DEPTH,
    Problem,
    WorkflowValidationError,
    listing,
    quote,
    shorten,
    too_deep,
)


def test_short_values_are_quoted_whole_and_long_ones_in_part() -> None:
    assert quote("crm") == "'crm'"
    assert shorten("crm") == "crm"
    assert quote("a" * 100) == repr("a" * 80) + "… (20 more characters)"
    assert shorten("b" * 100_000, 10) == "bbbbbbbbbb… (99,990 more characters)"


def test_lists_show_ten_items_and_count_the_rest() -> None:
    assert listing([]) == ""
    assert listing(["a", "b"]) == "a, b"
    assert listing(f"c{i}" for i in range(100_000)) == (
        "c0, c1, c2, c3, c4, c5, c6, c7, c8, c9, and 99,990 more"
    )
    assert listing(["x" * 1000], each=5) == "xxxxx… (995 more characters)"
    assert listing("abc", 2, sep=" -> ") == "a -> b -> and 1 more"


def test_a_problem_shows_its_values_in_part_but_keeps_them_whole() -> None:
    name = "s" * 100_000
    problem = Problem(stage=name, field="f" * 10_000, source="source 'x'", message="m" * 10_000)
    shown = str(problem)
    assert len(shown) < 1000
    assert "(99,920 more characters)" in shown
    assert problem.stage == name  # the web API returns the exact values


def test_an_invalid_workflow_message_lists_twenty_problems() -> None:
    error = WorkflowValidationError(
        [Problem(stage=f"s{i}", message="bad") for i in range(1000)], source="w.toml"
    )
    lines = str(error).splitlines()
    assert lines[0] == "invalid workflow w.toml:"
    assert len(lines) == 22
    assert lines[-1] == "and 980 more"
    assert len(error.problems) == 1000


def test_nesting_is_measured_without_recursion() -> None:
    deep: list[object] = []
    for _ in range(100_000):
        deep = [deep]
    assert too_deep({"a": [{"b": 1}]}) is None
    assert too_deep({"a": [{"b": [[]]}]}, limit=3) == "a[0].b"
    assert too_deep({"x": deep}, limit=2) == "x[0]"
    found = too_deep({"x": deep})
    assert found is not None and found.startswith("x[0][0]")
    assert found.count("[0]") == MAX_DEPTH - 1
    assert too_deep("just text") is None
