"""A real server in a process of its own, for tests that must not share an interpreter.

Hypothesis parses lambdas' source (``ast.parse``) while it generates; CPython 3.11 keeps
the AST constructor's recursion count per interpreter rather than per thread
(python/cpython#106905), so a server and its agents in threads of the test process can
make that parse fail now and then with "AST constructor recursion depth mismatch". A
server in another process shares nothing with the test but sockets.
"""

from __future__ import annotations

import contextlib
import select
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

from tests.processes import child_env

#: The environment a server process needs to import the test helpers.
ENV = child_env()

#: Serves the web tests' agents (``tests.web.web_agents``) on the store ``sys.argv[1]``, with the
#: settings ``sys.argv[2]`` (the JSON of ``Settings`` keyword arguments), and prints its
#: URL. With ``sys.argv[3]``, the gate of that name is made and never opened.
SERVER = textwrap.dedent(
    """
    import asyncio, sys
    import msgspec
    from aiohttp import web
    from actorflow import Runtime
    from actorflow.store import RunStore
    from actorflow.web import Settings, create_app
    from tests.web.web_agents import Gate, register_agents
    from tests.web.web_server import fake_lookup

    async def main():
        if len(sys.argv) > 3:
            Gate.make(sys.argv[3])
        runtime = Runtime()
        register_agents(runtime)
        settings = Settings(**msgspec.json.decode(sys.argv[2]))
        app = create_app(runtime, RunStore(sys.argv[1]), settings=settings,
                         lookup=fake_lookup({}))
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        print(f"http://127.0.0.1:{runner.addresses[0][1]}", flush=True)
        await asyncio.Event().wait()

    asyncio.run(main())
    """
)


@contextlib.contextmanager
def served_in_process(db_path: Path, settings_json: str, *, folder: Path) -> Iterator[str]:
    """Run :data:`SERVER` in a child process; yield its base URL, kill it at the end.

    ``folder`` is its working folder and gets its ``server.log``.
    """
    log = (folder / "server.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-c", SERVER, str(db_path), settings_json],
        stdout=subprocess.PIPE,
        stderr=log,
        cwd=folder,
        env=ENV,
        text=True,
    )
    try:
        assert process.stdout is not None
        ready, _, _ = select.select([process.stdout], [], [], 60)
        url = process.stdout.readline().strip() if ready else ""
        if not url.startswith("http://127.0.0.1:"):
            raise AssertionError(f"the server did not start: {(folder / 'server.log').read_text()}")
        yield url
    finally:
        process.kill()
        process.wait(30)
        log.close()


#: What ``actorflow serve`` runs (``serve()``: it opens the store ``sys.argv[1]`` itself,
#: so it resumes the runs of a server that died), with the web tests' agents and the
#: gate ``held`` made and never opened: runs through it stay under way until a kill.
#: Settings are the JSON ``sys.argv[2]``; the URL is printed once it listens.
SERVE = textwrap.dedent(
    """
    import asyncio, sys
    import msgspec
    from actorflow import Runtime
    from actorflow.web import Settings, serve
    from tests.web.web_agents import Gate, register_agents

    Gate.make("held")
    runtime = Runtime()
    register_agents(runtime)
    settings = Settings(**msgspec.json.decode(sys.argv[2]))
    asyncio.run(serve("127.0.0.1", 0, sys.argv[1], settings=settings, runtime=runtime,
                      ready=lambda url: print(url.rstrip("/"), flush=True)))
    """
)


class ServeProcess:
    """:data:`SERVE` in a child process, to be killed with SIGKILL when the test says.

    ``folder`` is its working folder (not the repository, whose ``actorflow/`` would
    shadow the package); its stderr goes to ``folder/server-<n>.log``.
    """

    def __init__(self, db_path: Path, settings_json: str, *, folder: Path, n: int = 0) -> None:
        self.log_path = folder / f"server-{n}.log"
        log = self.log_path.open("w")
        self.process = subprocess.Popen(
            [sys.executable, "-c", SERVE, str(db_path), settings_json],
            stdout=subprocess.PIPE,
            stderr=log,
            cwd=folder,
            env=ENV,
            text=True,
        )
        log.close()
        assert self.process.stdout is not None
        ready, _, _ = select.select([self.process.stdout], [], [], 60)
        url = self.process.stdout.readline().strip() if ready else ""
        if not url.startswith("http://127.0.0.1:"):
            self.kill()
            raise AssertionError(f"the server did not start: {self.log_path.read_text()}")
        self.url = url

    def kill(self) -> None:
        """SIGKILL: no shutdown, no flush; what a crash or the OOM killer does."""
        self.process.kill()
        self.process.wait(30)
        if self.process.stdout is not None:
            self.process.stdout.close()
