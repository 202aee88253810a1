"""What every live runner does (:mod:`inspector.gui.session.live`), shown on our
server's runner against a websockets client on loopback: a connection that cannot
be journaled is listed and served all the same, and the failure is said once."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from websockets.asyncio.client import connect

from inspector.gui.session.server import ServerOptions, ServerRunner

pytestmark = pytest.mark.gui


def test_a_connection_not_journaled_is_still_listed_and_served(
    loop: Any,
    arun: Callable[..., Any],
    until: Callable[..., Any],
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    not_a_folder = tmp_path / "journal"
    not_a_folder.write_text("a file where the journals would go")
    runner = ServerRunner("127.0.0.1", 0, ServerOptions(), journal_dir=str(not_a_folder))
    rows: list[Any] = []
    runner.rowsUpdated.connect(lambda new, changed: rows.extend([*new, *changed]))

    async def scenario() -> None:
        assert await runner.start()
        async with connect(runner.url + "kept") as ws:
            await ws.send("still echoed")
            assert await ws.recv() == "still echoed"
            await until(lambda: runner.rows() and runner.rows()[0].frames >= 2, what="counted")
            runner.tick()
        await runner.stop()

    with caplog.at_level(logging.WARNING, logger="inspector.gui.session.live"):
        arun(scenario(), 20)
    assert rows and rows[0].path == "/kept" and rows[-1].closed
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "the server: connection 1 is not journaled" in warnings[0]
    assert not_a_folder.read_text() == "a file where the journals would go"
