"""What ``serve`` and ``proxy`` print for frames and messages is what ``capture``
prints (:class:`~inspector.cli.render.ConnectionLines`): a compressed frame's
deflate bytes in hex and the message they inflate to on a line of its own, a
fragmented message's line after its last frame, the rendered text of a payload an
application view decodes. Real peers on loopback: our echo server and proxy, a
websockets client that negotiates permessage-deflate."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import os
import re
from collections.abc import Callable
from typing import TYPE_CHECKING

from inspector.cli.proxy import _Run
from inspector.cli.serve import Console
from inspector.engine.proxy import ProxyOptions, ProxyServer
from inspector.engine.server import EchoServer

if TYPE_CHECKING:
    from inspector.capture.events import CaptureEvent
    from inspector.engine.connection import Connection

TIMEOUT = 10 * float(os.environ.get("WS_INSPECTOR_TIMEOUT_FACTOR", "1"))
JSON = '{"a":1,"b":[1,2]}'
#: A frame's row ends with its payload; a compressed one's is the deflate bytes.
COMPRESSED_ROW = re.compile(r"#\d+ +@\d+ +F1\.\. TEXT .* len=\d+  ([0-9a-f]{2}( |$))+")


async def _talk(url: str) -> None:
    from websockets.asyncio.client import connect

    async with connect(url, open_timeout=TIMEOUT) as ws:
        await ws.send("hello")
        await ws.send(JSON)
        await ws.send(["frag", "ment"])  # one message in two frames
        for _ in range(3):  # every echo back: the server's frames are printed too
            await asyncio.wait_for(ws.recv(), TIMEOUT)


async def _until_closed(lines: Callable[[], list[str]], closed: str) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + TIMEOUT
    while not any(closed in line for line in lines()):
        assert loop.time() < deadline, f"no {closed!r} in {lines()}"
        await asyncio.sleep(0.01)


def _check(lines: list[str], prefix: str) -> None:
    rows = [line for line in lines if line.startswith(prefix + "#")]
    assert len(rows) >= 4 and all(COMPRESSED_ROW.search(row) for row in rows[:2]), rows
    assert f'{prefix}  = TEXT message, 5 bytes (inflated from 7 bytes) "hello"' in lines
    fragmented = re.compile(
        re.escape(prefix) + r'  = TEXT message, 8 bytes \(\d frames #.*"fragment"$'
    )
    assert any(fragmented.match(line) for line in lines), lines
    json_line = next(i for i, line in enumerate(lines) if line.endswith(f'"{JSON}"'))
    assert lines[json_line + 1 : json_line + 3] == ["      {", '        "a": 1,']


def test_serve_prints_frames_and_messages_as_capture_does() -> None:
    console = Console()
    lines: list[str] = []

    def on_event(conn: Connection, event: CaptureEvent) -> None:
        for item in console.lines(conn, event):
            lines.extend(item.split("\n"))

    async def main() -> None:
        server = EchoServer("127.0.0.1", 0, on_event=on_event)
        await server.start()
        try:
            await _talk(server.url)
            await _until_closed(lambda: lines, "[1] ** closed")
        finally:
            await server.close()

    asyncio.run(main())
    _check(lines, "[1] <- ")
    _check(lines, "[1] -> ")


def test_proxy_prints_frames_and_messages_as_capture_does() -> None:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):  # the console writes where stdout was
        outputs = _Run(argparse.Namespace(json=False, no_journal=True, output=None))

    async def main() -> None:
        server = EchoServer("127.0.0.1", 0)
        await server.start()
        proxy = ProxyServer(
            "127.0.0.1",
            0,
            ProxyOptions(upstream=server.url, proxy=""),
            on_connection=outputs.on_connection,
        )
        try:
            async with proxy:
                await _talk(f"ws://127.0.0.1:{proxy.port}/")
                await _until_closed(lambda: out.getvalue().splitlines(), "[1] ** closed")
        finally:
            await server.close()

    asyncio.run(main())
    lines = out.getvalue().splitlines()
    _check(lines, "[1] client->server ")
    _check(lines, "[1] server->client ")
