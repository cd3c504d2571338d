"""Revenue pipeline with the csv module and ``decimal.Decimal`` only.

This is the spec-literal reference: every step is written straight from
docs/revenue-pipeline.md, one record at a time. The pandas and polars references must match
its output byte for byte.

Usage: python plain_python.py INPUT.csv OUTDIR
"""

from __future__ import annotations

import time

_T0 = time.perf_counter()

import csv  # noqa: E402 - imports are part of the timed run
import decimal  # noqa: E402
import json  # noqa: E402
import re  # noqa: E402
import sys  # noqa: E402
from datetime import datetime  # noqa: E402
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation  # noqa: E402
from pathlib import Path  # noqa: E402

RECORD_COLUMNS = (
    "id",
    "podcast_name",
    "revenue",
    "impressions",
    "rpm",
    "date",
    "month_year",
    "currency",
    "source",
)
DATE_FORMATS = ("%Y-%m-%d", "%m/%d/%Y", "%d/%m/%Y", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S")
REQUIRED_FIELDS = ("podcast_name", "revenue", "date")
MIN_REVENUE = Decimal("0.01")
MAX_REVENUE = Decimal("100000")
CENT = Decimal("0.01")
MAX_INTEGER_DIGITS = 36
NOT_MONEY = re.compile(r"[^0-9.\-]")
DIGITS_ONLY = re.compile(r"[0-9]+")

# The default context has 28 significant digits, so quantizing an amount with 27..36 digits
# before the point would raise instead of giving the 38-digit result the spec allows.
decimal.setcontext(decimal.Context(prec=60, rounding=ROUND_HALF_EVEN))


def clean_money(raw: str | None) -> tuple[Decimal | None, str | None]:
    """Return (quantized amount, None) or (None, reject reason)."""
    if raw is None:
        return None, "revenue: missing"
    try:
        value = Decimal(NOT_MONEY.sub("", raw))
    except InvalidOperation:
        return None, f"revenue: cannot parse '{raw}'"
    # adjusted() is the exponent of the leading digit: 35 means 36 digits before the point.
    if not value.is_finite() or value.adjusted() >= MAX_INTEGER_DIGITS:
        return None, f"revenue: cannot parse '{raw}'"
    value = value.quantize(CENT, rounding=ROUND_HALF_EVEN)
    if value.is_zero():
        value = value.copy_abs()
    return value, None


def parse_date(raw: str) -> str | None:
    for fmt in DATE_FORMATS:
        try:
            parsed = datetime.strptime(raw, fmt)
        except ValueError:
            continue
        # strftime("%Y") would print year 999 as "999"; the spec wants four digits.
        return f"{parsed.year:04d}-{parsed.month:02d}-{parsed.day:02d}"
    return None


def normalize_name(value: str | None) -> str | None:
    return None if value is None else " ".join(value.split()).title()


def normalize_currency(value: str | None) -> str | None:
    return None if value is None else value.strip().upper()


def parse_impressions(raw: str | None) -> int | None:
    if raw is None:
        return None
    text = raw.strip().replace(",", "")
    return int(text) if DIGITS_ONLY.fullmatch(text) else None


def rpm_cents(revenue_cents: int, impressions: int) -> int:
    """revenue * 1000 / impressions in cents, exact, rounded half to even."""
    # Integer division is exact where Decimal division would round to the context first
    # and could then round a second time on the way to cents.
    numerator = revenue_cents * 1000
    quotient, remainder = divmod(numerator, impressions)
    twice = 2 * remainder
    if twice > impressions or (twice == impressions and quotient % 2 == 1):
        quotient += 1
    return quotient


def cents_text(cents: int) -> str:
    sign = "-" if cents < 0 else ""
    whole, frac = divmod(abs(cents), 100)
    return f"{sign}{whole}.{frac:02d}"


class Totals:
    """The aggregates, accumulated one kept record at a time."""

    def __init__(self) -> None:
        self.count = 0
        self.cents = 0
        self.impressions = 0
        self.by_month: dict[str | None, list[int]] = {}
        self.by_name: dict[str, int] = {}

    def add(self, cents: int, impressions: int | None, month: str | None, name: str) -> None:
        self.count += 1
        self.cents += cents
        self.impressions += impressions or 0
        month_totals = self.by_month.setdefault(month, [0, 0])
        month_totals[0] += cents
        month_totals[1] += 1
        self.by_name[name] = self.by_name.get(name, 0) + cents

    def write(self, path: Path) -> None:
        overall_rpm = (
            cents_text(rpm_cents(self.cents, self.impressions)) if self.impressions > 0 else None
        )
        by_month, by_name = self.by_month, self.by_name
        months = sorted(by_month, key=lambda m: (m is None, m or ""))
        names = sorted(by_name, key=lambda n: (-by_name[n], n))
        doc = {
            "record_count": self.count,
            "total_revenue": cents_text(self.cents),
            "total_impressions": self.impressions,
            "overall_rpm": overall_rpm,
            "revenue_by_month_year": [
                {"month_year": m, "revenue": cents_text(by_month[m][0]), "count": by_month[m][1]}
                for m in months
            ],
            "revenue_by_podcast_name": [
                {"podcast_name": n, "revenue": cents_text(by_name[n])} for n in names
            ],
        }
        path.write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


Reject = tuple[str, str]
Record = list[str | int | None]


class Pipeline:
    """Sections 1-4 of the spec for one record at a time, in input order."""

    def __init__(self, header: list[str], totals: Totals) -> None:
        col = {name: i for i, name in enumerate(header)}
        self.width = len(header)
        self.i_id, self.i_name, self.i_rev = col["id"], col["podcast_name"], col["revenue"]
        self.i_imp, self.i_date, self.i_source = col["impressions"], col["date"], col["source"]
        self.i_cur = col.get("currency")
        self.seen_ids: set[str] = set()
        self.totals = totals

    def process(self, raw_row: list[str]) -> Reject | Record:
        # An empty CSV field is a null, as polars reads it; there is no empty string.
        row: list[str | None] = [v if v != "" else None for v in raw_row]
        row.extend([None] * (self.width - len(row)))

        # 1. cleaning
        revenue, reason = clean_money(row[self.i_rev])
        if revenue is None:
            return "money", reason or ""
        rec_id = row[self.i_id]
        if rec_id is not None:
            if rec_id in self.seen_ids:
                return "duplicate", f"duplicate id '{rec_id}'"
            self.seen_ids.add(rec_id)
        raw_date = row[self.i_date]
        iso_date = parse_date(raw_date) if raw_date is not None else None
        date_value = iso_date if iso_date is not None else raw_date

        # 2. normalization, 3. calculations
        name = normalize_name(row[self.i_name])
        currency = normalize_currency(row[self.i_cur]) if self.i_cur is not None else None
        impressions = parse_impressions(row[self.i_imp])
        month_year = iso_date[:7] if iso_date is not None else None

        # 4. filtering
        normalized = {"podcast_name": name, "revenue": revenue, "date": date_value}
        for field_name in REQUIRED_FIELDS:
            if normalized[field_name] in (None, ""):
                return "required", f"missing required field '{field_name}'"
        if revenue < MIN_REVENUE:
            return "range", f"revenue {revenue} below min_revenue {MIN_REVENUE}"
        if revenue > MAX_REVENUE:
            return "range", f"revenue {revenue} above max_revenue {MAX_REVENUE}"
        assert name is not None

        cents = int(revenue * 100)
        # rpm only matters for kept records, so it is computed after filtering.
        rpm = (
            cents_text(rpm_cents(cents, impressions))
            if impressions is not None and impressions > 0
            else None
        )
        self.totals.add(cents, impressions, month_year, name)
        source = row[self.i_source]
        return [
            rec_id,
            name,
            str(revenue),
            impressions,
            rpm,
            date_value,
            month_year,
            currency,
            source,
        ]


def run(input_path: Path, out_dir: Path) -> dict[str, int]:
    out_dir.mkdir(parents=True, exist_ok=True)
    rows_in = n_rejects = 0
    totals = Totals()
    with (
        input_path.open(newline="", encoding="utf-8") as fin,
        (out_dir / "records.csv").open("w", newline="", encoding="utf-8") as frec,
        (out_dir / "rejects.csv").open("w", newline="", encoding="utf-8") as frej,
    ):
        reader = csv.reader(fin)
        header = next(reader)
        pipeline = Pipeline(header, totals)
        records = csv.writer(frec, lineterminator="\n")
        rejects = csv.writer(frej, lineterminator="\n")
        records.writerow(RECORD_COLUMNS)
        rejects.writerow([*header, "rule", "reason"])
        for raw_row in reader:
            rows_in += 1
            result = pipeline.process(raw_row)
            if isinstance(result, tuple):
                # Rejects keep the original values, exactly as read.
                rejects.writerow([*raw_row, *result])
                n_rejects += 1
            else:
                records.writerow(result)
    totals.write(out_dir / "aggregates.json")
    return {"rows_in": rows_in, "rows_out": totals.count, "rejects": n_rejects}


def main() -> None:
    if len(sys.argv) != 3:
        sys.exit("usage: plain_python.py INPUT.csv OUTDIR")
    stats = run(Path(sys.argv[1]), Path(sys.argv[2]))
    print(json.dumps({**stats, "seconds": round(time.perf_counter() - _T0, 3)}))


if __name__ == "__main__":
    main()
