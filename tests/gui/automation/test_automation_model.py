"""The automation widgets' words and rows, without Qt: the timing words, the replay
headline, the difference lines and the rows they link to, and the bounded script
log (peer and script text escaped)."""

from __future__ import annotations

import asyncio

from inspector.automation.compare import Difference, DifferenceKind, compare_sessions
from inspector.automation.messages import messages_of
from inspector.capture.store import CaptureStore
from inspector.engine.client import connect
from inspector.engine.server import EchoServer
from inspector.gui.automation.model import (
    ScriptLog,
    difference_rows,
    difference_text,
    replay_summary,
    timing_word,
)
from inspector.protocol.constants import Role


def test_timing_words() -> None:
    assert timing_word("original", 0.5) == "original"
    assert timing_word("fast", 0.5) == "fast"
    assert timing_word("scale", 0.25) == "0.25"


def test_the_headline_says_how_the_replay_went() -> None:
    assert replay_summary("a.jsonl", running=True, steps=1) == "Replaying 1 step of a.jsonl…"
    same = replay_summary("a.jsonl", running=False, steps=4, sent=4, compared=True)
    assert same == "Replay of a.jsonl done: 4 of 4 sent; the answers are the same as the capture's"
    stopped = replay_summary(
        "x\x1b[2J", running=False, steps=4, sent=1, stopped=True, compared=True, differences=1
    )
    assert stopped == "Replay of x\\e[2J stopped: 1 of 4 sent; 1 difference from the capture"
    failed = replay_summary("a", running=False, steps=2, reason="refused")
    assert failed == "Replay of a done: 0 of 2 sent; refused"


def test_difference_lines_name_the_kind_first() -> None:
    lines = [
        difference_text(Difference(DifferenceKind.MISSING, 1, "text 'a'", None)),
        difference_text(Difference(DifferenceKind.EXTRA, 2, None, "text 'b'")),
        difference_text(Difference(DifferenceKind.PAYLOAD, 3, "text 'c'", "text 'C'", 2)),
        difference_text(Difference(DifferenceKind.CLOSE, None, "1000", "no close frame")),
    ]
    assert lines == [
        "Missing: message 1, captured text 'a'",
        "Extra: message 2, received text 'b'",
        "Different payload: message 3, captured text 'c', received text 'C'",
        "Different close: close, captured 1000, received no close frame",
    ]


async def _session(server: EchoServer, texts: list[str], code: int) -> CaptureStore:
    conn = await connect(server.url)
    for text in texts:
        conn.send_text(text)
    for _ in range(200):
        assert conn.store is not None
        if len(messages_of(conn.store, Role.SERVER)) >= len(texts):
            break
        await asyncio.sleep(0.01)
    await conn.close(code)
    assert conn.store is not None
    return conn.store


def test_differences_link_to_the_rows_of_both_sessions() -> None:
    async def main() -> tuple[CaptureStore, CaptureStore]:
        async with EchoServer("127.0.0.1", 0) as server:
            captured = await _session(server, ["a", "b", "c"], 4000)
            replayed = await _session(server, ["b", "C", "d", "e"], 4001)
        return captured, replayed

    captured, replayed = asyncio.run(asyncio.wait_for(main(), 10))
    diffs = compare_sessions(captured, replayed)
    # a missing; b the same; c against C, then d and e more; 4000 against 4001.
    assert [d.kind for d in diffs] == [
        DifferenceKind.MISSING,
        DifferenceKind.PAYLOAD,
        DifferenceKind.EXTRA,
        DifferenceKind.EXTRA,
        DifferenceKind.CLOSE,
    ]
    theirs = messages_of(captured, Role.SERVER)
    ours = messages_of(replayed, Role.SERVER)
    for diff in diffs:
        crow, rrow = difference_rows(diff, captured, replayed)
        if diff.kind is DifferenceKind.MISSING:
            assert rrow is None and crow == theirs[diff.index - 1].row  # type: ignore[operator]
        elif diff.kind is DifferenceKind.EXTRA:
            assert crow is None and rrow == ours[diff.index - 1].row  # type: ignore[operator]
        elif diff.kind is DifferenceKind.PAYLOAD:
            assert diff.replayed_index is not None and diff.index is not None
            assert crow == theirs[diff.index - 1].row
            assert rrow == ours[diff.replayed_index - 1].row
        else:  # the server's close frames, one in each session
            assert crow is not None and rrow is not None
            assert captured.b0[crow] & 0x0F == 8 and replayed.b0[rrow] & 0x0F == 8


def test_the_script_log_is_bounded_counted_and_escaped() -> None:
    log = ScriptLog(limit=3)
    for n in range(5):
        log.add("log", "", f"line {n}")
    log.add("error", "on_message", "raised \x1b[31m", "Traceback\n  \x07bell", "[1]")
    assert [e.text for e in log.entries] == ["line 3", "line 4", "raised \\e[31m"]
    assert log.dropped == 3
    error = log.last(("error", "slow"))
    assert error is not None
    assert "\x07" not in error.detail and "\n" in error.detail
    assert error.line() == "[1] error: raised \\e[31m"
    assert log.summary() == "1 error, 5 log lines"
    assert ScriptLog().summary() == "nothing reported yet"
