"""Property-test your rules: hypothesis strategies for messy business data, and a check
that a rule's vectorized form agrees with its scalar spec.

Needs hypothesis (``pip install 'actorflow[testing]'``)::

    import polars as pl
    from actorflow.agents.rules import Rule
    from actorflow.testing import assert_rule_agrees, names

    initials = Rule.calculated(
        "initials",
        field="podcast_name",
        scalar=lambda name: None if name is None else name[:2],
        vectorized=lambda e: e.str.slice(0, 2),
    )

    def test_initials_agree():
        assert_rule_agrees(initials, strategy=names())
"""

from __future__ import annotations

import math
import string
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

try:
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st
    from hypothesis.strategies import SearchStrategy
except ImportError as exc:  # pragma: no cover - exercised without hypothesis installed
    raise ImportError(
        "actorflow.testing needs hypothesis: install it with pip install 'actorflow[testing]'"
    ) from exc

import polars as pl

from actorflow.agents.rules import Rule, RuleViolation

__all__ = [
    "assert_rule_agrees",
    "currency_strings",
    "date_strings",
    "impressions_strings",
    "messy_records",
    "money_strings",
    "names",
    "optional",
]

# Whitespace Python's str.split()/strip() know, ASCII and not (\x1c-\x1f are whitespace
# to Python but not to Rust's regex \s).
_SPACES = " \t\n\x0b\x0c\r\x1c\x1d\x1e\x1f\x85\xa0\u2003\u3000"
_DIGITS = string.digits
# Decimal digits that are not ASCII: Python's \d and int() take them, strptime too.
# Arabic-Indic, fullwidth and Devanagari digits.
_FOREIGN_DIGITS = tuple(
    "".join(map(chr, range(zero, zero + 10))) for zero in (0x660, 0xFF10, 0x966)
)


def optional(strategy: SearchStrategy[Any]) -> SearchStrategy[Any]:
    """The strategy's values, or None."""
    return st.none() | strategy


def _padding(max_size: int = 2) -> SearchStrategy[str]:
    return st.text(alphabet=_SPACES, max_size=max_size)


def _foreign_digits(text: str, digits: str) -> str:
    return text.translate(str.maketrans(_DIGITS, digits))


# ---------------------------------------------------------------------------------------
# Money

# fmt: off
_MONEY_EDGES = (
    "-0", "-0.00", "-0.001", "-0.004", "0.005", "0.015", "0.025", "-0.005", "1.005", "2.675",
    ".5", "5.", "-.5", "-5.", ".", "-", "--1", "1-2", "-1-", "1.2.3", "..5", "", " ", "N/A",
    "n/a", "null", "1e5", "1E-2", "Infinity", "-inf", "NaN", "$-", "(12.50)", "12.345,67",
    "1_000", "9" * 36 + ".99", "9" * 36 + ".994", "9" * 36 + ".995", "1" + "0" * 36,
    "-" + "9" * 36 + ".995", "0" * 40 + "1.005", "0." + "0" * 40 + "5", "1." + "5" * 45,
)
# fmt: on


@st.composite
def _decorated_amounts(draw: st.DrawFn) -> str:
    integer = draw(st.integers(0, 10**12))
    text = f"{integer:,}" if draw(st.booleans()) else str(integer)
    text = text.replace(",", draw(st.sampled_from([",", ",", " ", "'", "\u202f"])))
    places = draw(st.sampled_from(("none", "dot", "digits", "tie")))
    if places == "dot":
        text += "."
    elif places == "digits":
        text += "." + draw(st.text(_DIGITS, min_size=1, max_size=5))
    elif places == "tie":  # exactly half a cent, sometimes with trailing zeros
        text += (
            "."
            + draw(st.text(_DIGITS, min_size=2, max_size=2))
            + "5"
            + "0" * draw(st.integers(0, 2))
        )
    if integer == 0 and places != "none" and draw(st.booleans()):
        text = text[1:]  # ".5"
    sign = draw(st.sampled_from(("", "", "-", "- ", "+", "\u2212")))  # U+2212: minus sign
    symbol = draw(st.sampled_from(("", "$", "€", "£", "USD ", " EUR", "¥", "R$", "CHF")))
    body = sign + symbol + text if draw(st.booleans()) else symbol + sign + text
    return draw(_padding()) + body + draw(_padding())


def money_strings() -> SearchStrategy[str]:
    """Messy money: currency symbols, thousands separators, whitespace, half-cent ties,
    negatives and negative zero, ``.5`` and ``5.``, 36-digit overflow, garbage."""
    return st.one_of(
        _decorated_amounts(),
        st.sampled_from(_MONEY_EDGES),
        st.text(alphabet="0123456789.-,$€ eE+", max_size=10),
        st.text(max_size=8),
        st.text(_DIGITS, min_size=30, max_size=42).map(lambda d: d[:-3] + "." + d[-3:]),
    )


# ---------------------------------------------------------------------------------------
# Dates


def _number(draw: st.DrawFn, value: int) -> str:
    """Zero-padded, bare, or (for 1-9, as strptime's %d allows) space-padded."""
    forms = [f"{value:02d}", str(value)]
    if 1 <= value <= 9:
        forms.append(f" {value}")
    return draw(st.sampled_from(forms))


def _clock_part(draw: st.DrawFn, top: int) -> str:
    """An hour, minute or second; one in ten up to 3 past its range (24:00, second 60)."""
    if draw(st.integers(0, 9)) == 0:
        top += 3
    return _number(draw, draw(st.integers(0, top)))


@st.composite
def _formatted_dates(draw: st.DrawFn) -> str:
    # Integer parts, not st.dates(): month 13, day 32, Feb 30, year 0 and second 60 are
    # as interesting as real dates.
    year = draw(st.integers(0, 9999) | st.sampled_from((1, 999, 1000, 1900, 2000, 2024)))
    month = draw(st.integers(0, 13))
    day = draw(st.integers(0, 32) | st.sampled_from((28, 29, 30, 31)))
    y = f"{year:04d}" if draw(st.integers(0, 9)) else str(year)
    m, d = _number(draw, month), _number(draw, day)
    kind = draw(st.integers(0, 4))
    if kind == 0:
        text = f"{y}-{m}-{d}"
    elif kind == 1:
        text = f"{m}/{d}/{y}"
    elif kind == 2:
        text = f"{d}/{m}/{y}"
    else:
        hms = [_clock_part(draw, top) for top in (23, 59, 59)]
        sep = draw(
            st.sampled_from(("T", "t", " ", " ", "  ", "\t", "\x1c", " \u3000", "_"))
            if kind == 3
            else st.just("T")
        )
        text = f"{y}-{m}-{d}{sep}{':'.join(hms)}"
    if draw(st.integers(0, 9)) == 0:
        text = _foreign_digits(text, draw(st.sampled_from(_FOREIGN_DIGITS)))
    if draw(st.integers(0, 5)) == 0:
        text = draw(_padding(1)) + text + draw(_padding(1))
    return text


def date_strings() -> SearchStrategy[str]:
    """Dates in every spec format (single digits, ``" 5"`` days, year < 1000, ``t``, odd
    separators) plus broken ones (month 13, Feb 30, year 0, second 60, padding, non-ASCII
    digits, near-miss text, garbage)."""
    formatted = _formatted_dates()  # three parts in five
    return st.one_of(
        formatted,
        formatted,
        formatted,
        st.text(alphabet="0123456789/-: Tt", max_size=20),
        st.text(max_size=10),
    )


# ---------------------------------------------------------------------------------------
# Names, currency, impressions

_NAME_CHARS = string.ascii_letters + string.digits + "'\u2019-&.!" + "éÉèçñÑöÖßǆǅǄΣσςΑαİıﬁǀ日本אЖж"


@st.composite
def _spaced_words(draw: st.DrawFn) -> str:
    words = draw(st.lists(st.text(_NAME_CHARS, min_size=1, max_size=8), max_size=4))
    seps = [draw(st.text(_SPACES, min_size=1, max_size=3)) for _ in words]
    body = "".join(w + s for w, s in zip(words, seps, strict=True))
    return draw(_padding(3)) + body


def _text(max_size: int) -> SearchStrategy[str]:
    """Any text of characters this Python's Unicode database assigns. An unassigned code
    point has no case mapping here but may have one in polars' newer Unicode tables
    (U+10D50, Garay, is upper case in Unicode 16), which is a difference of versions,
    not of a rule's two implementations."""
    return st.text(st.characters(exclude_categories=("Cn", "Cs")), max_size=max_size)


def names() -> SearchStrategy[str]:
    """Messy names: extra and odd whitespace (``\\x1c``, no-break and ideographic spaces),
    mixed case, apostrophes and digits, non-ASCII letters (ß, ǆ, final sigma, CJK)."""
    return st.one_of(_spaced_words(), st.sampled_from(("", " ", "\x1c")), _text(10))


def currency_strings() -> SearchStrategy[str]:
    """Currency codes in any case with padding, plus a few non-ASCII and garbage values."""
    code = st.sampled_from(("usd", "USD", "Eur", "gbp", "chf", "ß", "straße", "", "x"))
    padded = st.tuples(_padding(), code, _padding()).map("".join)
    return st.one_of(padded, _text(5))


def impressions_strings() -> SearchStrategy[str]:
    """Counts with thousands commas and padding, plus negatives, decimals, overflow past
    int64, non-ASCII digits and garbage."""
    counts = st.integers(0, 10**12).map(lambda n: f"{n:,}") | st.integers(0, 10**6).map(str)
    padded = st.tuples(_padding(), counts, _padding()).map("".join)
    # fmt: off
    edges = st.sampled_from((
        ",100", "100,", "1,,0", "-5", "1.5", "1e3", "", " ", "n/a", "007", "12\n", "1 000",
        "9" * 19, "9223372036854775807", "9223372036854775808", "\u0661\u0662", "+7", ",",
    ))
    # fmt: on
    return st.one_of(padded, edges, st.text(alphabet="0123456789, ", max_size=8))


def messy_records(
    *, ids: SearchStrategy[str | None] | None = None
) -> SearchStrategy[dict[str, str | None]]:
    """Whole input records of the revenue pipeline, every value a string or None.

    Args:
        ids: the id strategy; by default a small pool, so duplicates are common.
    """
    id_values = (
        ids
        if ids is not None
        else optional(st.sampled_from(("a", "b", "c", "", " a")) | st.text(_DIGITS, max_size=2))
    )
    return st.fixed_dictionaries(
        {
            "id": id_values,
            "podcast_name": optional(names()),
            "revenue": optional(money_strings()),
            "impressions": optional(impressions_strings()),
            "date": optional(date_strings()),
            "currency": optional(currency_strings()),
            "source": optional(st.sampled_from(("a.csv", "api", "db"))),
        }
    )


# ---------------------------------------------------------------------------------------
# Agreement of the two forms of a rule


def _same(expected: Any, got: Any) -> bool:
    if isinstance(expected, Decimal) and isinstance(got, Decimal):
        return str(expected) == str(got)  # same digits and places, as CSV prints them
    if isinstance(expected, float) and isinstance(got, float):
        return expected == got or (math.isnan(expected) and math.isnan(got))
    return bool(expected == got) and type(expected) is type(got)


def _scalar_result(
    scalar: Callable[[Any], Any], subject: Any, rejects: tuple[type[BaseException], ...]
) -> Any:
    try:
        return scalar(subject)
    except rejects:
        return None  # a rejection agrees with a vectorized null


def assert_rule_agrees(
    rule: Rule | Callable[[Any], Any],
    vectorized: pl.Expr | Callable[[pl.Expr], pl.Expr] | None = None,
    strategy: SearchStrategy[Any] | None = None,
    *,
    dtype: pl.DataType | type[pl.DataType] = pl.String,
    schema: Mapping[str, Any] | None = None,
    rejects: tuple[type[BaseException], ...] = (RuleViolation,),
    max_examples: int = 100,
    max_batch: int = 30,
) -> None:
    """Check with hypothesis that a rule's vectorized form agrees with its scalar spec.

    Batches of generated values (sometimes repeated, so paths for repeated values run
    too) go through the vectorized form in one frame and through the scalar one by one;
    every result must be equal (Decimals digit for digit, types exactly). A scalar that
    raises one of ``rejects`` agrees with a vectorized null. For a filter rule, a null
    agrees with false.

    Args:
        rule: a :class:`Rule`, or a scalar function of one value or one record.
        vectorized: the vectorized form when ``rule`` is a function: a function of the
            column expression (values), or an expression over named columns (records).
        strategy: generates values (field rules, functions of expressions) or records
            (dicts, for record rules and expressions).
        dtype: the column type of generated values.
        schema: the frame schema for generated records (inferred when None).
        rejects: exceptions by which the scalar form rejects a value.
        max_examples: hypothesis examples (each a batch).
        max_batch: the largest batch.

    Raises:
        AssertionError: with the first disagreeing inputs and both results.
        ValueError: no strategy, or a rule without a scalar form.
    """
    if strategy is None:
        raise ValueError("assert_rule_agrees needs a strategy of values or records")
    scalar, build, column, as_filter = _forms(rule, vectorized)

    @settings(
        max_examples=max_examples,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(batch=st.lists(strategy, max_size=max_batch), repeat=st.sampled_from((1, 1, 5)))
    def check(batch: list[Any], repeat: int) -> None:
        subjects = batch * repeat
        if column is None:
            frame = pl.DataFrame(subjects, schema=schema, infer_schema_length=None)
        else:
            frame = pl.DataFrame({column: pl.Series(subjects, dtype=dtype)})
        got = frame.select(build().alias("result")).to_series().to_list()
        expected = [_scalar_result(scalar, s, rejects) for s in subjects]
        if as_filter:
            expected = [bool(e) for e in expected]
            got = [bool(g) for g in got]
        wrong = [
            (s, e, g) for s, e, g in zip(subjects, expected, got, strict=True) if not _same(e, g)
        ]
        if wrong:
            lines = "\n".join(f"  {s!r}: scalar {e!r}, vectorized {g!r}" for s, e, g in wrong[:5])
            raise AssertionError(f"{len(wrong)} of {len(subjects)} results disagree:\n{lines}")

    check()


def _forms(
    rule: Rule | Callable[[Any], Any],
    vectorized: pl.Expr | Callable[[pl.Expr], pl.Expr] | None,
) -> tuple[Callable[[Any], Any], Callable[[], pl.Expr], str | None, bool]:
    """(scalar, vectorized expression, value column or None for records, filter?)."""
    if isinstance(rule, Rule):
        if vectorized is not None:
            raise ValueError("give either a Rule or a scalar function and its vectorized form")
        if rule.scalar is None or rule.vectorized is None:
            raise ValueError(f"rule {rule.name!r} needs both forms to compare them")
        return rule.scalar, rule.to_expr, rule.field, rule.kind == "filter"
    if vectorized is None:
        raise ValueError("a scalar function needs its vectorized form to be compared with")
    if isinstance(vectorized, pl.Expr):
        expr = vectorized
        return rule, lambda: expr, None, False
    function = vectorized
    return rule, lambda: function(pl.col("value")), "value", False
