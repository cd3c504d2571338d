"""Parsing: the grammar, errors with a caret at the fault, printing that round-trips."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from actorflow.agents.expressions import (
    Binary,
    Boolean,
    Call,
    ExpressionError,
    Field,
    Node,
    Number,
    String,
    Unary,
    parse,
    referenced_fields,
    to_source,
)


def test_multiplication_binds_tighter_than_addition_and_operators_associate_left() -> None:
    assert parse("a + b * c - d") == Binary(
        "-", Binary("+", Field("a"), Binary("*", Field("b"), Field("c"))), Field("d")
    )
    assert parse("revenue / impressions * 1000") == Binary(
        "*", Binary("/", Field("revenue"), Field("impressions")), Number(1000)
    )


def test_not_binds_looser_than_comparison_and_tighter_than_and() -> None:
    assert parse("not a = b and c") == Binary(
        "and", Unary("not", Binary("=", Field("a"), Field("b"))), Field("c")
    )
    assert parse("a or b AND c") == Binary("or", Field("a"), Binary("and", Field("b"), Field("c")))


def test_literals_keep_their_kind_and_written_scale() -> None:
    assert isinstance(parse("12").value, int)  # type: ignore[union-attr]
    assert str(parse("0.010").value) == "0.010"  # type: ignore[union-attr]
    assert parse("'it''s'") == String("it's")
    assert parse('"say ""hi"""') == String('say "hi"')
    assert parse("TRUE") == Boolean(value=True)


def test_quoted_field_names_hold_spaces_unicode_and_keywords() -> None:
    assert parse("`order total` + `prix unitaire €` + `and`") == Binary(
        "+", Binary("+", Field("order total"), Field("prix unitaire €")), Field("and")
    )
    assert parse("`a``b`") == Field("a`b")
    assert parse("données * 2") == Binary("*", Field("données"), Number(2))


def test_double_equals_and_angle_brackets_are_spellings_of_one_operator() -> None:
    assert parse("a == 1") == parse("a = 1")
    assert parse("a <> 1") == parse("a != 1")


def test_function_names_are_case_insensitive_and_take_any_arguments() -> None:
    assert parse("IF(a > 1, 'big', 'small')") == Call(
        "if", (Binary(">", Field("a"), Number(1)), String("big"), String("small"))
    )


@pytest.mark.parametrize(
    ("source", "message", "column"),
    [
        ("clicks /", "expected a value, found the end of the expression", 9),
        ("(clicks / impressions", "expected ')' to close the '(' at column 1", 22),
        ("a < b < c", "comparisons do not chain", 7),
        ("round(x 2)", "expected ',' or ')' in the arguments", 9),
        ("'unfinished", "unterminated string", 1),
        ("`open", "unterminated field name", 1),
        ("a $ b", "unexpected character '$'", 3),
        ("1.", "a decimal point must be followed by digits", 2),
        ("a b", "expected an operator or the end, found 'b'", 3),
        ("", "empty expression", 1),
        ("a and or b", "expected a value, found the operator 'or'", 7),
    ],
)
def test_syntax_errors_say_what_and_point_at_the_column(
    source: str, message: str, column: int
) -> None:
    with pytest.raises(ExpressionError) as caught:
        parse(source)
    assert message in caught.value.message
    assert caught.value.column == column
    lines = str(caught.value).splitlines()
    assert lines[1] == f"  {source}"
    assert lines[2] == "  " + " " * (column - 1) + "^"


def test_absurd_nesting_is_an_error_not_a_crash() -> None:
    with pytest.raises(ExpressionError, match="nested deeper"):
        parse("(" * 5000 + "1" + ")" * 5000)
    with pytest.raises(ExpressionError, match="nested deeper"):
        parse("-" * 5000 + "1")


def test_referenced_fields_lists_each_field_once() -> None:
    assert referenced_fields("if(`a b` > 1, a / c, coalesce(a, 0))") == {"a b", "a", "c"}
    assert referenced_fields(parse("round(1.5, 0)")) == set()


# Trees of any shape: printing then parsing must give the same tree back.
names = st.text(min_size=1, max_size=8)
literals: st.SearchStrategy[Node] = st.one_of(
    st.integers(0, 10**20).map(Number),
    st.decimals(min_value=0, max_value=10**6, places=3).map(Number),
    st.text(max_size=6).map(String),
    st.booleans().map(Boolean),
    names.map(Field),
)
function_names = st.sampled_from(["if", "coalesce", "round", "f", "year_month", "max"])


def _extend(inner: st.SearchStrategy[Node]) -> st.SearchStrategy[Node]:
    binary_ops = st.sampled_from(["+", "-", "*", "/", "=", "!=", "<", "<=", ">", ">=", "and", "or"])
    return st.one_of(
        st.builds(Unary, st.sampled_from(["-", "not"]), inner),
        st.builds(Binary, binary_ops, inner, inner),
        st.builds(Call, function_names, st.lists(inner, max_size=3).map(tuple)),
    )


trees = st.recursive(literals, _extend, max_leaves=12)


@given(trees)
def test_printing_then_parsing_gives_the_same_tree(tree: Node) -> None:
    text = to_source(tree)
    again = parse(text)
    assert again == tree
    # Equality treats 1 and 1.0 alike; the text does not.
    assert to_source(again) == text


fragments = st.sampled_from(
    ["(", ")", "+", "-", "*", "/", "=", "<", ">=", "!=", ",", "'", '"', "`", "a", "b1",
     "not", "and", "or", "if(", "round(", "1", "0.5", "1.", " ", "''", "``", "true", "é", "\n"]
)  # fmt: skip


@given(st.one_of(st.text(max_size=30), st.lists(fragments, max_size=20).map("".join)))
def test_garbage_never_crashes_the_parser(source: str) -> None:
    caught: ExpressionError | None = None
    try:
        tree = parse(source)
    except ExpressionError as error:
        caught = error
    if caught is None:
        assert parse(to_source(tree)) == tree
    else:
        assert caught.message
        assert 0 <= caught.position <= len(source)
        assert str(caught).splitlines()[2].endswith("^")


def test_number_literals_are_exact() -> None:
    assert parse("0.1").value == Decimal("0.1")  # type: ignore[union-attr]
