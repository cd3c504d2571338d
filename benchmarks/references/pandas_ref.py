"""Revenue pipeline in pandas, money as exact int64 cents (never float).

The benchmark's pandas baseline for docs/revenue-pipeline.md. It must agree byte for byte
with the plain-Python reference; comments marked "Python parity" say what that took.

Usage: python pandas_ref.py INPUT.csv OUTDIR
"""

from __future__ import annotations

import time

_T0 = time.perf_counter()

import json  # noqa: E402 - imports are part of the timed run
import sys  # noqa: E402
from datetime import datetime  # noqa: E402
from decimal import ROUND_HALF_EVEN, Context, Decimal  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

RECORD_COLUMNS = [
    "id",
    "podcast_name",
    "revenue",
    "impressions",
    "rpm",
    "date",
    "month_year",
    "currency",
    "source",
]
MIN_CENTS = 1  # min_revenue 0.01
MAX_CENTS = 10_000_000  # max_revenue 100000
MIN_TEXT, MAX_TEXT = "0.01", "100000"
MAX_INTEGER_DIGITS = 36
# Integer parts up to 15 digits fit int64 cents with room to spare; longer ones are valid
# money but can only ever be "above max_revenue", so Decimal formats just those few.
INT64_SAFE_DIGITS = 15
WIDE = Context(prec=60, rounding=ROUND_HALF_EVEN)

_Y = r"([0-9]{4})"
_M = r"(1[0-2]|0[1-9]|[1-9])"
_D = r"(3[01]|[12][0-9]|0[1-9]|[1-9]| [1-9])"
_TIME = r"(?:2[0-3]|[01][0-9]|[0-9]):(?:[0-5][0-9]|[0-9]):(?:[0-5][0-9]|[0-9])"
# Python's strptime regexes (Lib/_strptime.py) for the spec's formats, in its order, with
# the order of the year, month and day groups. A format space matches any whitespace run
# (\s here is Python's, so it agrees); strptime ignores case, so "t" matches the T; %S's
# 60 and 61 are left out because datetime rejects them.
DATE_FORMATS = ("%Y-%m-%d", "%m/%d/%Y", "%d/%m/%Y", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S")
DATE_PATTERNS = (
    (rf"{_Y}-{_M}-{_D}", (0, 1, 2)),
    (rf"{_M}/{_D}/{_Y}", (2, 0, 1)),
    (rf"{_D}/{_M}/{_Y}", (2, 1, 0)),
    (rf"{_Y}-{_M}-{_D}\s+{_TIME}", (0, 1, 2)),
    (rf"{_Y}-{_M}-{_D}[Tt]{_TIME}", (0, 1, 2)),
)
DAYS_IN_MONTH = np.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])


def digits_to_int(s: pd.Series) -> np.ndarray:
    return pd.to_numeric(s.where(s != "", "0")).to_numpy(dtype=np.int64)


def parse_money(raw: pd.Series) -> tuple[pd.Series, pd.Series, pd.Series, pd.Series]:
    """Return (ok, huge, cents, text): validity, beyond int64, cents (0 if huge), text."""
    stripped = raw.str.replace(r"[^0-9.\-]", "", regex=True)
    # Decimal's grammar once only digits, "." and "-" are left.
    ok = stripped.str.fullmatch(r"-?(?:[0-9]+\.?[0-9]*|\.[0-9]+)").fillna(value=False)
    negative = stripped.str.startswith("-")
    parts = stripped.str.lstrip("-").str.partition(".")
    integer = parts[0].str.lstrip("0")
    fraction = parts[2]
    ok &= integer.str.len() <= MAX_INTEGER_DIGITS
    huge = ok & (integer.str.len() > INT64_SAFE_DIGITS)
    small = ok & ~huge

    units = digits_to_int(integer.where(small, ""))
    fraction = fraction.where(small, "")
    first_two = digits_to_int(fraction.str.slice(0, 2).str.ljust(2, "0"))
    third = digits_to_int(fraction.str.slice(2, 3))
    rest_nonzero = fraction.str.slice(3).str.contains("[1-9]").to_numpy(dtype=bool)
    cents = units * 100 + first_two
    # ROUND_HALF_EVEN on the digits beyond the cent
    round_up = (third > 5) | ((third == 5) & (rest_nonzero | (cents % 2 == 1)))
    cents = cents + round_up
    cents = np.where(negative.to_numpy(dtype=bool), -cents, cents)
    sign = np.where(cents < 0, "-", "")
    magnitude = np.abs(cents)
    text = (
        pd.Series(sign, index=raw.index)
        + pd.Series(magnitude // 100, index=raw.index).astype(str)
        + "."
        + pd.Series(magnitude % 100, index=raw.index).astype(str).str.zfill(2)
    )
    if huge.any():
        text[huge] = [
            str(Decimal(v).quantize(Decimal("0.01"), context=WIDE)) for v in stripped[huge]
        ]
    return ok, huge, pd.Series(cents, index=raw.index), text


def strptime_iso(value: str) -> str | None:
    for fmt in DATE_FORMATS:
        try:
            parsed = datetime.strptime(value, fmt)
        except ValueError:
            continue
        return f"{parsed.year:04d}-{parsed.month:02d}-{parsed.day:02d}"
    return None


def parse_dates(raw: pd.Series) -> pd.Series:
    iso = pd.Series(None, index=raw.index, dtype=object)
    # Python parity: strptime's \d also takes non-ASCII digits (a fullwidth 2024 parses);
    # the few non-ASCII values go through strptime itself, the rest through the regexes.
    non_ascii = ~raw.str.fullmatch(r"[\x00-\x7f]*")
    if non_ascii.any():
        iso[non_ascii] = raw[non_ascii].map(strptime_iso)
    for pattern, (iy, im, iday) in DATE_PATTERNS:
        todo = iso.isna() & (raw != "") & ~non_ascii
        if not todo.any():
            break
        # \Z, not $: Python's $ also matches before a trailing newline.
        groups = raw[todo].str.extract(rf"^{pattern}\Z")
        matched = groups[0].notna()
        groups = groups[matched]
        if groups.empty:
            continue
        y = groups[iy].astype(int).to_numpy()
        m = groups[im].astype(int).to_numpy()
        d = groups[iday].str.strip().astype(int).to_numpy()
        leap = (y % 4 == 0) & ((y % 100 != 0) | (y % 400 == 0))
        limit = DAYS_IN_MONTH[m] + ((m == 2) & leap)
        # Python parity: datetime has no year 0.
        valid = (y >= 1) & (d <= limit)
        good = groups[valid]
        iso[good.index] = (
            good[iy] + "-" + good[im].str.zfill(2) + "-" + good[iday].str.strip().str.zfill(2)
        )
    return iso


def parse_impressions(raw: pd.Series) -> pd.Series:
    text = raw.str.strip().str.replace(",", "", regex=False)
    ok = text.str.fullmatch("[0-9]+").fillna(value=False)
    impressions = pd.Series(pd.NA, index=raw.index, dtype="Int64")
    impressions[ok] = pd.to_numeric(text[ok]).astype("Int64")
    return impressions


def rpm_text(cents: np.ndarray, impressions: pd.Series) -> pd.Series:
    """revenue * 1000 / impressions exactly, in integer cents, half to even."""
    has_imp = (impressions.fillna(0) > 0).to_numpy(dtype=bool)
    # A placeholder divisor where there is no rpm keeps divmod quiet; those rows are nulled.
    divisor = np.where(has_imp, impressions.fillna(1).to_numpy(dtype=np.int64), 1)
    quotient, remainder = np.divmod(cents * 1000, divisor)
    twice = remainder * 2
    quotient = quotient + ((twice > divisor) | ((twice == divisor) & (quotient % 2 == 1)))
    rpm = (
        pd.Series((quotient // 100).astype(str), index=impressions.index, dtype=object)
        + "."
        + pd.Series((quotient % 100).astype(str), index=impressions.index).str.zfill(2)
    )
    rpm[~has_imp] = None
    return rpm


def first_broken_rule(
    checks: list[tuple[pd.Series, str, pd.Series | str]], index: pd.Index
) -> tuple[pd.Series, pd.Series]:
    """(rule, reason) per row from (mask, rule, reason) checks in the spec's order."""
    rule = pd.Series("", index=index, dtype=object)
    reason = pd.Series("", index=index, dtype=object)
    # Assigned from the last check to the first, so the first broken rule wins.
    for mask, rule_name, text in reversed(checks):
        rule[mask] = rule_name
        reason[mask] = text[mask] if isinstance(text, pd.Series) else text
    return rule, reason


def run(input_path: Path, out_dir: Path) -> dict[str, int]:
    out_dir.mkdir(parents=True, exist_ok=True)
    # Without these, "N/A" and "" turn into NaN before the pipeline sees them.
    df = pd.read_csv(input_path, dtype=str, keep_default_na=False, na_filter=False)
    # An empty field is the spec's null; "" stands for it throughout.
    revenue_raw = df["revenue"]

    ok, huge, cents, rev_text = parse_money(revenue_raw)
    duplicate = pd.Series(False, index=df.index)
    candidates = ok & (df["id"] != "")
    duplicate[candidates] = df.loc[candidates, "id"].duplicated(keep="first")

    iso = parse_dates(df["date"])
    date_out = iso.where(iso.notna(), df["date"])
    month_year = iso.str.slice(0, 7)
    name = df["podcast_name"].str.split().str.join(" ").str.title()
    if "currency" in df:
        currency = df["currency"].str.strip().str.upper()
    else:
        currency = pd.Series("", index=df.index)
    impressions = parse_impressions(df["impressions"])

    huge_negative = huge & rev_text.str.startswith("-")
    rule, reason = first_broken_rule(
        [
            (revenue_raw == "", "money", "revenue: missing"),
            (~ok, "money", "revenue: cannot parse '" + revenue_raw + "'"),
            (duplicate, "duplicate", "duplicate id '" + df["id"] + "'"),
            (name == "", "required", "missing required field 'podcast_name'"),
            (date_out == "", "required", "missing required field 'date'"),
            (
                (~huge & (cents < MIN_CENTS)) | huge_negative,
                "range",
                "revenue " + rev_text + " below min_revenue " + MIN_TEXT,
            ),
            (
                (~huge & (cents > MAX_CENTS)) | (huge & ~huge_negative),
                "range",
                "revenue " + rev_text + " above max_revenue " + MAX_TEXT,
            ),
        ],
        df.index,
    )

    rejected = rule != ""
    rejects = df[rejected].copy()
    rejects["rule"] = rule[rejected]
    rejects["reason"] = reason[rejected]
    rejects.to_csv(out_dir / "rejects.csv", index=False, lineterminator="\n")

    kept = ~rejected
    k_cents = cents[kept].to_numpy(dtype=np.int64)
    k_imp = impressions[kept]
    k_currency = currency[kept]
    records = pd.DataFrame(
        {
            "id": df.loc[kept, "id"],
            "podcast_name": name[kept],
            "revenue": rev_text[kept],
            "impressions": k_imp,
            "rpm": rpm_text(k_cents, k_imp),
            "date": date_out[kept],
            "month_year": month_year[kept],
            # Python's csv writes "" and None alike; keep "no value" as None regardless.
            "currency": k_currency.where(k_currency != "", None),
            "source": df.loc[kept, "source"],
        },
        columns=RECORD_COLUMNS,
    )
    records.to_csv(out_dir / "records.csv", index=False, lineterminator="\n")

    write_aggregates(
        out_dir / "aggregates.json",
        pd.DataFrame(
            {
                "cents": k_cents,
                "impressions": k_imp.fillna(0).to_numpy(dtype=np.int64),
                "month_year": month_year[kept].to_numpy(dtype=object),
                "name": name[kept].to_numpy(dtype=object),
            }
        ),
    )
    return {"rows_in": len(df), "rows_out": len(records), "rejects": int(rejected.sum())}


def _cents_str(cents: int) -> str:
    sign = "-" if cents < 0 else ""
    whole, frac = divmod(abs(cents), 100)
    return f"{sign}{whole}.{frac:02d}"


def _rpm_cents(cents: int, impressions: int) -> int:
    quotient, remainder = divmod(cents * 1000, impressions)
    if 2 * remainder > impressions or (2 * remainder == impressions and quotient % 2 == 1):
        quotient += 1
    return quotient


def write_aggregates(path: Path, kept: pd.DataFrame) -> None:
    total_cents = int(kept["cents"].sum())
    total_impressions = int(kept["impressions"].sum())
    by_month = (
        kept.groupby("month_year", dropna=False, sort=False)["cents"]
        .agg(["sum", "size"])
        .reset_index()
    )
    by_month = by_month.sort_values("month_year", na_position="last", kind="stable")
    by_name = kept.groupby("name", sort=False)["cents"].sum().reset_index()
    by_name = by_name.sort_values(["cents", "name"], ascending=[False, True], kind="stable")
    doc = {
        "record_count": len(kept),
        "total_revenue": _cents_str(total_cents),
        "total_impressions": total_impressions,
        "overall_rpm": (
            _cents_str(_rpm_cents(total_cents, total_impressions))
            if total_impressions > 0
            else None
        ),
        "revenue_by_month_year": [
            {
                "month_year": None if pd.isna(m) else m,
                "revenue": _cents_str(int(c)),
                "count": int(n),
            }
            for m, c, n in by_month.itertuples(index=False)
        ],
        "revenue_by_podcast_name": [
            {"podcast_name": n, "revenue": _cents_str(int(c))}
            for n, c in by_name.itertuples(index=False)
        ],
    }
    path.write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def main() -> None:
    if len(sys.argv) != 3:
        sys.exit("usage: pandas_ref.py INPUT.csv OUTDIR")
    stats = run(Path(sys.argv[1]), Path(sys.argv[2]))
    print(json.dumps({**stats, "seconds": round(time.perf_counter() - _T0, 3)}))


if __name__ == "__main__":
    main()
