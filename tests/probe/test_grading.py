"""Grading without a server: recorded observations in, grades and words out.

Each test feeds :func:`inspector.probe.grading.grade` what an observer records on a
case's connection (the echoes, pongs, the server's close frame, how TCP ended) for a
case of the real registry, and checks the verdict. This pins the grading rules
independently of any server's version.
"""

from __future__ import annotations

from typing import Any

import pytest

from inspector.probe import CASES, Grade
from inspector.probe.case import Case
from inspector.probe.grading import Observation, ServerClose, grade
from inspector.probe.model import Blob, Echo, SendMessage
from inspector.protocol.constants import Opcode
from inspector.protocol.events import Message

BY_ID = {case.id: case for case in CASES}
TEXT = int(Opcode.TEXT)


def text(data: bytes, seq: int = 0) -> Message:
    return Message(TEXT, data, data.decode("utf-8", "replace"), seq, seq, len(data))


def judged(case_id: str, waited: float = 3.0, **seen: Any) -> tuple[Grade, str]:
    return grade(BY_ID[case_id], Observation(**seen), waited)


def answered_our_close(code: int | None = 1000) -> ServerClose:
    return ServerClose(code, empty=code is None, first=False)


def closed_first(code: int | None, reason: str | None = None, phase: int = 0) -> ServerClose:
    return ServerClose(code, reason, empty=code is None, first=True, phase=phase)


# -------------------------------------------------------------------------------- echo
def test_echo_passes_with_a_clean_closing_handshake() -> None:
    verdict, words = judged(
        "2.13",
        messages=[text(b"first"), text(b"second", 2)],
        pongs=[b"between"],
        synced=True,
        close=answered_our_close(),
        tcp_closed=True,
        we_closed=True,
        final_close=True,
    )
    assert verdict is Grade.PASSED
    assert words == "echoed the 2 text messages, in order; answered the ping; closed cleanly"


def test_echo_weaknesses_are_non_strict() -> None:
    pings = [f"ping {i}".encode() for i in range(10)]
    verdict, words = judged(
        "2.10", pongs=pings[-3:], close=answered_our_close(), tcp_closed=True, we_closed=True
    )
    assert verdict is Grade.NON_STRICT
    assert "answered 3 of the 10 pings, the last one included" in words
    left_open = judged(
        "2.1",
        pongs=[b""],
        close=answered_our_close(),
        tcp_closed=True,
        tcp_left_open=True,
        we_closed=True,
    )
    assert left_open == (
        Grade.NON_STRICT,
        "answered the ping; closed cleanly (but the server left TCP open)",
    )
    dropped = judged("2.1", pongs=[b""], tcp_closed=True, we_closed=True, final_close=True)
    assert dropped == (
        Grade.NON_STRICT,
        "answered the ping; the server dropped TCP without answering our close frame",
    )


def test_echo_failures() -> None:
    verdict, words = judged("5.4", close=closed_first(1002, "nope"), tcp_closed=True)
    assert verdict is Grade.FAILED
    assert (
        words
        == "no echo; the server closed on its own with 1002 (protocol error) and reason 'nope'"
    )
    wrong = judged("5.4", messages=[text(b"fragmented messagX")], synced=True)
    assert wrong[0] is Grade.FAILED
    assert wrong[1].startswith("the echo differs from what was sent at byte 17")
    late = judged("5.4", timed_out=True)
    assert late == (
        Grade.FAILED,
        "no echo; nothing more within the time limit (the connection was still open (aborted))",
    )
    # Echoed, then the server closed on its own: the connection was not usable.
    echoed_then_closed = judged(
        "5.4", messages=[text(b"fragmented message")], close=closed_first(1000), tcp_closed=True
    )
    assert echoed_then_closed[0] is Grade.FAILED


def test_refusing_a_large_message_with_1009_is_info() -> None:
    verdict, words = judged("9.1.1", close=closed_first(1009), tcp_closed=True)
    assert verdict is Grade.INFO
    assert words.startswith("the server refused the message as too big: the server closed")
    # Not for a case that does not allow it.
    assert judged("5.4", close=closed_first(1009), tcp_closed=True)[0] is Grade.FAILED


def test_a_large_echo_is_compared_by_size_and_content() -> None:
    blob = Blob(300_000, text=False)
    case = Case("x.1", "limits", "big", (SendMessage(2, blob),), Echo(((2, blob),)))
    data = bytearray(blob.make())
    data[123_456] ^= 1
    got = Message(2, bytes(data), None, 0, 0, len(data))
    verdict, words = grade(case, Observation(messages=[got], synced=True), 3.0)
    assert verdict is Grade.FAILED and "differs from what was sent at byte 123456" in words
    short = Message(2, bytes(data[:10]), None, 0, 0, 10)
    words = grade(case, Observation(messages=[short], synced=True), 3.0)[1]
    assert "has 10 bytes instead of 300000" in words


# -------------------------------------------------------------------------------- fail
def test_failing_the_connection_with_the_right_code_passes() -> None:
    verdict, words = judged("5.1", close=closed_first(1002, "control frames"), tcp_closed=True)
    assert verdict is Grade.PASSED
    assert (
        words
        == "the server closed on its own with 1002 (protocol error) and reason 'control frames'"
    )


@pytest.mark.parametrize(
    ("close", "expected_grade", "words"),
    [
        (None, Grade.NON_STRICT, "the server dropped TCP without a close frame"),
        (closed_first(None), Grade.NON_STRICT, "no status code (empty close frame)"),
        (closed_first(1011), Grade.NON_STRICT, "an error, but 1002 fits better"),
        (closed_first(1000), Grade.FAILED, "a code that does not say anything was wrong"),
    ],
)
def test_failing_the_connection_otherwise(
    close: ServerClose | None, expected_grade: Grade, words: str
) -> None:
    verdict, said = judged("5.1", close=close, tcp_closed=True)
    assert verdict is expected_grade and words in said


def test_echoing_the_offending_message_fails() -> None:
    verdict, words = judged(
        "6.3.1", messages=[text(b"x")], close=closed_first(1007), tcp_closed=True
    )
    assert (verdict, words.split(",")[0]) == (Grade.FAILED, "echoed the offending message")
    ignored = judged(
        "6.3.1",
        messages=[text(b"x")],
        synced=True,
        close=answered_our_close(),
        tcp_closed=True,
        we_closed=True,
        final_close=True,
    )
    assert ignored[0] is Grade.FAILED
    assert ignored[1].startswith("echoed the offending message instead of failing the connection")


def test_the_messages_before_the_offending_frame() -> None:
    ok = judged("3.4.1", messages=[text(b"valid")], close=closed_first(1002), tcp_closed=True)
    assert ok[0] is Grade.PASSED and ok[1].startswith("echoed the text message of 5 bytes; then")
    missing = judged("3.4.1", close=closed_first(1002), tcp_closed=True)
    assert missing[0] is Grade.NON_STRICT
    assert "without echoing the text message of 5 bytes that came before" in missing[1]


def test_fail_fast() -> None:
    fast = judged("6.4.1", close=closed_first(1007, phase=1), tcp_closed=True, end_phase=1)
    assert fast[0] is Grade.PASSED and fast[1].endswith("as soon as the bad bytes came")
    lazy = judged("6.4.1", close=closed_first(1007, phase=2), tcp_closed=True, end_phase=2)
    assert lazy[0] is Grade.NON_STRICT and "only after the rest of the message" in lazy[1]
    dropped_late = judged("6.4.1", tcp_closed=True, end_phase=2)
    assert dropped_late[0] is Grade.NON_STRICT and "only after the rest" in dropped_late[1]


def test_ignoring_the_offending_frame() -> None:
    kept_open: dict[str, Any] = {
        "synced": True,
        "close": answered_our_close(),
        "tcp_closed": True,
        "we_closed": True,
        "final_close": True,
    }
    verdict, words = judged("5.1", **kept_open)
    assert verdict is Grade.FAILED
    assert words.startswith("ignored it: kept the connection open and answered our ping;")
    # 6.4.4's message never ends: a server that checks whole messages may wait.
    waiting = judged("6.4.4", **kept_open)
    assert waiting == (
        Grade.NON_STRICT,
        "ignored it: kept the connection open and answered our ping (it waits for the rest "
        "of the message)",
    )
    silent = judged(
        "1.4.1", waited=1.0, tcp_closed=True, aborted=True, we_closed=True, final_close=True
    )
    assert silent[0] is Grade.FAILED
    assert silent[1].startswith("no reaction within 1 s (no close, no pong)")


# ------------------------------------------------------------------------------- close
def test_close_replies() -> None:
    assert judged("7.7.6", close=answered_our_close(1008), tcp_closed=True, we_closed=True) == (
        Grade.PASSED,
        "the server answered our close frame with 1008 (policy violation)",
    )
    lenient = judged("7.7.6", close=answered_our_close(1000), tcp_closed=True, we_closed=True)
    assert lenient[0] is Grade.NON_STRICT
    wrong = judged("7.9.4", close=answered_our_close(1005), tcp_closed=True, we_closed=True)
    assert wrong[0] is Grade.FAILED and wrong[1].endswith("1002 (protocol error) is expected")
    left_open = judged(
        "7.9.4", close=answered_our_close(1002), tcp_closed=True, tcp_left_open=True, we_closed=True
    )
    assert left_open == (
        Grade.NON_STRICT,
        "the server answered our close frame with 1002 (protocol error), but did not close TCP",
    )


def test_nothing_may_come_after_our_close_frame() -> None:
    echoed = judged(
        "7.1.3",
        messages=[text(b"after close")],
        close=answered_our_close(),
        tcp_closed=True,
        we_closed=True,
    )
    assert echoed[0] is Grade.FAILED and echoed[1].startswith("echoed data sent after our close")
    ponged = judged(
        "7.1.4", pongs=[b"after close"], close=answered_our_close(), tcp_closed=True, we_closed=True
    )
    assert ponged[0] is Grade.FAILED and ponged[1].startswith("answered a ping sent after our")
    # 7.1.6: the message before our close frame may be echoed.
    first = judged(
        "7.1.6",
        messages=[text(b"m")],
        messages_before_our_close=1,
        close=answered_our_close(),
        tcp_closed=True,
        we_closed=True,
    )
    assert first[0] is Grade.PASSED


def test_a_drop_in_answer_to_a_bad_close_frame() -> None:
    dropped = judged("7.9.4", tcp_closed=True, we_closed=True)
    assert dropped == (
        Grade.NON_STRICT,
        "the server dropped TCP without answering our close frame",
    )
    # A valid close frame must be answered: a drop fails.
    assert judged("7.7.1", tcp_closed=True, we_closed=True)[0] is Grade.FAILED


def test_a_close_frame_nobody_answered_is_not_a_drop() -> None:
    """The probe aborted TCP after waiting: the server neither answered our close
    frame nor dropped the connection, which no case allows."""
    verdict, words = judged("7.9.4", waited=3.0, tcp_closed=True, aborted=True, we_closed=True)
    assert (verdict, words) == (Grade.FAILED, "no answer to our close frame within 3 s")
    # The same when our engine's close timer ended TCP (it says so in a close error).
    timer = judged("7.9.4", waited=3.0, tcp_closed=True, tcp_left_open=True, we_closed=True)
    assert timer == (Grade.FAILED, "no answer to our close frame within 3 s")
    echo = judged(
        "2.1", pongs=[b""], tcp_closed=True, aborted=True, we_closed=True, final_close=True
    )
    assert echo == (Grade.NON_STRICT, "answered the ping; the connection was still open (aborted)")
    silent = Observation(tcp_closed=True, tcp_left_open=True, we_closed=True, final_close=True)
    assert not silent.reacted and not silent.dropped
    assert Observation(tcp_closed=True, we_closed=True).reacted  # the server's drop


# ----------------------------------------------------------------------------- observe
def test_observations_are_info() -> None:
    echoed = judged(
        "1.3.1",
        messages=[text(b"Hello, world!")],
        synced=True,
        close=answered_our_close(),
        tcp_closed=True,
        we_closed=True,
        final_close=True,
    )
    assert echoed[0] is Grade.INFO
    assert echoed[1] == (
        "echoed the text message of 13 bytes; answered our ping afterwards; the server "
        "answered our close frame with 1000 (normal closure)"
    )
    refused = judged("1.3.1", close=closed_first(1002), tcp_closed=True)
    assert refused[0] is Grade.INFO and "closed on its own with 1002" in refused[1]
    waited = judged("9.5.1", tcp_closed=True, aborted=True, we_closed=True, final_close=True)
    assert waited[0] is Grade.INFO
    assert "no reaction (a ping sent after it got no answer)" in waited[1]


def test_the_servers_own_mistakes_are_named() -> None:
    verdict, words = judged(
        "5.1",
        close=closed_first(1002),
        tcp_closed=True,
        server_problems=["the server masked its frame"],
    )
    assert verdict is Grade.PASSED
    assert words.endswith("; its own frames broke rules: the server masked its frame")


def test_every_registered_case_can_be_graded() -> None:
    """Nothing seen at all (the probe aborted): every case gets a grade and words."""
    for case in CASES:
        verdict, words = grade(case, Observation(tcp_closed=True, aborted=True), 1.0)
        assert verdict in Grade and words, case.id
