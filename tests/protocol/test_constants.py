"""Tests of the names for the numbers on the wire (inspector.protocol.constants)."""

from __future__ import annotations

from inspector.protocol.constants import (
    ConnectionState,
    Opcode,
    Role,
    close_code_name,
    describe_close,
)


def test_roles_and_their_peers() -> None:
    assert Role.CLIENT.peer is Role.SERVER and Role.SERVER.peer is Role.CLIENT


def test_one_connection_state_for_protocol_engine_and_capture() -> None:
    from inspector.capture.events import ConnectionState as CaptureState

    assert CaptureState is ConnectionState
    assert [s.value for s in ConnectionState] == ["connecting", "open", "closing", "closed"]


def test_opcodes() -> None:
    assert Opcode.PING.is_control and not Opcode.TEXT.is_control
    assert Opcode(0x3).is_reserved and not Opcode.CLOSE.is_reserved


def test_close_codes_in_words() -> None:
    assert close_code_name(1002) == "Protocol error"
    assert describe_close(1000, "bye") == "1000 (normal closure) 'bye'"
    assert describe_close(None) == "no status code"
    assert describe_close(4000, "x" * 100).endswith("...'")
