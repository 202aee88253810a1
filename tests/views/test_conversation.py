"""Tests of inspector.views.conversation: what a row shows, its summary, forced views."""

from __future__ import annotations

from inspector.capture.events import (
    Direction,
    FramesCaptured,
    MessageCaptured,
    SessionInfo,
    SessionRole,
)
from inspector.capture.store import CaptureStore
from inspector.protocol.connection import Protocol
from inspector.protocol.constants import Role
from inspector.protocol.frames import FrameBatch
from inspector.views.conversation import Conversation, sender_of


def store_of(
    wire: bytes, role: SessionRole = SessionRole.CLIENT, direction: Direction = Direction.IN
) -> CaptureStore:
    """A store holding what a peer sent, parsed as the recorder would."""
    store = CaptureStore(SessionInfo("ws://x/", role, "", 0.0))
    receiver = Role.CLIENT if sender_of(role, direction) is Role.SERVER else Role.SERVER
    proto = Protocol(receiver, auto_pong=False, auto_close=False)
    proto.receive_data(wire)
    for event in proto.events_received():
        if isinstance(event, FrameBatch):
            store.add(FramesCaptured(0.0, direction, event))
        elif hasattr(event, "first_seq"):
            store.add(MessageCaptured(0.0, direction, event))  # type: ignore[arg-type]
    return store


def test_sender_of_every_position() -> None:
    assert sender_of(SessionRole.CLIENT, Direction.OUT) is Role.CLIENT
    assert sender_of(SessionRole.SERVER, Direction.OUT) is Role.SERVER
    assert sender_of(SessionRole.PROXY, Direction.OUT) is Role.CLIENT
    assert sender_of(SessionRole.PROXY, Direction.IN) is Role.SERVER


def test_a_fragmented_message_shows_whole_on_its_last_row() -> None:
    # {"a": 1} in two fragments from a server, then a close.
    conv = Conversation(store_of(b'\x01\x04{"a"\x80\x04: 1}\x88\x02\x03\xe8'))
    data, meta = conv.payload(1)
    assert data == b'{"a": 1}' and meta.opcode == 1 and meta.sender is Role.SERVER
    first, first_meta = conv.payload(0)
    assert first == b'{"a"' and first_meta.truncated  # a fragment is part of a message
    assert conv.render(1).view == "json"
    assert conv.summary(2) == "1000 Normal closure"


def test_forced_views_per_connection_and_per_message() -> None:
    conv = Conversation(store_of(b"\x81\x02{}\x81\x02hi\x88\x00"))
    assert conv.render(0).view == "json"
    conv.force("hex")
    assert [conv.render(r).view for r in range(3)] == ["hex", "hex", "hex"]
    conv.force("json")  # a connection's forced view applies where it can read
    assert [conv.render(r).view for r in range(3)] == ["json", "text", "close"]
    conv.force("json", row=1)
    assert conv.render(1).view == "json" and conv.render(1).error is not None
    conv.force(None)
    assert conv.render(0).view == "json" and conv.forced(1) is None


def test_summaries_are_cached_and_bounded() -> None:
    conv = Conversation(store_of(b"\x81\x7e\x10\x00" + b"y" * 4096))
    line = conv.summary(0)
    assert line.startswith("yyy") and len(line) <= 241
    assert conv.summary(0) is line


def test_one_conversation_per_store_and_listeners() -> None:
    from inspector.views.conversation import conversation_for
    from inspector.views.registry import Registry, default_registry

    store = store_of(b"\x81\x02hi")
    conv = conversation_for(store)
    assert conversation_for(store) is conv, "the timeline and the detail pane share it"
    other = Registry()
    assert conversation_for(store, other).registry is other

    class Pane:
        def __init__(self) -> None:
            self.calls = 0

        def changed(self) -> None:
            self.calls += 1

    pane = Pane()
    conv = conversation_for(store, default_registry())
    conv.add_listener(pane.changed)
    conv.force("hex")
    conv.force(None, row=0)
    assert pane.calls == 2
    del pane  # a bound method is held weakly: a closed pane is forgotten
    conv.force(None)
    assert conv._listeners == []


def test_text_messages_beginning_with_given_bytes_are_indexed_as_far_as_asked() -> None:
    # binary, text "451-[", binary, a fragmented text "46" + "0-x", binary
    wire = (
        b"\x82\x01\x00"
        + b"\x81\x05451-["
        + b"\x82\x01\x01"
        + b"\x01\x0246\x80\x030-x"
        + b"\x82\x01\x02"
    )
    store = store_of(wire)
    conv = Conversation(store)
    starts = (b"45", b"46")
    assert [store.opcode(r) for r in range(len(store))] == [2, 1, 2, 1, 0, 2]
    assert not conv.text_starting_before(1, starts)  # nothing before the text
    assert conv.text_starting_before(2, starts)
    assert conv.text_starting_before(6, starts)
    assert not conv.text_starting_before(1, starts), "a later scan still answers earlier rows"
    assert conv.text_starting_before(5, (b"460",)), "a fragmented message: its whole data"
    assert not conv.text_starting_before(5, (b"461",))
    assert not conv.text_starting_before(6, (b"\x00",)), "binary messages are not text"
    assert conv.context(2).text_before(starts) and not conv.context(0).text_before(starts)


def test_the_text_index_scanned_ahead_of_a_row_answers_only_for_rows_after_the_message() -> None:
    # Binary rows, then the placeholder packet at row 40, then more binary rows: the
    # index is scanned past the row asked about, yet only later rows see the packet.
    binary = b"\x82\x01\x00"
    store = store_of(binary * 40 + b"\x81\x05451-[" + binary * 40)
    conv = Conversation(store)
    starts = (b"45", b"46")
    assert not conv.text_starting_before(3, starts)
    assert [conv.text_starting_before(r, starts) for r in (4, 39, 40)] == [False] * 3
    assert conv.text_starting_before(41, starts) and conv.text_starting_before(80, starts)
