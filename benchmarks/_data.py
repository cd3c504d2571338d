"""Seeded generator of messy podcast-revenue data for benchmarks, tests and examples.

The messiness is chosen to hit every rule of docs/revenue-pipeline.md and the traps the
reference implementations must agree on: currency symbols and thousands separators, broken
and out-of-range amounts, duplicate ids, every supported date format plus the near misses
Python's ``strptime`` treats specially (``"2024-01- 5"`` parses, ``" 2024-01-05"`` does not,
``"0999-12-31"`` keeps its zero padding), names with odd whitespace and case, and
impressions that are zero, missing or malformed.

Rows are produced and written in chunks so 10M rows never sit in memory at once.

CLI::

    python benchmarks/_data.py OUT.csv N [--seed S] [--source NAME]
    python benchmarks/_data.py --example-data DIR      # examples/revenue/data contents
"""

from __future__ import annotations

import argparse
import csv
import json
import random
from collections import deque
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import TypeVar

COLUMNS = ("id", "podcast_name", "revenue", "impressions", "date", "currency", "source")
DEFAULT_SEED = 20240501
CHUNK_ROWS = 50_000
DEFAULT_SOURCES = ("audiomax", "megaphone", "acast", "libsyn")

PODCASTS = (
    "The Daily Brief",
    "Crime Junkies Anonymous",
    "Startup Stories",
    "Tech Talk Tonight",
    "Morning Coffee Chat",
    "History Unplugged",
    "The Mindful Minute",
    "Sports Desk Daily",
    "Money Matters",
    "Science After Dark",
    "Comedy Bang Boom Box",
    "True Crime Tuesday",
    "Parenting Today",
    "The Design Files",
    "Late Night Lit",
    "Climate Conversations",
    "Football Weekly",
    "Health Hacks",
    "The Indie Hour",
    "Code Newbie",
    "Wine & Dine",
    "Mind The Gap",
    "Eye On AI",
    "The Long Game",
    "Hard Fork Lift",
    "Planet Money Talk",
    "Small Business Big Dreams",
    "The Vinyl Vault",
    "Gardening With Gus",
    "Space Cadets",
    "Joe's Garage",  # Python title() gives "Joe'S"
    "3am Thoughts",  # and "3Am Thoughts": digits are uncased
    "Sports, Etc.",  # a comma forces CSV quoting
    'The "Real" Talk',  # so does a quote
    "The 99% Club",
    "Café Society",
    "Über Growth",
    "Niño's Corner",
    "L'été Sessions",
    "Straße Stories",
)

# Each column is drawn from a table of value makers, repeated by weight, so drawing one
# is a single rng.choice and the odd cases keep a realistic share.
T = TypeVar("T")
NameMaker = Callable[[random.Random, str], str]
MoneyMaker = Callable[[random.Random, int, int], str]
CountMaker = Callable[[random.Random, int], str]
DateMaker = Callable[[random.Random, date], str]


def _weighted(*pairs: tuple[int, T]) -> tuple[T, ...]:
    return tuple(maker for weight, maker in pairs for _ in range(weight))


def _random_case(rng: random.Random, name: str) -> str:
    return "".join(c.upper() if rng.random() < 0.5 else c.lower() for c in name)


_NAMES: tuple[NameMaker, ...] = _weighted(
    (55, lambda _rng, n: n),
    (10, lambda _rng, n: n.lower()),
    (8, lambda _rng, n: n.upper()),
    (5, _random_case),
    (8, lambda _rng, n: n.replace(" ", "   ")),
    (8, lambda _rng, n: f"  {n} "),
    # \xa0 and \u2009 are whitespace to str.split(); \x1f is too, but not to Rust's \s.
    (3, lambda rng, n: n.replace(" ", rng.choice(("\t", "\xa0", " \u2009", "\x1f")), 1)),
    (2, lambda rng, _n: rng.choice(("", "   "))),
    (1, lambda rng, _n: rng.choice(("N/A", "-", "???"))),
)

_BROKEN_AMOUNTS = ("N/A", "", "", "abc", "12.34.56", "1-2", "-", "TBD", "--", ".", "n/a")
# Stripping every non-digit gives these surprising but specified values: 12.50, 1.23, 12.5.
_ODD_AMOUNTS = ("(12.50)", "1.2e3", "12.5k", "USD\xa045.20", "$ 1 234.50", "+7.25")


def _out_of_range(rng: random.Random, units: int, thousandths: int) -> str:
    cents = thousandths // 10
    return rng.choice(
        (
            "0",
            "0.00",
            "0.004",
            "-0.001",  # rounds to -0.00, which the spec turns into 0.00
            f"-{units}.{cents:02d}",
            f"{rng.randint(100_001, 5_000_000)}.{cents:02d}",
            f"${rng.randint(100, 9_999):,},000",
            "100000.004",  # rounds to 100000.00: still in range
            "100000.005",  # a tie that rounds to even, 100000.00
            "100000.015",  # rounds up to 100000.02: above max
        )
    )


def _three_decimals(rng: random.Random, units: int, thousandths: int) -> str:
    # A fifth of them exact ties, to exercise ROUND_HALF_EVEN.
    last = 5 if rng.random() < 0.2 else thousandths % 10
    return f"{units}.{thousandths // 10:02d}{last}"


_AMOUNTS: tuple[MoneyMaker, ...] = _weighted(
    (40, lambda _rng, u, t: f"{u}.{t // 10:02d}"),
    (8, lambda _rng, u, t: f"{u}.{t // 100}"),
    (8, _three_decimals),
    (12, lambda _rng, u, t: f"${u:,}.{t // 10:02d}"),
    (5, lambda _rng, u, t: f"USD {u}.{t // 100}"),
    (3, lambda _rng, u, t: f"{u:,}.{t // 10:02d} USD"),
    # A decimal comma is stripped like a thousands separator: "€ 7,00" is 700.
    (2, lambda _rng, u, t: f"€ {u},{t // 10:02d}"),
    (4, lambda _rng, u, t: f"  {u}.{t // 10:02d} "),
    (5, lambda _rng, u, _t: str(u)),
    (4, lambda rng, _u, _t: rng.choice(_BROKEN_AMOUNTS)),
    (5, _out_of_range),
    (2, lambda rng, _u, _t: rng.choice(_ODD_AMOUNTS)),
)

_BROKEN_IMPRESSIONS = ("N/A", "-5", "1.5k", "abc", "12 345", "1e4", "12.0")
_IMPRESSIONS: tuple[CountMaker, ...] = _weighted(
    (62, lambda _rng, c: str(c)),
    (14, lambda _rng, c: f"{c:,}"),
    (6, lambda _rng, c: f" {c:,}  "),
    (5, lambda _rng, _c: "0"),
    (6, lambda _rng, _c: ""),
    (4, lambda rng, _c: rng.choice(_BROKEN_IMPRESSIONS)),
    (3, lambda _rng, c: f"000{c}"),
)

_BROKEN_DATES = (
    "2024-13-45",
    "N/A",
    "",
    "",
    "2023-02-29",
    "31/02/2024",
    "Jan 5, 2024",
    "2024/01/05",
    "20240105",
    "tbd",
    "2024-00-10",
    "2024-01-05 24:00:00",
    "2024-01-05 23:59:60",  # %S accepts 60, datetime does not
    "0000-01-01",  # year 0 does not exist for datetime
    "   ",
)
# Values on which Python's strptime and a naive vectorized parser disagree.
_TRAP_DATES = (
    " 2024-01-05",  # leading space: Python rejects, polars' strptime accepts
    "2024-01-05 ",  # trailing space: "unconverted data remains"
    "2024-01- 5",  # %d alone accepts a space-padded day
    "03/ 7/2024",
    "2024-02-03t04:05:06",  # strptime ignores case, so a lowercase t matches T
    "2024-02-03  04:05:06",  # a format space matches any run of whitespace
    "2024-02-03\t04:05:06",
    "2024-02-03\x1f04:05:06",  # \x1f is whitespace to Python but not to Rust's \s
    "0999-12-31",  # must print as 0999-12-31
    "2024-02-29",
    "2024-2-29 7:5:3",
)


def _clock(rng: random.Random) -> str:
    return f"{rng.randrange(24):02d}:{rng.randrange(60):02d}:{rng.randrange(60):02d}"


_DATES: tuple[DateMaker, ...] = _weighted(
    (50, lambda _rng, d: d.isoformat()),
    (12, lambda _rng, d: f"{d.month:02d}/{d.day:02d}/{d.year:04d}"),
    # Day-first with day <= 12 silently parses month-first: the specified result.
    (10, lambda _rng, d: f"{d.day:02d}/{d.month:02d}/{d.year:04d}"),
    (8, lambda rng, d: f"{d.isoformat()} {_clock(rng)}"),
    (6, lambda rng, d: f"{d.isoformat()}T{_clock(rng)}"),
    (3, lambda _rng, d: f"{d.year}-{d.month}-{d.day}"),
    (2, lambda _rng, d: f"{d.month}/{d.day}/{d.year}"),
    (7, lambda rng, _d: rng.choice(_BROKEN_DATES)),
    (2, lambda rng, _d: rng.choice(_TRAP_DATES)),
)

_CURRENCIES = _weighted(
    (60, "USD"),
    (8, "usd"),
    (5, " USD "),
    (8, "EUR"),
    (3, "eur "),
    (4, "GBP"),
    (2, "Usd\t"),
    (8, ""),
    (2, "   "),
)
_EPOCH = date(2023, 1, 1)
_DAYS = 3 * 365


class _RowMaker:
    """Draws one messy row at a time from a private ``random.Random``."""

    def __init__(self, seed: int, sources: tuple[str, ...]) -> None:
        self.rng = random.Random(seed)
        self.sources = sources
        self.next_id = 1
        # Duplicates reuse an id from a bounded window, so memory stays flat at 10M rows.
        self.recent_ids: deque[str] = deque(maxlen=2_000)

    def row(self) -> list[str]:
        rng = self.rng
        return [
            self.make_id(),
            rng.choice(_NAMES)(rng, rng.choice(PODCASTS)),
            self.money(),
            rng.choice(_IMPRESSIONS)(rng, int(rng.lognormvariate(8.5, 1.4))),
            rng.choice(_DATES)(rng, _EPOCH + timedelta(days=rng.randrange(_DAYS))),
            rng.choice(_CURRENCIES),
            rng.choice(self.sources),
        ]

    def make_id(self) -> str:
        r = self.rng.random()
        if r < 0.03 and self.recent_ids:
            return self.rng.choice(self.recent_ids)
        if r < 0.035:
            return ""  # never a duplicate, however many there are
        new = f"ep-{self.next_id:08d}"
        self.next_id += 1
        self.recent_ids.append(new)
        if r < 0.037:
            # Ids are compared as given, so " ep-1" and "ep-1" are different records.
            return f" {new}"
        return new

    def money(self) -> str:
        rng = self.rng
        r = rng.random()
        if r < 0.0002:
            # 17-30 digit amounts: valid money for the spec, far beyond int64 cents.
            digits = "".join(rng.choice("0123456789") for _ in range(rng.randint(17, 30)))
            return f"{rng.randint(1, 9)}{digits}.{rng.randrange(100):02d}"
        if r < 0.0003:
            return "9" * 40  # more than 36 digits before the point: cannot parse
        units = min(int(rng.lognormvariate(4.0, 1.6)), 60_000)
        return rng.choice(_AMOUNTS)(rng, units, rng.randrange(1000))


def iter_revenue_rows(
    n_rows: int, seed: int = DEFAULT_SEED, sources: tuple[str, ...] = DEFAULT_SOURCES
) -> Iterator[list[str]]:
    """Yield ``n_rows`` messy rows (without header), deterministic for ``seed``."""
    maker = _RowMaker(seed, sources)
    row = maker.row
    for _ in range(n_rows):
        yield row()


def generate_revenue_csv(
    path: str | Path,
    n_rows: int,
    seed: int = DEFAULT_SEED,
    *,
    sources: tuple[str, ...] = DEFAULT_SOURCES,
    chunk_rows: int = CHUNK_ROWS,
) -> Path:
    """Write a messy revenue CSV of ``n_rows`` data rows; the same seed gives the same bytes."""
    out = Path(path)
    rows = iter_revenue_rows(n_rows, seed, sources)
    # "\n" endings and minimal quoting: readable by the csv module, polars and pandas alike.
    with out.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(COLUMNS)
        remaining = n_rows
        while remaining > 0:
            take = min(chunk_rows, remaining)
            writer.writerows(next(rows) for _ in range(take))
            remaining -= take
    return out


def _json_value(raw: str, rng: random.Random, numeric: Callable[[str], float | int]) -> object:
    """Turn a CSV cell into what a JSON API would plausibly send for it."""
    if raw == "" and rng.random() < 0.6:
        return None
    if rng.random() < 0.4:
        try:
            return numeric(raw)
        except ValueError:
            return raw
    return raw


def _megaphone_records(n_rows: int, seed: int) -> list[dict[str, object]]:
    rng = random.Random(seed + 1)
    records: list[dict[str, object]] = []
    for row in iter_revenue_rows(n_rows, seed, ("megaphone",)):
        rec: dict[str, object] = dict(zip(COLUMNS, row, strict=True))
        del rec["source"]  # extraction sets it, the API does not send it
        # Megaphone-style APIs send numbers as JSON numbers when they are clean; extraction
        # converts them with str(), so 12.5 arrives as "12.5" and 1200 as "1200".
        rec["revenue"] = _json_value(row[2], rng, float)
        rec["impressions"] = _json_value(row[3], rng, int)
        for key in ("id", "podcast_name", "date", "currency"):
            if rec[key] == "" and rng.random() < 0.5:
                rec[key] = None
        records.append(rec)
    return records


def write_example_data(root: str | Path, seed: int = 7) -> None:
    """Write ``audiomax.csv`` and ``megaphone_pages/page_{1,2,3}.json`` under ``root``."""
    base = Path(root)
    base.mkdir(parents=True, exist_ok=True)
    generate_revenue_csv(base / "audiomax.csv", 300, seed=seed, sources=("audiomax",))
    pages_dir = base / "megaphone_pages"
    pages_dir.mkdir(exist_ok=True)
    records = _megaphone_records(300, seed=seed + 100)
    n_pages = 3
    per_page = len(records) // n_pages
    for page in range(1, n_pages + 1):
        chunk = records[(page - 1) * per_page : page * per_page]
        # Relative to the page's own URL, so a static file server or file:// both resolve it.
        nxt = f"page_{page + 1}.json" if page < n_pages else None
        # One record per line keeps the files small and diffs readable.
        lines = ",\n".join(json.dumps(rec, ensure_ascii=False) for rec in chunk)
        text = '{"data": [\n' + lines + '\n], "next": ' + json.dumps(nxt) + "}\n"
        (pages_dir / f"page_{page}.json").write_text(text, encoding="utf-8")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", nargs="?", help="CSV file to write")
    parser.add_argument("n_rows", nargs="?", type=int, help="number of data rows")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--source", action="append", help="source value(s); repeatable")
    parser.add_argument("--example-data", metavar="DIR", help="write the example data set")
    args = parser.parse_args(argv)
    if args.example_data:
        write_example_data(args.example_data)
        return
    if args.out is None or args.n_rows is None:
        parser.error("OUT and N are required unless --example-data is given")
    sources = tuple(args.source) if args.source else DEFAULT_SOURCES
    generate_revenue_csv(args.out, args.n_rows, seed=args.seed, sources=sources)


if __name__ == "__main__":
    main()
