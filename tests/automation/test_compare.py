"""The server's answers in two sessions, compared message by message (stores made
by hand: the comparison is pure)."""

from __future__ import annotations

from inspector.automation.compare import DifferenceKind, compare_sessions
from inspector.capture.events import Direction, FramesCaptured, SessionRole
from inspector.capture.store import CaptureStore
from inspector.engine.connection import new_session
from inspector.protocol.constants import Role
from inspector.protocol.frames import Frame, encode_header


def session(*answers: str | bytes, close: tuple[int, str] | None = (1000, "")) -> CaptureStore:
    """A client's capture in which the server sent ``answers`` and then ``close``."""
    store = CaptureStore(new_session("ws://x/", Role.CLIENT))
    assert store.session.role is SessionRole.CLIENT
    offset = 0
    frames: list[Frame] = []
    for seq, answer in enumerate(answers):
        op, data = (1, answer.encode()) if isinstance(answer, str) else (2, answer)
        header = encode_header(0x80 | op, len(data), None)
        frames.append(Frame(seq, offset, header, data))
        offset += len(header) + len(data)
    if close is not None:
        payload = close[0].to_bytes(2, "big") + close[1].encode()
        frames.append(Frame(len(answers), offset, encode_header(0x88, len(payload), None), payload))
    store.add(FramesCaptured(0.1, Direction.IN, frames))
    return store


def test_the_same_answers_have_no_difference() -> None:
    assert compare_sessions(session("a", b"\x01", "c"), session("a", b"\x01", "c")) == []


def test_one_answer_missing_in_the_middle_is_one_difference() -> None:
    diffs = compare_sessions(session("a", "b", "c", "d"), session("a", "c", "d"))
    assert [(d.kind, d.index) for d in diffs] == [(DifferenceKind.MISSING, 2)]
    assert diffs[0].line() == "message 2 missing: captured text 'b'"


def test_extra_and_different_answers() -> None:
    diffs = compare_sessions(session("a", "b"), session("a", "B", "x"))
    assert [(d.kind, d.index) for d in diffs] == [
        (DifferenceKind.PAYLOAD, 2),
        (DifferenceKind.EXTRA, 3),
    ]
    assert diffs[0].line() == "message 2 different: captured text 'b', received text 'B'"
    assert diffs[1].to_json() == {
        "type": "compare",
        "difference": "extra",
        "index": 3,
        "captured": None,
        "received": "text 'x'",
    }


def test_binary_answers_are_described_by_size_and_bytes() -> None:
    diffs = compare_sessions(session(b"\x00\x01"), session(b"\x00\x02"))
    assert diffs[0].captured == "binary 2 bytes (00 01)"


def test_a_different_close_is_a_difference() -> None:
    diffs = compare_sessions(session("a", close=(1000, "")), session("a", close=(4001, "no")))
    assert [d.kind for d in diffs] == [DifferenceKind.CLOSE]
    assert diffs[0].line() == "close different: captured 1000 (normal closure), received " + (
        "4001 (private use) 'no'"
    )
    missing = compare_sessions(session("a"), session("a", close=None))
    assert missing[0].replayed == "no close frame"


def test_peer_text_in_a_difference_is_escaped() -> None:
    diffs = compare_sessions(session("ok"), session("\x1b[2Jbad"))
    assert "\x1b" not in diffs[0].line()
