"""Tests of what the sans-I/O protocol reports (inspector.protocol.events)."""

from __future__ import annotations

from inspector.protocol.constants import Opcode
from inspector.protocol.events import Failure, Message
from inspector.protocol.violations import Rule, Violation


def test_a_message_in_words() -> None:
    plain = Message(Opcode.TEXT, b"hi", "hi", 0, 0, 2)
    assert plain.is_text and plain.fragments == 1 and str(plain) == "TEXT message, 2 bytes"
    packed = Message(Opcode.BINARY, b"x" * 100, None, 1, 3, 12, True, False, 3)
    assert str(packed) == "BINARY message, 100 bytes (12 compressed) in 3 frames"


def test_a_failure_in_words() -> None:
    violation = Violation(Rule.INVALID_UTF8, "bad byte", 7)
    failure = Failure(violation, violation.rule.close_code)
    assert str(failure) == (
        "failing the connection with 1007: invalid-utf8 (RFC 6455 §8.1) at byte 7: bad byte"
    )
