"""Outliers by the robust z-score: planted ones are found, and only they."""

from __future__ import annotations

import random
import statistics
from decimal import Decimal

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from actorflow.agents.insights import find_outliers, summarise
from actorflow.agents.rules import MONEY_DTYPE

PLANTED = {"big-1": "5000.00", "big-2": "7512.35", "tiny": "0.50"}


def frame_of(amounts: dict[str, str]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "id": list(amounts),
            "podcast_name": [f"Show {i % 7}" for i in range(len(amounts))],
            "revenue": pl.Series(list(amounts.values())).cast(MONEY_DTYPE),
            "month_year": [f"2024-{1 + i % 12:02d}" for i in range(len(amounts))],
        }
    )


def robust_z(values: list[Decimal]) -> list[Decimal]:
    """The modified z-score, in Decimal, straight from its definition."""
    median = statistics.median(values)
    mad = statistics.median([abs(v - median) for v in values])
    return [Decimal("0.6745") * (v - median) / mad for v in values]


def ordinary(n: int, seed: int = 3) -> dict[str, str]:
    rng = random.Random(seed)
    return {f"ep-{i}": f"{rng.randint(80, 120)}.{rng.randrange(100):02d}" for i in range(n)}


def test_planted_outliers_are_found_and_nothing_else() -> None:
    amounts = {**ordinary(200), **PLANTED}
    out = summarise(frame_of(amounts))
    found = out["summary"]["outliers"]
    assert {r["id"] for r in found["records"]} == set(PLANTED)
    assert found["count"] == 3
    assert found["scale"] == "mad"
    # Largest |z| first; the small one is below the median.
    assert [r["id"] for r in found["records"]] == ["big-2", "big-1", "tiny"]
    assert found["records"][2]["z"] < 0
    values = [Decimal(v) for v in amounts.values()]
    assert Decimal(found["median"]) == statistics.median(values)
    expected = dict(zip(amounts, robust_z(values), strict=True))
    for record in found["records"]:
        assert abs(Decimal(str(record["z"])) - expected[record["id"]]) < Decimal("0.01")
    sentence = next(i["sentence"] for i in out["insights"] if i["kind"] == "outliers")
    assert sentence.startswith("3 records have unusual revenue")
    assert "big-2 (7,512.35" in sentence


@settings(max_examples=60)
@given(
    st.lists(
        st.decimals(min_value=-1000, max_value=100000, places=2, allow_nan=False),
        min_size=1,
        max_size=60,
    )
)
def test_the_outliers_are_those_whose_decimal_z_score_is_beyond_the_threshold(
    values: list[Decimal],
) -> None:
    amounts = {f"r{i}": str(v) for i, v in enumerate(values)}
    result = find_outliers(frame_of(amounts), "revenue", threshold=3.5, limit=len(values))
    median = statistics.median(values)
    mad = statistics.median([abs(v - median) for v in values])
    assert result.median == median
    assert result.mad == mad
    if mad == 0:
        return  # the fallback scale has its own test
    scores = dict(zip(amounts, robust_z(values), strict=True))
    # Away from the threshold the float score and the Decimal one agree on every record.
    clear = {k for k, z in scores.items() if abs(abs(z) - Decimal("3.5")) > Decimal("0.0001")}
    expected = {k for k in clear if abs(scores[k]) > Decimal("3.5")}
    assert set(result.rows["id"].to_list()) & clear == expected
    assert result.count == result.rows.height


def test_when_most_values_are_equal_the_mean_absolute_deviation_stands_in() -> None:
    amounts = {f"same-{i}": "100.00" for i in range(30)} | {"odd": "500.00", "near": "101.00"}
    result = find_outliers(frame_of(amounts), "revenue")
    assert result.mad == 0
    assert result.scale == "mean_absolute_deviation"
    assert result.rows["id"].to_list() == ["odd"]


def test_equal_values_have_no_outliers() -> None:
    result = find_outliers(frame_of({f"r{i}": "12.00" for i in range(5)}), "revenue")
    assert result.count == 0
    assert result.rows.height == 0
