"""Property-testing your own rule: its vectorized form must agree with its scalar spec.

A user rule has two forms: a plain Python function of one value (the spec, easy to read
and to trust) and a polars expression (the speed). ``actorflow.testing`` generates messy
values and checks that both forms give the same answer on every one of them.

Here a ``slug`` rule (``"  The  Daily "`` -> ``"the-daily"``) is written twice. The first
vectorized form looks right and passes on ASCII, but hypothesis finds a name it gets wrong:
Python's ``str.split`` treats ``\\x1c``-``\\x1f`` as whitespace and Rust's regex ``\\s`` does
not. The second form handles it, and passes.

Run it as a script (``python examples/rule_property_test.py``) or with pytest
(``pytest examples/rule_property_test.py``); the test suite runs it both ways.
"""

from __future__ import annotations

import polars as pl
import pytest

from actorflow.agents.rules import Rule, RuleSet
from actorflow.testing import assert_rule_agrees, names


def slug(name: str | None) -> str | None:
    """The spec: lower-case words joined by hyphens."""
    if name is None:
        return None
    return "-".join(name.lower().split())


def naive_slug(e: pl.Expr) -> pl.Expr:
    return e.str.to_lowercase().str.strip_chars().str.replace_all(r"\s+", "-")


def careful_slug(e: pl.Expr) -> pl.Expr:
    # Python's whitespace is Rust's \s plus the four ASCII separators \x1c-\x1f.
    words = e.str.replace_all(r"[\s\x1c-\x1f]+", " ").str.strip_chars(" ")
    return words.str.to_lowercase().str.replace_all(" ", "-", literal=True)


rules = RuleSet()
rules.add(Rule.calculated("slug", field="podcast_name", scalar=slug, vectorized=careful_slug))


def test_the_careful_slug_agrees_with_its_spec() -> None:
    assert_rule_agrees(rules["slug"], strategy=names(), max_examples=100)


def test_the_naive_slug_is_caught() -> None:
    naive = Rule.calculated("slug", field="podcast_name", scalar=slug, vectorized=naive_slug)
    with pytest.raises(AssertionError, match="disagree"):
        assert_rule_agrees(naive, strategy=names(), max_examples=100)


if __name__ == "__main__":
    test_the_naive_slug_is_caught()
    print("naive slug: caught disagreeing with its spec, as expected")
    test_the_careful_slug_agrees_with_its_spec()
    print("careful slug: agrees with its spec on every generated name")
    frame = pl.DataFrame({"podcast_name": ["  The  Daily ", "Planet\x1fMoney", None]})
    print(frame.with_columns(rules["slug"].to_expr().alias("slug")))
