"""Tests of inspector.views.formats.socketio: packets from python-socketio's and
python-engineio's encoders, and a live python-socketio server on loopback captured
with our engine client."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from engineio import packet as eio
from socketio import packet as sio

from inspector.capture.events import Direction
from inspector.engine.client import connect
from inspector.protocol.constants import Role
from inspector.views.base import PayloadMeta, Syntax
from inspector.views.context import with_contexts
from inspector.views.conversation import Conversation
from inspector.views.registry import default_registry
from inspector.views.search import search_fields

REG = default_registry()
TEXT = PayloadMeta(opcode=1, sender=Role.SERVER)
BINARY = PayloadMeta(opcode=2, sender=Role.SERVER)


def message(packet: sio.Packet) -> list[bytes]:
    """An Engine.IO message per part of a Socket.IO packet, as they go on a WebSocket."""
    encoded = packet.encode()
    parts = encoded if isinstance(encoded, list) else [encoded]
    return [
        eio.Packet(eio.MESSAGE, data=p).encode().encode() if isinstance(p, str) else p
        for p in parts
    ]


def test_engine_io_packets_are_named() -> None:
    opening = eio.Packet(
        eio.OPEN, data={"sid": "abc", "upgrades": [], "pingInterval": 25000, "pingTimeout": 5000}
    )
    cases = {
        opening.encode().encode(): (
            'engine.io OPEN sid="abc" pingInterval=25000 pingTimeout=5000 upgrades=[]'
        ),
        eio.Packet(eio.PING).encode().encode(): "engine.io PING",
        eio.Packet(eio.PONG, data="probe").encode().encode(): "engine.io PONG probe",
        eio.Packet(eio.UPGRADE).encode().encode(): "engine.io UPGRADE",
        eio.Packet(eio.NOOP).encode().encode(): "engine.io NOOP",
        eio.Packet(eio.CLOSE).encode().encode(): "engine.io CLOSE",
    }
    opened = opening.encode().encode()
    for data, line in cases.items():
        # In a session that opened as Engine.IO.
        (_, (_, meta)) = with_contexts([(opened, TEXT), (data, TEXT)])
        assert REG.best(data, meta).name == "socket.io", data
        assert REG.summary(data, meta) == line
    # Alone, "1", "2"... are as likely plain text (a counter, an echo test).
    for lone in (b"1", b"2", b"5", b"6"):
        assert REG.best(lone, TEXT).name == "text", lone
    assert REG.best(b"3probe", TEXT).name == "socket.io"


def test_event_with_namespace_and_ack() -> None:
    (data,) = message(
        sio.Packet(sio.EVENT, data=["chat", "hi", {"n": 1}], namespace="/admin", id=12)
    )
    assert REG.best(data, TEXT).name == "socket.io"
    assert REG.summary(data, TEXT) == 'socket.io EVENT "chat" /admin ack=12 [2] "hi", {1}'
    assert REG.fields(data, TEXT) == {"event": "chat", "namespace": "/admin", "id": "12"}
    r = REG.render(data, TEXT)
    assert r.error is None and r.syntax is Syntax.KEY_VALUE and r.fields["event"] == "chat"
    assert r.text.splitlines()[:4] == [
        "socket.io EVENT",
        "namespace  /admin",
        "ack id     12",
        "event      chat",
    ]
    assert r.tree is not None and [c.label for c in r.tree.children] == [
        "type",
        "namespace",
        "ack id",
        "data",
    ]


def test_connect_ack_disconnect_and_errors() -> None:
    cases = [
        (
            sio.Packet(sio.CONNECT, data={"sid": "s1"}, namespace="/admin"),
            "socket.io CONNECT /admin {1} sid",
        ),
        (sio.Packet(sio.CONNECT, namespace="/"), "socket.io CONNECT"),
        (
            sio.Packet(sio.ACK, data=["ok", 3], namespace="/", id=7),
            'socket.io ACK ack=7 [2] "ok", 3',
        ),
        (sio.Packet(sio.DISCONNECT, namespace="/chat"), "socket.io DISCONNECT /chat"),
        (
            sio.Packet(sio.CONNECT_ERROR, data={"message": "Not authorized"}),
            'socket.io CONNECT_ERROR "Not authorized"',
        ),
    ]
    for packet, line in cases:
        (data,) = message(packet)
        assert REG.summary(data, TEXT) == line, data


def test_binary_attachments_are_joined_both_ways() -> None:
    packet = sio.Packet(
        sio.EVENT, data=["upload", b"\x00\x01", {"thumb": b"ab"}], namespace="/files", id=3
    )
    parts = message(packet)
    assert len(parts) == 3 and parts[0].startswith(b"452-/files,3")
    # The client's own message in between must not be taken for an attachment.
    items = [(parts[0], TEXT), (b"2", PayloadMeta(opcode=1, sender=Role.CLIENT))]
    items += [(p, BINARY) for p in parts[1:]] + [(b"\x00\x01", BINARY)]
    session = with_contexts(items)
    summaries = [REG.summary(d, m) for d, m in session]
    assert summaries == [
        'socket.io BINARY_EVENT "upload" /files ack=3 +2 binary [2] {2}, {1}',
        "engine.io PING",
        'socket.io attachment 1/2 of "upload" 2 B',
        'socket.io attachment 2/2 of "upload" 2 B',
        "00 01",  # a third binary message is no attachment
    ]
    head = REG.render(*session[0])
    assert "attachments 2 of 2 joined" in head.text
    assert "h'0001'" in head.text and "\"thumb\": h'6162'" in head.text
    second = REG.render(*session[3])
    assert second.text.startswith('attachment 2 of 2 of "upload" (the packet on row 0), 2 B')
    # Without the session a binary message is just bytes.
    assert REG.best(parts[1], BINARY).name != "socket.io"


def test_malformed_packets_say_where() -> None:
    bad = {
        b'42["chat", ': "not valid Socket.IO at byte 11: Expecting value in the packet's JSON",
        b'42{"a": 1}': "not valid Socket.IO at byte 2: EVENT data must be an array",
        b"45[]": "not valid Socket.IO at byte 2: a binary packet needs its attachment count",
        b"9x": "not valid Socket.IO at byte 0: b'9' is not an Engine.IO packet type (0-6)",
    }
    for data, error in bad.items():
        assert REG.render(data, TEXT, "socket.io").error == error


def test_plain_text_is_not_socket_io() -> None:
    for data in (b"hello", b"42 is the answer", b"2024-01-01", b"45", b"42"):
        assert REG.best(data, TEXT).name == "text", data


async def _until(test: Callable[[], bool], timeout: float = 5.0) -> None:
    async def poll() -> None:
        while not test():
            await asyncio.sleep(0.01)

    await asyncio.wait_for(poll(), timeout)


def test_a_live_python_socketio_server() -> None:
    import socketio
    from aiohttp import web

    async def scenario() -> None:
        server = socketio.AsyncServer(async_mode="aiohttp", ping_interval=30)
        app = web.Application()
        server.attach(app)

        @server.on("chat")  # type: ignore[untyped-decorator]
        async def chat(sid: str, text: str) -> None:
            await server.emit("said", {"text": text}, to=sid)

        @server.on("ask", namespace="/admin")  # type: ignore[untyped-decorator]
        async def ask(sid: str, n: int) -> tuple[Any, ...]:
            return ("answer", n + 1)  # a tuple: two arguments

        @server.on("upload")  # type: ignore[untyped-decorator]
        async def upload(sid: str, name: str) -> None:
            await server.emit("file", (name, b"\x89PNG", {"tail": b"\x00\xff"}), to=sid)

        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = runner.addresses[0][1]
        try:
            conn = await connect(f"ws://127.0.0.1:{port}/socket.io/?EIO=4&transport=websocket")
            store = conn.store
            assert store is not None

            def received() -> list[bytes]:
                return [
                    store.payloads[r]
                    for r in range(len(store))
                    if store.direction(r) is Direction.IN
                ]

            await _until(lambda: len(received()) >= 1)  # the Engine.IO open
            conn.send_text("40")
            conn.send_text("40/admin,")
            await _until(lambda: len(received()) >= 3)
            conn.send_text('42["chat","hello"]')
            conn.send_text("40/admin,")  # again: the server refuses
            conn.send_text('42/admin,5["ask",41]')
            conn.send_text('42["upload","logo.png"]')
            await _until(lambda: len(received()) >= 8)
            await asyncio.wait_for(conn.close(), 5)
        finally:
            await asyncio.wait_for(runner.cleanup(), 10)

        conv = Conversation(store)
        lines = [conv.summary(r) for r in range(len(store)) if store.opcode(r) in (1, 2)]
        assert lines[0].startswith('engine.io OPEN sid="')
        assert 'socket.io EVENT "chat" [1] "hello"' in lines
        assert 'socket.io EVENT "said" [1] {1}' in lines
        assert "socket.io CONNECT /admin {1} sid" in lines
        assert 'socket.io CONNECT_ERROR /admin "Unable to connect"' in lines
        assert 'socket.io ACK /admin ack=5 [2] "answer", 42' in lines
        assert 'socket.io BINARY_EVENT "file" +2 binary [3] "logo.png", {2}, {1}' in lines
        assert 'socket.io attachment 1/2 of "file" 4 B' in lines
        assert 'socket.io attachment 2/2 of "file" 2 B' in lines
        file_row = next(
            r for r in range(len(store)) if conv.summary(r).startswith("socket.io BINARY")
        )
        rendered = conv.render(file_row)
        assert "attachments 2 of 2 joined" in rendered.text and "h'89504e47'" in rendered.text
        # A search over decoded fields finds event names, not payload text.
        said = search_fields(conv, "said")
        assert [conv.fields(r)["event"] for r in said] == ["said"]
        assert list(search_fields(conv, "hello")) == []  # an argument, not a field
        assert len(search_fields(conv, "/admin", field="namespace")) >= 2

    asyncio.run(scenario())


def test_an_engineio_open_packet_is_told_from_other_messages() -> None:
    from inspector.views.formats.socketio import opens_session

    opened = eio.Packet(
        eio.OPEN, {"sid": "abc", "upgrades": [], "pingInterval": 25000, "pingTimeout": 20000}
    ).encode()
    assert isinstance(opened, str)
    assert opens_session(opened.encode())
    for other in (b"2", b"0", b'0{"sid": "x"}', b"0{not json", b'{"sid":"x"}', b"0\xff{"):
        assert not opens_session(other)
