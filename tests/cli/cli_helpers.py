"""Helpers of the CLI tests: workflows and an assertion for bad-input errors."""

from __future__ import annotations

from pathlib import Path

from click.testing import Result

HERE = Path(__file__).parent

#: the workflow most tests run: records with money, a retried stage, insights, logs.
SALES_WORKFLOW = """
name = "sales"

[[stages]]
name = "sales"
agent = "table"
params = { rows = 5 }

[[stages]]
name = "flaky"
agent = "flaky"
retries = 2
retry_backoff_s = 0.01
params = { failures = 1 }
depends_on = ["sales"]

[[stages]]
name = "report"
agent = "report"
depends_on = ["sales"]

[[stages]]
name = "chat"
agent = "chatty"
"""

FAILING_WORKFLOW = """
name = "doomed"

[[stages]]
name = "sales"
agent = "table"

[[stages]]
name = "explode"
agent = "broken"
depends_on = ["sales"]

[[stages]]
name = "report"
agent = "report"
depends_on = ["explode"]
"""


def assert_one_line_error(result: Result, *fragments: str) -> None:
    """Exit code 2, an ``error:`` line on stderr naming each fragment, no traceback."""
    assert result.exit_code == 2, (result.exit_code, result.output, result.exception)
    assert isinstance(result.exception, SystemExit), result.exception
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) >= 1 and all(line.startswith("error: ") for line in lines), lines
    text = " ".join(lines)
    for fragment in fragments:
        assert fragment in text, (fragment, text)
    assert "Traceback" not in result.output
    assert result.stdout == ""
