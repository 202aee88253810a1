"""The server check-up ("probe"): cases, grading against real servers, reports, CLI.

The grades asserted here are what each server was seen to do: our own EchoServer
(the codec in observe mode: it records violations and carries on, so it echoes
what a strict server refuses), the ``websockets`` library (strict, lazy UTF-8
checks), aiohttp (accepts unmasked frames, checks UTF-8 in its reader) and tornado
(drops TCP without a close frame on protocol errors, no permessage-deflate by
default). All servers listen on 127.0.0.1, port 0.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import re
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest

from inspector.capture.events import Direction, HandshakeCaptured
from inspector.engine.server import EchoServer
from inspector.probe import (
    CASES,
    CATEGORIES,
    CaseResult,
    Grade,
    ProbeReport,
    ProbeUnreachable,
    run_case,
    run_probe,
    select_cases,
)
from inspector.probe.cases import Echo, Fail
from inspector.probe.report import format_table, json_lines, render_html
from inspector.protocol.handshake import derive_accept

T = TypeVar("T")
ROOT = Path(__file__).resolve().parents[2]
SUMMARY = re.compile(r"^\d+ cases?: \d+ passed, \d+ non-strict, \d+ failed, \d+ info$")


def run(coro: Awaitable[T], timeout: float = 60.0) -> T:
    async def bounded() -> T:
        return await asyncio.wait_for(coro, timeout)

    return asyncio.run(bounded())


# ----------------------------------------------------------------------------- servers
@contextlib.asynccontextmanager
async def own_server() -> AsyncIterator[str]:
    async with EchoServer() as server:
        yield server.url


@contextlib.asynccontextmanager
async def websockets_server() -> AsyncIterator[str]:
    from websockets.asyncio.server import ServerConnection, serve

    async def echo(ws: ServerConnection) -> None:
        with contextlib.suppress(Exception):
            async for message in ws:
                await ws.send(message)

    async with serve(echo, "127.0.0.1", 0, close_timeout=1) as server:
        port = next(iter(server.sockets)).getsockname()[1]
        yield f"ws://127.0.0.1:{port}/"


@contextlib.asynccontextmanager
async def aiohttp_server() -> AsyncIterator[str]:
    from aiohttp import WSMsgType, web

    async def handler(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        async for msg in ws:
            if msg.type == WSMsgType.TEXT:
                await ws.send_str(msg.data)
            elif msg.type == WSMsgType.BINARY:
                await ws.send_bytes(msg.data)
        return ws

    app = web.Application()
    app.router.add_get("/", handler)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    site = web.SockSite(runner, sock)
    await site.start()
    try:
        yield f"ws://127.0.0.1:{sock.getsockname()[1]}/"
    finally:
        await runner.cleanup()


@contextlib.asynccontextmanager
async def tornado_server() -> AsyncIterator[str]:
    import tornado.httpserver
    import tornado.netutil
    import tornado.web
    import tornado.websocket

    class Echo(tornado.websocket.WebSocketHandler):
        def on_message(self, message: str | bytes) -> None:
            self.write_message(message, binary=isinstance(message, bytes))

    sockets = tornado.netutil.bind_sockets(0, "127.0.0.1")
    server = tornado.httpserver.HTTPServer(tornado.web.Application([(r"/", Echo)]))
    server.add_sockets(sockets)
    try:
        yield f"ws://127.0.0.1:{sockets[0].getsockname()[1]}/"
    finally:
        server.stop()
        await server.close_all_connections()


async def probe_with(server: Any, *args: Any, **kw: Any) -> ProbeReport:
    async with server() as url:
        return await run_probe(url, *args, **kw)


def grades(report: ProbeReport) -> dict[str, Grade]:
    return {r.id: r.grade for r in report}


# ------------------------------------------------------------------------------ cases
def test_registry_is_large_unique_and_described() -> None:
    assert len(CASES) > 300
    ids = [c.id for c in CASES]
    assert len(set(ids)) == len(ids)
    per_category = Counter(c.category for c in CASES)
    assert set(per_category) == set(CATEGORIES)
    assert per_category["utf8"] > 100 and per_category["close"] >= 35
    for case in CASES:
        assert case.title and case.expected and case.rfc and case.steps, case.id
    by_id = {c.id: c for c in CASES}
    # Every valid close code is echoed, every invalid one answered with 1002.
    closes = [c for c in CASES if c.category == "close"]
    for code in (1000, 1003, 1014, 3000, 4999):
        assert any(c.title == f"Close with valid code {code}" for c in closes)
    for code in (0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535):
        assert any(c.title == f"Close with invalid code {code}" for c in closes)
    assert "1002" in by_id["7.9.4"].expected
    # Lengths in every form, text and binary.
    framing_titles = " ".join(c.title for c in CASES if c.id.startswith(("1.1.", "1.2.")))
    for size in ("0 bytes", "125 bytes", "126 bytes", "65535 bytes", "64 KiB", "16 MiB"):
        assert f"Text message of {size}" in framing_titles
        assert f"Binary message of {size}" in framing_titles
    assert isinstance(by_id["6.3.1"].expect, Fail) and by_id["6.3.1"].expect.codes == (1007,)
    assert isinstance(by_id["6.5.1"].expect, Echo)
    assert "1007" in by_id["6.3.1"].expected and "non-strict" in by_id["1.5.1"].expected


def test_select_cases() -> None:
    assert {c.category for c in select_cases(["pings", "close"])} == {"pings", "close"}
    assert [c.id for c in select_cases(ids=["6.4"])] == ["6.4.1", "6.4.2", "6.4.3", "6.4.4"]
    assert [c.id for c in select_cases(["utf8"], ["2.1", "6.1.1"])] == ["6.1.1"]
    with pytest.raises(ValueError, match="unknown category 'nope'"):
        select_cases(["nope"])
    with pytest.raises(ValueError, match="no case"):
        select_cases(ids=["99.1"])


# ------------------------------------------------------------------- graded batteries
def test_full_battery_against_our_echo_server() -> None:
    seen: list[CaseResult] = []
    t = time.perf_counter()
    report = run(probe_with(own_server, on_result=seen.append, keep_captures=False), 90)
    elapsed = time.perf_counter() - t
    assert elapsed < 45, elapsed
    assert len(report) == len(CASES) == len(seen)
    assert [r.id for r in report] == [c.id for c in CASES]  # case order, not finish order
    assert SUMMARY.match(report.summary())
    assert sum(report.counts().values()) == len(CASES)
    g = grades(report)
    # Valid traffic of every kind is echoed, up to 16 MiB in one frame.
    for case_id in ("1.1.1", "1.1.9", "1.2.9", "1.6.1", "2.10", "5.8", "6.2.2", "6.5.1", "9.3.1"):
        assert g[case_id] is Grade.PASSED, report.by_id(case_id)
    for case_id in ("12.1.1", "12.2.1", "12.3.3", "12.3.5"):  # permessage-deflate
        assert g[case_id] is Grade.PASSED, report.by_id(case_id)
    # Valid close codes are echoed; invalid ones get the code of the broken rule.
    for case in select_cases(["close"]):
        if case.title.startswith("Close with valid code"):
            assert g[case.id] is Grade.PASSED, report.by_id(case.id)
    assert report.by_id("7.9.4").close_code == 1002 and g["7.9.4"] is Grade.PASSED
    assert report.by_id("7.5.1").close_code == 1007 and g["7.5.1"] is Grade.PASSED
    # Observe mode: what a strict server refuses is echoed, and graded failed.
    for case_id in ("1.5.1", "3.1.4", "6.3.1", "6.16.2"):
        result = report.by_id(case_id)
        assert result.grade is Grade.FAILED
        assert result.observed.startswith("echoed the offending message"), result
    assert "ignored it" in report.by_id("4.1.3").observed
    # A frame that lies about its length: no answer, reported after the short wait.
    assert report.by_id("1.4.1").grade is Grade.FAILED
    assert report.by_id("1.4.1").duration < 4.5
    assert all(r.store is None for r in report)


def test_websockets_library() -> None:
    report = run(probe_with(websockets_server))
    g = grades(report)
    assert report.counts()[Grade.FAILED] == 0, [r for r in report if r.grade is Grade.FAILED]
    assert report.server is not None and "websockets" in report.server
    unmasked = report.by_id("1.5.1")
    assert (unmasked.grade, unmasked.close_code) == (Grade.PASSED, 1002)
    assert "masking" in (unmasked.close_reason or "")
    assert (g["6.3.1"], report.by_id("6.3.1").close_code) == (Grade.PASSED, 1007)
    # Close code 1005 may not be sent: websockets answers 1002.
    assert (g["7.9.4"], report.by_id("7.9.4").close_code) == (Grade.PASSED, 1002)
    # Its 1 MiB default limit: 16 MiB is refused with 1009, graded info.
    assert (g["1.1.9"], report.by_id("1.1.9").close_code) == (Grade.INFO, 1009)
    assert g["1.1.8"] is Grade.PASSED
    # UTF-8 is checked when the whole message is assembled: not "fail fast".
    assert (
        g["6.4.1"] is Grade.NON_STRICT and "only after the rest" in report.by_id("6.4.1").observed
    )
    # The valid message before a bad frame is not echoed first: non-strict.
    assert g["3.4.1"] is Grade.NON_STRICT
    # A close between fragments is answered with 1002.
    assert g["5.24"] is Grade.NON_STRICT and report.by_id("5.24").close_code == 1002
    assert g["7.1.1"] is Grade.PASSED  # empty close answered with an empty close
    for case_id in ("12.1.6", "12.2.2", "12.2.3", "12.2.5", "12.3.6"):
        assert g[case_id] is Grade.PASSED, report.by_id(case_id)
    assert "server_max_window_bits=9" in report.by_id("12.3.6").observed


def test_aiohttp() -> None:
    report = run(probe_with(aiohttp_server))
    g = grades(report)
    unmasked = report.by_id("1.5.1")
    assert unmasked.grade is Grade.FAILED and "echoed the offending" in unmasked.observed
    assert g["1.5.3"] is Grade.FAILED and "ignored it" in report.by_id("1.5.3").observed
    assert (g["6.3.1"], report.by_id("6.3.1").close_code) == (Grade.PASSED, 1007)
    assert (g["3.1.4"], report.by_id("3.1.4").close_code) == (Grade.PASSED, 1002)
    # Valid close codes are answered with 1000 (allowed, not the echo): non-strict.
    assert g["7.7.5"] is Grade.NON_STRICT and report.by_id("7.7.5").close_code == 1000
    # Code 1006 must never be on the wire; aiohttp accepts it and answers 1000.
    assert g["7.9.5"] is Grade.FAILED and report.by_id("7.9.5").close_code == 1000
    assert (g["7.9.4"], report.by_id("7.9.4").close_code) == (Grade.PASSED, 1002)
    assert g["12.2.3"] is Grade.FAILED  # a compressed ping is accepted
    assert g["12.2.2"] is Grade.PASSED  # RSV1 on a continuation is refused
    assert (g["1.1.9"], report.by_id("1.1.9").close_code) == (Grade.INFO, 1009)


def test_tornado() -> None:
    report = run(probe_with(tornado_server))
    g = grades(report)
    assert g["1.5.1"] is Grade.FAILED and "echoed the offending" in report.by_id("1.5.1").observed
    # Protocol errors and invalid UTF-8: TCP dropped without a close frame.
    for case_id in ("3.1.4", "4.1.3", "5.9", "6.3.1", "6.20.1"):
        result = report.by_id(case_id)
        assert result.grade is Grade.NON_STRICT, result
        assert result.close_code is None and "dropped TCP" in result.observed
    # Invalid close codes are echoed back as they came.
    zero = report.by_id("7.9.1")
    assert zero.grade is Grade.FAILED and zero.close_code == 0
    assert g["7.7.3"] is Grade.PASSED  # a valid code is echoed
    # No permessage-deflate unless the application asks for it.
    assert report.extensions is None
    assert all(g[c.id] is Grade.INFO for c in select_cases(["deflate"]))
    assert "did not negotiate" in report.by_id("12.1.1").observed
    assert (g["1.1.9"], report.by_id("1.1.9").close_code) == (Grade.INFO, 1009)


# -------------------------------------------------------------------- API and captures
def test_run_case_keeps_the_capture() -> None:
    case = next(c for c in CASES if c.id == "5.6")

    async def go() -> CaseResult:
        async with own_server() as url:
            return await run_case(case, url, timeout=2)

    result = run(go())
    assert result.grade is Grade.PASSED and result.close_code == 1000
    assert dataclasses.is_dataclass(result)
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.grade = Grade.FAILED  # type: ignore[misc]
    store = result.store
    assert store is not None
    out = [store.frame(i) for i in range(len(store)) if store.direction(i) is Direction.OUT]
    assert [f.opcode for f in out][:3] == [1, 9, 0]  # fragment, ping between, last fragment
    assert store.handshake(Direction.IN) is not None
    record = result.to_json()
    assert set(record) >= {"id", "category", "title", "grade", "expected", "observed"}
    assert record["grade"] == "passed" and record["close_code"] == 1000


def test_server_that_dies_mid_battery() -> None:
    async def go() -> tuple[ProbeReport, float]:
        server = EchoServer()
        handshakes = [0]

        def on_event(conn: Any, event: Any) -> None:
            if isinstance(event, HandshakeCaptured) and event.dir is Direction.IN:
                handshakes[0] += 1
                if handshakes[0] == 25:  # the preflight and 24 cases
                    asyncio.get_running_loop().create_task(server.close())

        server.on_event = on_event
        await server.start()
        t = time.perf_counter()
        report = await run_probe(server.url, ["utf8"], concurrency=4, timeout=2)
        return report, time.perf_counter() - t

    report, elapsed = run(go())
    assert elapsed < 10, elapsed
    assert len(report) == len(select_cases(["utf8"]))
    assert report.unreachable is not None
    unreachable = [r for r in report if r.observed.startswith("server unreachable")]
    assert len(unreachable) > 60
    assert all(r.grade is Grade.FAILED and r.duration < 0.5 for r in unreachable)
    assert report.results[0].grade is Grade.PASSED  # the first cases ran normally


def test_unreachable_and_silent_servers() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: nothing listens there
    with pytest.raises(ProbeUnreachable) as info:
        run(run_probe(f"ws://127.0.0.1:{port}/", ["pings"]))
    assert info.value.step == "tcp"

    async def silent() -> float:
        async def accept(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            await reader.read(65536)
            await asyncio.sleep(5)
            writer.close()

        server = await asyncio.start_server(accept, "127.0.0.1", 0)
        url = f"ws://127.0.0.1:{server.sockets[0].getsockname()[1]}/"
        t = time.perf_counter()
        with pytest.raises(ProbeUnreachable) as info:
            await run_probe(url, ["pings"], timeout=0.5)
        assert info.value.step == "timeout"
        server.close()
        return time.perf_counter() - t

    assert run(silent()) < 3


def test_server_that_stops_answering() -> None:
    """A server that completes handshakes, then never sends a frame: after a few
    silent cases the rest are graded at once."""

    async def go() -> tuple[ProbeReport, float]:
        async def hung(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            request = await reader.readuntil(b"\r\n\r\n")
            key = re.search(rb"(?i)sec-websocket-key:\s*(\S+)", request)
            assert key is not None
            accept = derive_accept(key.group(1).decode()).accept
            writer.write(
                b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                b"Connection: Upgrade\r\nSec-WebSocket-Accept: " + accept.encode() + b"\r\n\r\n"
            )
            with contextlib.suppress(OSError):
                while await reader.read(65536):
                    pass  # reads everything, answers nothing
            writer.close()

        server = await asyncio.start_server(hung, "127.0.0.1", 0)
        url = f"ws://127.0.0.1:{server.sockets[0].getsockname()[1]}/"
        t = time.perf_counter()
        report = await run_probe(url, ["utf8"], timeout=0.5, concurrency=4)
        elapsed = time.perf_counter() - t
        server.close()
        return report, elapsed

    report, elapsed = run(go())
    assert elapsed < 8, elapsed
    assert report.unreachable is not None and "stopped answering" in report.unreachable
    assert all(r.grade is Grade.FAILED for r in report)
    quick = [r for r in report if r.observed.startswith("server unreachable")]
    assert len(quick) > 100 and all(r.duration < 0.1 for r in quick)
    assert "no echo" in report.results[0].observed


def test_report_formats() -> None:
    results = (
        CaseResult("1.1", "framing", "A <b>", Grade.PASSED, "echo", "echoed", 1000, None, 0.01),
        CaseResult("6.3", "utf8", "Bad", Grade.FAILED, "fail with 1007", "echoed it", None),
        CaseResult("7.9", "close", "Code 0", Grade.NON_STRICT, "1002", "answered 0", 0),
    )
    report = ProbeReport("ws://127.0.0.1:1/", results, "2025-01-01T00:00:00+00:00", 1.5)
    assert report.summary() == "3 cases: 1 passed, 1 non-strict, 1 failed, 0 info"
    table = format_table(report)
    lines = table.splitlines()
    assert lines[0].split() == ["1.1", "passed", "framing", "A", "<b>"]  # 1000: not shown
    assert "observed: echoed it" in table and "observed: echoed\n" not in table + "\n"
    assert lines[-2].endswith("Code 0 [0]") and lines[-1].endswith("observed: answered 0")
    records = [json.loads(line) for line in json_lines(report)]
    assert [r["grade"] for r in records] == ["passed", "failed", "non-strict"]
    page = render_html(report)
    assert page.startswith("<!DOCTYPE html>") and "<style>" in page and "<script>" in page
    assert "A &lt;b&gt;" in page and "A <b>" not in page
    assert 'data-grade="non-strict"' in page and 'value="utf8"' in page
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page)  # self-contained


# ----------------------------------------------------------------------------- the CLI
@contextlib.contextmanager
def threaded_server() -> Iterator[str]:
    """A websockets echo server in a thread, for the command in a subprocess."""
    from websockets.sync.server import ServerConnection, serve

    def echo(ws: ServerConnection) -> None:
        with contextlib.suppress(Exception):
            for message in ws:
                ws.send(message)

    server = serve(echo, "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"ws://127.0.0.1:{server.socket.getsockname()[1]}/"
    finally:
        server.shutdown()
        thread.join(5)


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "inspector", "probe", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_cli_json_html_and_table(tmp_path: Path) -> None:
    html_file = tmp_path / "report.html"
    with threaded_server() as url:
        done = cli(url, "--category", "pings", "--category", "opcodes", "--json")
        text = cli(url, "--case", "7.9", "--html", str(html_file))
    assert done.returncode == 0, done.stderr
    records = [json.loads(line) for line in done.stdout.splitlines()]
    # In case order (6.4.1 before 6.21.2), as the window lists them.
    ids = (c.id for c in select_cases(["pings", "opcodes"]))
    expected_ids = sorted(ids, key=lambda i: [int(p) for p in i.split(".")])
    assert [r["id"] for r in records] == expected_ids
    for r in records:
        assert {"id", "category", "title", "grade", "expected", "observed", "close_code"} <= set(r)
        assert r["grade"] in {"passed", "non-strict", "failed", "info"}
        assert r["category"] in {"pings", "opcodes"} and r["duration"] >= 0
    by_id = {r["id"]: r for r in records}
    assert by_id["2.5"]["grade"] == "passed" and by_id["2.5"]["close_code"] == 1002
    assert by_id["4.1.3"]["close_code"] == 1002
    assert SUMMARY.match(done.stderr.strip().splitlines()[-1])

    assert text.returncode == 0, text.stderr
    last = text.stdout.strip().splitlines()[-1]
    assert SUMMARY.match(last) and last.startswith("12 cases: 12 passed")
    assert re.search(
        r"^7\.9\.4\s+passed\s+close\s+Close with invalid code 1005 \[1002\]$", text.stdout, re.M
    )
    page = html_file.read_text(encoding="utf-8")
    assert "7.9.12" in page and "<script>" in page and url in page


def test_cli_exit_statuses() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    refused = cli(f"ws://127.0.0.1:{port}/", "--category", "pings")
    assert refused.returncode == 1 and "cannot reach" in refused.stderr
    assert cli("ws://127.0.0.1:1/", "--category", "nope").returncode == 2
    assert cli("http://127.0.0.1/").returncode == 2
    assert cli("ws://127.0.0.1:1/", "--timeout", "0").returncode == 2
    assert cli().returncode == 2
    listing = cli("--list", "--category", "limits")
    assert listing.returncode == 0 and listing.stdout.strip().endswith(
        f"{len(select_cases(['limits']))} cases"
    )
