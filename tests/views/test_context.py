"""Tests of inspector.views.context: the messages around a row, over a capture store
and over a list."""

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
from inspector.views.base import PayloadMeta
from inspector.views.context import ListContext, with_contexts
from inspector.views.conversation import Conversation


def session() -> CaptureStore:
    """A client's capture: text "a", a ping, "b" in two fragments, binary "c"."""
    store = CaptureStore(SessionInfo("ws://x/", SessionRole.CLIENT, "", 0.0))
    server, client = Protocol(Role.SERVER), Protocol(Role.CLIENT, auto_pong=False)
    server.send_text("a")
    server.send_ping(b"p")
    server.send_text("bb", fragments=2)
    server.send_binary(b"c")
    client.receive_data(b"".join(server.data_to_send()))
    for t, event in enumerate(client.events_received()):
        if isinstance(event, FrameBatch):
            store.add(FramesCaptured(float(t), Direction.IN, event))
        elif hasattr(event, "first_seq"):
            store.add(MessageCaptured(float(t), Direction.IN, event))  # type: ignore[arg-type]
    return store


def test_store_context_walks_complete_data_messages() -> None:
    store = session()
    conv = Conversation(store)
    assert len(store) == 5  # a, ping, b(1/2), b(2/2), c
    _, meta = conv.payload(4)
    ctx = meta.context
    assert ctx is not None and ctx.index == 4 and ctx.time == store.t[4]
    assert [(m.index, m.data) for m in ctx.before()] == [(3, b"bb"), (0, b"a")]
    assert all(m.meta.context is None and m.meta.sender is Role.SERVER for m in ctx.before())
    assert [m.data for m in ctx.before(limit=1)] == [b"bb"]
    first = conv.payload(0)[1].context
    assert first is not None and [m.data for m in first.after()] == [b"bb", b"c"]
    assert [m.data for m in ctx.first(2)] == [b"a", b"bb"]
    # One scratch dict per view for the whole session.
    ctx.state("x")["seen"] = True
    assert conv.payload(1)[1].context is not None
    assert conv.context(1).state("x") == {"seen": True}


def test_list_context() -> None:
    items = [(bytes([i]), PayloadMeta(opcode=2), float(i)) for i in range(5)]
    session_items = with_contexts(items)
    ctx = session_items[2][1].context
    assert isinstance(ctx, ListContext) and ctx.time == 2.0
    assert [m.data for m in ctx.before()] == [b"\x01", b"\x00"]
    assert [m.data for m in ctx.after(limit=1)] == [b"\x03"]
    assert [m.index for m in ctx.first(3)] == [0, 1, 2]
    ctx.state("v")["k"] = 1
    other = session_items[4][1].context
    assert other is not None and other.state("v") == {"k": 1}


def test_kinds_before_and_message_agree_with_before() -> None:
    store = session()
    conv = Conversation(store)
    for row in range(len(store) + 1):
        ctx = conv.context(row)
        for limit in (1, 2, 64):
            walked = [(m.index, m.meta.opcode, m.meta.sender) for m in ctx.before(limit)]
            assert list(ctx.kinds_before(limit)) == walked
    ctx = conv.context(4)
    # The row a fragmented message ends on gives the message; a fragment, a control
    # frame and a row past the end give none.
    whole = ctx.message(3)
    assert whole is not None and (whole.data, whole.meta.opcode) == (b"bb", 1)
    assert [ctx.message(r) for r in (1, 2, 5, -1)] == [None] * 4
    items = with_contexts([(bytes([i]), PayloadMeta(opcode=1 + i % 2)) for i in range(4)])
    listed = items[3][1].context
    assert listed is not None
    assert list(listed.kinds_before()) == [(2, 1, None), (1, 2, None), (0, 1, None)]
    found = listed.message(1)
    assert found is not None and found.data == b"\x01" and listed.message(4) is None
