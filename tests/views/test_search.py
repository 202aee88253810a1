"""Tests of inspector.views.search: decoded fields found through the payload pre-filter."""

from __future__ import annotations

from inspector.capture.events import Direction, FramesCaptured, SessionInfo, SessionRole
from inspector.capture.store import CaptureStore
from inspector.protocol.connection import Protocol
from inspector.protocol.constants import Role
from inspector.protocol.frames import FrameBatch
from inspector.views.conversation import Conversation
from inspector.views.search import field_matches, search_fields


def conversation(*texts: str) -> Conversation:
    store = CaptureStore(SessionInfo("ws://x/", SessionRole.CLIENT, "", 0.0))
    server, client = Protocol(Role.SERVER), Protocol(Role.CLIENT)
    for text in texts:
        server.send_text(text)
    client.receive_data(b"".join(server.data_to_send()))
    for event in client.events_received():
        if isinstance(event, FrameBatch):
            store.add(FramesCaptured(0.0, Direction.IN, event))
    return Conversation(store)


def test_fields_not_payload_text() -> None:
    conv = conversation(
        '42["chat","hello"]',
        '42["news","chat about chat"]',  # "chat" in an argument only
        "SEND\ndestination:/queue/chat\n\n\x00",
        '{"jsonrpc":"2.0","method":"Chat.send","id":1}',
    )
    assert list(search_fields(conv, "chat")) == [0, 2, 3]  # case folded: Chat.send
    assert list(search_fields(conv, "chat", case=True)) == [0, 2]
    assert list(search_fields(conv, "chat", field="event")) == [0]
    assert list(search_fields(conv, "/queue", field="destination")) == [2]
    assert list(search_fields(conv, "chat", rows=[1, 2, 3])) == [2, 3]
    assert list(search_fields(conv, "")) == []


def test_escaped_json_is_still_found() -> None:
    # The event name is "chat" but the bytes say ch\u0061t: the pre-filter alone
    # would miss it, the backslash rule keeps it a candidate.
    conv = conversation('42["ch\\u0061t",1]', '42["tick",2]')
    assert conv.fields(0) == {"event": "chat"}
    assert list(search_fields(conv, "chat")) == [0]


def test_field_matches() -> None:
    fields = {"event": "Chat", "namespace": "/admin"}
    assert field_matches(fields, "chat") and not field_matches(fields, "chat", case=True)
    assert field_matches(fields, "adm", field="namespace")
    assert not field_matches(fields, "adm", field="event")
    assert not field_matches(fields, "x", field="missing")
