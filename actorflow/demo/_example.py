"""The revenue example as files of the user's: ``actorflow demo --workflow DIR`` writes the
workflow, its run input and its data to a folder, and ``actorflow demo --api`` serves the
Megaphone-style API the workflow reads (``${MEGAPHONE_URL}``) until stopped."""

from __future__ import annotations

import json
import shutil
import signal
import threading
from pathlib import Path
from string import Template
from typing import Any

from rich.console import Console

from ._server import MegaphoneServer

HERE = Path(__file__).parent
DATA_DIR = HERE / "data"
WORKFLOW_FILE = HERE / "revenue.toml"

#: How to set each variable the written workflow still uses, for the error that names it.
VARIABLE_HINTS = {
    "MEGAPHONE_URL": "`actorflow demo --api` serves the demo's Megaphone-style API and "
    "prints the line to set it",
    "DATA_DIR": "`actorflow demo --workflow DIR` writes a copy of this workflow with it "
    "filled in, and its data",
}


def write_example(folder: Path, run_input: dict[str, Any]) -> Path:
    """Write ``revenue.toml``, ``input.json`` and ``data/`` into ``folder``; return the
    workflow file. The CSV's path is written in full; the API's URL stays
    ``${MEGAPHONE_URL}``, read from the environment by ``actorflow run``."""
    folder.mkdir(parents=True, exist_ok=True)
    data = folder / "data"
    shutil.copytree(DATA_DIR, data, dirs_exist_ok=True, ignore=shutil.ignore_patterns("__*"))
    text = WORKFLOW_FILE.read_text(encoding="utf-8")
    _, _, body = text.partition("\nname = ")
    header = (
        "# The revenue workflow, written by `actorflow demo --workflow`. Run it with:\n"
        "#   actorflow demo --api            # in another terminal: the Megaphone-style API\n"
        "#   export MEGAPHONE_URL=...        # the URL it prints\n"
        f"#   actorflow run {folder / 'revenue.toml'} --input @{folder / 'input.json'}\n"
    )
    csv_folder = json.dumps(str(data.resolve()))[1:-1]  # a TOML basic string's escapes
    workflow = folder / "revenue.toml"
    workflow.write_text(
        header + "\nname = " + Template(body).safe_substitute(DATA_DIR=csv_folder),
        encoding="utf-8",
    )
    (folder / "input.json").write_text(json.dumps(run_input, indent=2) + "\n", encoding="utf-8")
    return workflow


def serve_api(console: Console) -> int:
    """Serve the Megaphone-style API until Ctrl-C or SIGTERM; return the exit code."""
    stop = threading.Event()
    previous = signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        with MegaphoneServer() as api:
            console.print(f"export MEGAPHONE_URL={api.url}", markup=False, soft_wrap=True)
            console.print("serving the demo's Megaphone-style API (Ctrl-C to stop)", style="dim")
            console.file.flush()
            stop.wait()
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
    return 0
