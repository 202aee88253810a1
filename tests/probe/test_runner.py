"""Running cases and batteries against real servers on loopback, and what is graded.

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
import re
import time
from typing import Any

import pytest
from _probe_support import (
    aiohttp_server,
    free_port,
    grades,
    own_server,
    probe_with,
    resetting_server,
    run,
    serve_command,
    tornado_server,
    websockets_server,
    wsproto_server,
)

from inspector.capture.events import Direction, HandshakeCaptured
from inspector.engine.server import EchoServer
from inspector.probe import (
    CASES,
    CaseResult,
    Grade,
    ProbeReport,
    ProbeUnreachable,
    run_case,
    run_probe,
    select_cases,
)
from inspector.probe.case import Case
from inspector.probe.cases.kit import CONT, TEXT, frame
from inspector.probe.model import Chopped, Echo, Fail
from inspector.protocol.handshake import derive_accept

SUMMARY = re.compile(r"^\d+ cases?: \d+ passed, \d+ non-strict, \d+ failed, \d+ info$")


@pytest.mark.slow
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


@pytest.mark.slow
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


@pytest.mark.slow
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


@pytest.mark.slow
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
    unreachable = [r for r in report if r.observed.startswith(("server unreachable", "not run"))]
    assert "new connections fail" in report.unreachable
    assert len(unreachable) > 60
    assert all(r.grade is Grade.FAILED and r.duration < 0.5 for r in unreachable)
    assert report.results[0].grade is Grade.PASSED  # the first cases ran normally


def test_unreachable_and_silent_servers() -> None:
    port = free_port()
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


@pytest.mark.slow
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
    quick = [r for r in report if r.observed.startswith("not run: the server stopped answering")]
    assert len(quick) > 100 and all(r.duration < 0.1 for r in quick)
    assert "ping got no pong" in report.unreachable
    assert "no echo" in report.results[0].observed


@pytest.mark.slow
def test_a_server_that_drops_tcp_on_a_bad_close_code_gets_every_case_run() -> None:
    """wsproto-based servers (uvicorn --ws wsproto, hypercorn) answer a close frame
    they cannot parse by dropping TCP: a reaction to our frame, not silence. Every
    case of the battery runs, and gets the grade it gets when run alone."""

    async def go() -> tuple[ProbeReport, dict[str, Grade]]:
        async with wsproto_server() as url:
            battery = await run_probe(url, keep_captures=False)
            alone = {case.id: (await run_case(case, url)).grade for case in CASES}
        return battery, alone

    battery, alone = run(go(), 120)
    assert battery.unreachable is None
    not_run = [r.id for r in battery if "unreachable" in r.observed or "not run" in r.observed]
    assert not not_run
    assert grades(battery) == alone
    dropped = battery.by_id("7.9.1")  # close code 0
    assert (dropped.grade, dropped.close_code) == (Grade.NON_STRICT, None)
    assert dropped.observed == "the server dropped TCP without answering our close frame"
    for case_id in ("7.1.1", "9.1.1", "12.1.1", "12.3.1"):  # all gated before
        assert battery.by_id(case_id).grade is Grade.PASSED, battery.by_id(case_id)


def _differences(runs: list[dict[str, Grade]]) -> dict[str, list[str]]:
    return {
        case_id: [g[case_id].value for g in runs]
        for case_id in runs[0]
        if len({g[case_id] for g in runs}) > 1
    }


@pytest.mark.slow
def test_the_same_server_gets_the_same_grades_every_run() -> None:
    """Five batteries in a row against ``ws-inspector serve --strict`` (its own
    process, as a user runs it) grade every case the same; the cases that write
    after the server failed the connection (a ping after a bad frame, the rest of a
    message) read its close frame every time, twenty runs each."""
    racy = select_cases(ids=["3.4", "4.3", "5.1", "5.2", "5.11", "5.12", "5.16", "5.25"])
    with serve_command("--strict") as url:
        batteries = [run(run_probe(url, keep_captures=False), 120) for _ in range(5)]
        again = [
            grades(run(run_probe(url, cases=racy, keep_captures=False), 60)) for _ in range(20)
        ]
    runs = [grades(report) for report in batteries]
    assert not _differences(runs), [report.summary() for report in batteries]
    assert not _differences(again)
    report = batteries[0]
    for case in racy:
        result = report.by_id(case.id)
        assert result.grade is Grade.PASSED and result.close_code == 1002, result
    assert not [r.id for r in report if "dropped TCP" in r.observed]


def test_a_case_that_writes_after_the_server_closed_still_reads_its_close_frame() -> None:
    """The server sends its close frame and resets TCP while the case is still
    writing a frame one byte at a time: the close frame waits in our socket, and a
    write before reading it would fail and take it along. Read first, every time."""
    case = Case(
        "5.x",
        "fragmentation",
        "Continuation frame with nothing to continue, 1 byte at a time",
        (Chopped((frame(CONT, b"continuation " * 16),), chunk=1),),
        Fail(),
    )

    async def go() -> list[CaseResult]:
        with resetting_server() as url:
            return [await run_case(case, url, timeout=2) for _ in range(10)]

    for result in run(go(), 60):
        assert (result.grade, result.close_code) == (Grade.PASSED, 1002), result
        assert result.observed.startswith("the server closed on its own with 1002")


def test_a_case_s_own_pacing_does_not_count_against_the_server() -> None:
    """A case that writes a byte at a time sleeps between writes; on a loaded machine
    those sleeps take far longer than asked (case 1.6.1, 256 sleeps of 1 ms, was graded
    failed under load). The time limit is the server's: the case's own pacing, as long
    as it really took, moves it on. Here the pacing alone (40 x 20 ms) is twice the
    limit, and an independent server's echo still passes."""
    spec = frame(TEXT, b"one byte at a time, twenty ms apart....")
    case = Case(
        "1.x",
        "framing",
        "Text frame written 1 byte at a time, slower than the time limit",
        (Chopped((spec,), chunk=1, delay=0.02),),
        Echo(((TEXT, spec.payload),)),
    )

    async def go() -> CaseResult:
        async with websockets_server() as url:
            return await run_case(case, url, timeout=0.4)

    result = run(go(), 30)
    assert result.grade is Grade.PASSED, result
    assert result.duration > 0.8


def test_our_lenient_echo_server_is_named_as_such() -> None:
    """Our EchoServer in observe mode echoes what a strict server refuses, so a
    check-up of it fails many cases on purpose: the report says so and points at
    the strict mode; a check-up of the strict mode says nothing of the kind."""

    async def go(strict: bool) -> ProbeReport:
        async with own_server(strict=strict) as url:
            return await run_probe(url, ["pings"], keep_captures=False)

    lenient = run(go(False))
    assert lenient.server is not None and lenient.server.startswith("ws-inspector/")
    assert lenient.note is not None
    assert "observe mode" in lenient.note and "ws-inspector serve --strict" in lenient.note
    assert lenient.by_id("2.5").grade is Grade.FAILED  # a 126-byte ping, answered
    strict = run(go(True))
    assert strict.server is not None and strict.server.startswith("ws-inspector/")
    assert strict.note is None
    assert strict.by_id("2.5").grade is Grade.PASSED
