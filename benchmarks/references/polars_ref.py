"""Revenue pipeline as a hand-written, vectorized polars script (no actorflow).

What a competent polars user would write for docs/revenue-pipeline.md, plus the fixes it
takes to agree byte for byte with the plain-Python reference. Every place where the obvious
polars call differs from Python's semantics is marked "Python parity".

Usage: python polars_ref.py INPUT.csv OUTDIR
"""

from __future__ import annotations

import time

_T0 = time.perf_counter()

import json  # noqa: E402 - imports are part of the timed run
import sys  # noqa: E402
from datetime import datetime  # noqa: E402
from decimal import Decimal  # noqa: E402
from pathlib import Path  # noqa: E402

import polars as pl  # noqa: E402

MIN_REVENUE = Decimal("0.01")
MAX_REVENUE = Decimal("100000")
MONEY = pl.Decimal(38, 2)  # 36 digits before the point, like the spec's limit

# Python parity: str.split()/str.strip() whitespace is str.isspace(), which adds \x1c-\x1f
# to the Unicode White_Space set that Rust's \s matches.
PY_WS_CLASS = r"[\s\x1c-\x1f]"
# U+3000 is the last character for which str.isspace() is true.
PY_WS_CHARS = "".join(chr(c) for c in range(0x3001) if chr(c).isspace())
ASCII_ONLY = r"^[\x00-\x7f]*$"

# Python's strptime regexes for the directives used (Lib/_strptime.py), restricted to ASCII
# digits. A space in a format matches any whitespace run, and matching ignores case, so the
# T separator also matches "t". %S also accepts 60 and 61, which datetime then rejects.
_Y = r"([0-9]{4})"
_M = r"(1[0-2]|0[1-9]|[1-9])"
_D = r"(3[01]|[12][0-9]|0[1-9]|[1-9]| [1-9])"
_TIME = r"(?:2[0-3]|[01][0-9]|[0-9]):(?:[0-5][0-9]|[0-9]):(?:[0-5][0-9]|[0-9])"
DATE_FORMATS = ("%Y-%m-%d", "%m/%d/%Y", "%d/%m/%Y", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S")
# The five formats fall into two shapes no string can share, so two regex passes do: the
# three year-first formats differ only in what follows the day, and the two slash formats
# only in which field is the month, which is decided after the match.
ISO_DATE = rf"^{_Y}-{_M}-{_D}(?:{PY_WS_CLASS}+{_TIME}|[Tt]{_TIME})?$"
SLASH_DATE = r"^( ?[0-9]{1,2})/( ?[0-9]{1,2})/([0-9]{4})$"


def python_case(values: pl.Series, method: str) -> dict[str, str]:
    """Python's str.title()/str.upper() for the distinct non-ASCII values."""
    # Python parity: polars' to_titlecase treats every letter as part of a word, Python only
    # cased ones (so "中ab" stays "中ab" in polars, "中Ab" in Python), and the two Unicode
    # tables differ in version. Distinct non-ASCII values are few, so Python does those.
    distinct = values.filter(~values.str.contains(ASCII_ONLY)).unique().drop_nulls()
    return {v: getattr(v, method)() for v in distinct.to_list()}


def cased(expr: pl.Expr, fast: pl.Expr, mapping: dict[str, str]) -> pl.Expr:
    if not mapping:
        return fast
    return (
        pl.when(expr.str.contains(ASCII_ONLY))
        .then(fast)
        .otherwise(expr.replace_strict(mapping, default=None, return_dtype=pl.String))
    )


def strptime_iso(value: str) -> str | None:
    for fmt in DATE_FORMATS:
        try:
            parsed = datetime.strptime(value, fmt)
        except ValueError:
            continue
        return f"{parsed.year:04d}-{parsed.month:02d}-{parsed.day:02d}"
    return None


def valid_ymd(y: pl.Expr, m: pl.Expr, d: pl.Expr) -> pl.Expr:
    """y * 10000 + m * 100 + d where that is a date datetime accepts, else null."""
    leap = (y % 4 == 0) & ((y % 100 != 0) | (y % 400 == 0))
    month_days = (
        pl.when(m == 2)
        .then(pl.when(leap).then(29).otherwise(28))
        .when(m.is_in([4, 6, 9, 11]))
        .then(30)
        .otherwise(31)
    )
    # Python parity: datetime has no year 0 (chrono does). Month and day ranges are
    # already checked by the regexes.
    return pl.when((y >= 1) & (d <= month_days)).then(y * 10_000 + m * 100 + d)


def parse_dates(df: pl.DataFrame) -> pl.DataFrame:
    raw = pl.col("date")
    # Python parity: strptime's \d also takes non-ASCII digits (a fullwidth 2024 parses).
    # Such values are rare, so the distinct non-ASCII ones go through strptime itself.
    dates = df.get_column("date")
    odd = dates.filter(~dates.str.contains(ASCII_ONLY)).unique().drop_nulls().to_list()
    python_parsed = {v: strptime_iso(v) for v in odd}
    # Each shape's regex groups are materialized once: reused through struct.field inside
    # one expression, extract_groups would run again for every use.
    df = df.with_columns(
        raw.str.extract_groups(ISO_DATE).alias("__iso"),
        raw.str.extract_groups(SLASH_DATE).alias("__slash"),
    )
    iso, slash = pl.col("__iso").struct, pl.col("__slash").struct
    first, second = slash.field("1"), slash.field("2")
    first_n = first.str.strip_chars(" ").cast(pl.Int32)
    second_n = second.str.strip_chars(" ").cast(pl.Int32)
    # What %m and %d's regexes accept of a one- or two-character field (" 12" is neither).
    first_is_m = ~first.str.starts_with(" ") & first_n.is_between(1, 12)
    second_is_m = ~second.str.starts_with(" ") & second_n.is_between(1, 12)
    first_is_d = first_n.is_between(1, 31) & (
        ~first.str.starts_with(" ") | (first.str.len_chars() == 2)
    )
    second_is_d = second_n.is_between(1, 31) & (
        ~second.str.starts_with(" ") | (second.str.len_chars() == 2)
    )
    slash_y = slash.field("3").cast(pl.Int32)
    # yyyymmdd integers, null where a format does not parse; the first format wins.
    df = df.with_columns(
        pl.coalesce(
            valid_ymd(
                iso.field("1").cast(pl.Int32),
                iso.field("2").cast(pl.Int32),
                iso.field("3").str.strip_chars(" ").cast(pl.Int32),
            ),
            pl.when(first_is_m & second_is_d).then(valid_ymd(slash_y, first_n, second_n)),
            pl.when(first_is_d & second_is_m).then(valid_ymd(slash_y, second_n, first_n)),
        ).alias("__ymd")
    ).drop("__iso", "__slash")
    key = pl.col("__ymd")
    iso_date = pl.format(
        "{}-{}-{}",
        (key // 10_000).cast(pl.String).str.zfill(4),
        (key // 100 % 100).cast(pl.String).str.zfill(2),
        (key % 100).cast(pl.String).str.zfill(2),
    )
    if python_parsed:
        iso_date = (
            pl.when(raw.str.contains(ASCII_ONLY))
            .then(iso_date)
            .otherwise(raw.replace_strict(python_parsed, default=None, return_dtype=pl.String))
        )
    return df.with_columns(iso_date.alias("__iso_date")).drop("__ymd")


def cents_text(cents: pl.Expr) -> pl.Expr:
    return pl.format(
        "{}.{}", (cents // 100).cast(pl.String), (cents % 100).cast(pl.String).str.zfill(2)
    )


def add_money(df: pl.DataFrame) -> pl.DataFrame:
    stripped = pl.col("revenue").str.replace_all(r"[^0-9.\-]", "")
    # On polars 2.1 the cast alone agreed with Decimal() on 190k random strings of digits,
    # "." and "-"; the regex (Decimal's grammar for such strings) keeps it that way should
    # the cast ever get more lenient. A valid string that still casts to null has more
    # than 36 digits before the point.
    decimal_syntax = stripped.str.contains(r"^-?(?:[0-9]+\.?[0-9]*|\.[0-9]+)$")
    return df.with_columns(
        pl.when(decimal_syntax).then(stripped.cast(MONEY, strict=False)).alias("__revenue")
    )


def add_normalized(df: pl.DataFrame) -> pl.DataFrame:
    """Names, currency, impressions, date and month_year as the spec's sections 1.3-3."""
    df = parse_dates(df)
    collapsed = pl.col("podcast_name").str.replace_all(rf"{PY_WS_CLASS}+", " ").str.strip_chars(" ")
    df = df.with_columns(collapsed.alias("__name_ws"))
    title_map = python_case(df.get_column("__name_ws"), "title")
    name = cased(pl.col("__name_ws"), pl.col("__name_ws").str.to_titlecase(), title_map)

    if "currency" in df.columns:
        df = df.with_columns(pl.col("currency").str.strip_chars(PY_WS_CHARS).alias("__cur_ws"))
        upper_map = python_case(df.get_column("__cur_ws"), "upper")
        currency = cased(pl.col("__cur_ws"), pl.col("__cur_ws").str.to_uppercase(), upper_map)
        # Written as an empty field, as the csv module writes an empty string.
        currency = pl.when(currency != "").then(currency)
    else:
        currency = pl.lit(None, dtype=pl.String)

    impressions_text = (
        pl.col("impressions").str.strip_chars(PY_WS_CHARS).str.replace_all(",", "", literal=True)
    )
    impressions = pl.when(impressions_text.str.contains(r"^[0-9]+$")).then(
        impressions_text.cast(pl.Int64, strict=False)
    )
    return df.with_columns(
        name.alias("__name"),
        currency.alias("__currency"),
        impressions.alias("__impressions"),
        pl.coalesce("__iso_date", "date").alias("__date"),
        pl.col("__iso_date").str.slice(0, 7).alias("__month_year"),
    ).drop("__name_ws", "__cur_ws", "__iso_date", strict=False)


def rule_checks() -> list[tuple[pl.Expr, str, pl.Expr]]:
    """(broken, rule, reason) for every check, in the order the spec runs them."""
    rev = pl.col("__revenue")
    money_ok = rev.is_not_null()
    # The first money-valid record of a non-empty id wins.
    duplicate = (
        money_ok
        & pl.col("id").is_not_null()
        & ~pl.struct("id", money_ok.alias("__ok")).is_first_distinct()
    )
    return [
        (pl.col("revenue").is_null(), "money", pl.lit("revenue: missing")),
        (~money_ok, "money", pl.format("revenue: cannot parse '{}'", "revenue")),
        (duplicate, "duplicate", pl.format("duplicate id '{}'", "id")),
        (
            pl.col("__name").is_null() | (pl.col("__name") == ""),
            "required",
            pl.lit("missing required field 'podcast_name'"),
        ),
        (pl.col("__date").is_null(), "required", pl.lit("missing required field 'date'")),
        (
            rev < pl.lit(MIN_REVENUE, dtype=MONEY),
            "range",
            pl.format("revenue {} below min_revenue " + str(MIN_REVENUE), rev.cast(pl.String)),
        ),
        (
            rev > pl.lit(MAX_REVENUE, dtype=MONEY),
            "range",
            pl.format("revenue {} above max_revenue " + str(MAX_REVENUE), rev.cast(pl.String)),
        ),
    ]


def rpm_text() -> pl.Expr:
    """revenue * 1000 / impressions exactly, in integer cents, rounded half to even."""
    imp = pl.col("__impressions")
    numerator = pl.col("__cents") * 1000
    quotient = numerator // imp
    twice_remainder = (numerator % imp) * 2
    round_up = (twice_remainder > imp) | ((twice_remainder == imp) & (quotient % 2 == 1))
    return pl.when(imp > 0).then(cents_text(quotient + round_up.cast(pl.Int64)))


def run(input_path: Path, out_dir: Path) -> dict[str, int]:
    out_dir.mkdir(parents=True, exist_ok=True)
    df = pl.read_csv(input_path, infer_schema=False)
    columns = df.columns
    # An unquoted empty field reads as null but a quoted "" as an empty string; the spec
    # has only nulls, and "" would be written back as "" where the csv module writes nothing.
    df = df.with_columns(pl.when(pl.col(c) != "").then(pl.col(c)).alias(c) for c in columns)
    df = add_normalized(add_money(df))

    # The first broken check is found for every row as a small code; the reason texts are
    # built afterwards, for the rejected rows only.
    checks = rule_checks()
    first_broken = pl.when(checks[0][0]).then(pl.lit(0, dtype=pl.UInt8))
    rule = pl.when(pl.col("__check") == 0).then(pl.lit(checks[0][1]))
    reason = pl.when(pl.col("__check") == 0).then(checks[0][2])
    for code, (broken, rule_name, text) in enumerate(checks[1:], start=1):
        first_broken = first_broken.when(broken).then(pl.lit(code, dtype=pl.UInt8))
        rule = rule.when(pl.col("__check") == code).then(pl.lit(rule_name))
        reason = reason.when(pl.col("__check") == code).then(text)
    df = df.with_columns(first_broken.alias("__check"))

    rejects = df.filter(pl.col("__check").is_not_null()).select(
        *columns, rule.alias("rule"), reason.alias("reason")
    )
    rejects.write_csv(out_dir / "rejects.csv")

    kept = df.filter(pl.col("__check").is_null()).with_columns(
        (pl.col("__revenue") * 100).cast(pl.Int64).alias("__cents")
    )
    records = kept.select(
        pl.col("id"),
        pl.col("__name").alias("podcast_name"),
        pl.col("__revenue").cast(pl.String).alias("revenue"),
        pl.col("__impressions").alias("impressions"),
        rpm_text().alias("rpm"),
        pl.col("__date").alias("date"),
        pl.col("__month_year").alias("month_year"),
        pl.col("__currency").alias("currency"),
        pl.col("source"),
    )
    records.write_csv(out_dir / "records.csv")

    write_aggregates(out_dir / "aggregates.json", kept)
    return {"rows_in": df.height, "rows_out": records.height, "rejects": rejects.height}


def _cents_str(cents: int) -> str:
    sign = "-" if cents < 0 else ""
    whole, frac = divmod(abs(cents), 100)
    return f"{sign}{whole}.{frac:02d}"


def _rpm_cents(cents: int, impressions: int) -> int:
    quotient, remainder = divmod(cents * 1000, impressions)
    if 2 * remainder > impressions or (2 * remainder == impressions and quotient % 2 == 1):
        quotient += 1
    return quotient


def write_aggregates(path: Path, kept: pl.DataFrame) -> None:
    totals = kept.select(
        pl.len().alias("count"),
        pl.col("__cents").sum().alias("cents"),
        pl.col("__impressions").sum().alias("impressions"),
    ).row(0, named=True)
    by_month = (
        kept.group_by("__month_year")
        .agg(pl.col("__cents").sum().alias("cents"), pl.len().alias("count"))
        .sort("__month_year", nulls_last=True)
    )
    by_name = (
        kept.group_by("__name")
        .agg(pl.col("__cents").sum().alias("cents"))
        .sort(["cents", "__name"], descending=[True, False])
    )
    total_impressions = int(totals["impressions"] or 0)
    overall = (
        _cents_str(_rpm_cents(int(totals["cents"]), total_impressions))
        if total_impressions > 0
        else None
    )
    doc = {
        "record_count": int(totals["count"]),
        "total_revenue": _cents_str(int(totals["cents"] or 0)),
        "total_impressions": total_impressions,
        "overall_rpm": overall,
        "revenue_by_month_year": [
            {"month_year": m, "revenue": _cents_str(c), "count": n}
            for m, c, n in by_month.iter_rows()
        ],
        "revenue_by_podcast_name": [
            {"podcast_name": n, "revenue": _cents_str(c)} for n, c in by_name.iter_rows()
        ],
    }
    path.write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def main() -> None:
    if len(sys.argv) != 3:
        sys.exit("usage: polars_ref.py INPUT.csv OUTDIR")
    stats = run(Path(sys.argv[1]), Path(sys.argv[2]))
    print(json.dumps({**stats, "seconds": round(time.perf_counter() - _T0, 3)}))


if __name__ == "__main__":
    main()
