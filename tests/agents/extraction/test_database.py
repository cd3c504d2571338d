"""The ``database`` source against a real SQLite file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import aiofiles.os
import pytest

from actorflow.agents.extraction import extract
from actorflow.contracts import SourceError


async def query(db: Path, sql: str, **source: Any) -> dict[str, Any]:
    return await extract(
        {"sources": [{"type": "database", "path": str(db), "query": sql, **source}]}
    )


async def test_bound_parameters_select_rows_and_values_become_strings(shop_db: Path) -> None:
    out = await query(
        shop_db, "SELECT * FROM orders WHERE amount > ? ORDER BY id", parameters=[6], batch_rows=1
    )
    assert out["records"].columns == ("source", "id", "customer", "amount", "note", "paid")
    assert out["records"].frame.rows() == [
        ("shop", "1", "ann", "19.99", None, "1"),
        ("shop", "3", "ann", "120.5", None, "1"),
        ("shop", "4", None, "7.25", None, "0"),
    ]
    (info,) = out["sources"]
    assert info["path"] == str(shop_db)
    assert info["size_bytes"] == (await aiofiles.os.stat(shop_db)).st_size


async def test_named_parameters_bind_by_name(shop_db: Path) -> None:
    out = await query(
        shop_db,
        "SELECT id, note FROM orders WHERE customer = :who AND paid = :paid",
        parameters={"who": "bob", "paid": 0},
        name="gifts",
    )
    assert out["records"].to_dicts() == [{"source": "gifts", "id": "2", "note": "gift"}]


async def test_a_sql_error_names_the_source_and_the_query(shop_db: Path) -> None:
    with pytest.raises(SourceError) as caught:
        await query(shop_db, "SELECT * FROM refunds", name="refunds")
    assert str(caught.value) == (
        f"refunds: database {shop_db}: SQL error: no such table: refunds "
        "(query: 'SELECT * FROM refunds')"
    )
    assert caught.value.retryable is False


async def test_the_database_is_opened_read_only(shop_db: Path) -> None:
    with pytest.raises(SourceError, match="attempt to write a readonly database"):
        await query(shop_db, "DELETE FROM orders")
    assert len((await query(shop_db, "SELECT id FROM orders"))["records"]) == 4


async def test_a_missing_database_file_is_reported_and_not_created(tmp_path: Path) -> None:
    missing = tmp_path / "nope.sqlite"
    with pytest.raises(
        SourceError, match=r"nope: database .*nope\.sqlite: database file not found"
    ):
        await query(missing, "SELECT 1")
    assert not missing.exists()


async def test_a_file_that_is_not_a_database_is_a_clear_error(tmp_path: Path) -> None:
    notes = tmp_path / "notes.sqlite"
    notes.write_text("just some text, long enough to look like a header of something " * 4)
    # Refused by its header, before SQLite opens it (it would only fail at the query).
    with pytest.raises(SourceError, match=r"notes: database .*: the file is not a SQLite database"):
        await query(notes, "SELECT * FROM orders")
