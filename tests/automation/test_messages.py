"""One side's messages of a captured session, whichever position recorded it."""

from __future__ import annotations

from inspector.automation.messages import close_of, messages_of, request_of
from inspector.capture.events import CaptureEvent
from inspector.capture.store import CaptureStore
from inspector.engine.connection import Connection
from inspector.engine.server import EchoServer
from inspector.protocol.constants import Role

from ._peers import bounded, record


async def _talk(conn: Connection) -> None:
    conn.send_text("plain")
    conn.send_text("in three", fragments=3)
    conn.send_binary(b"\x00" * 10, compress=True)
    conn.send_close(4000, "done")


def test_the_client_and_the_server_side_in_both_positions() -> None:
    accepted: list[Connection] = []

    def keep(conn: Connection, event: CaptureEvent) -> None:
        if conn not in accepted:
            accepted.append(conn)

    async def main() -> tuple[CaptureStore, CaptureStore]:
        async with EchoServer("127.0.0.1", 0, keep_captures=True, on_event=keep) as server:
            conn = await record(server.url, _talk)
        [theirs] = accepted
        assert conn.store is not None and theirs.store is not None
        return conn.store, theirs.store

    client, server = bounded(main())
    for store in (client, server):
        sent = messages_of(store, Role.CLIENT)
        assert [(m.opcode, m.data) for m in sent] == [
            (1, b"plain"),
            (1, b"in three"),
            (2, b"\x00" * 10),
        ]
        assert [m.text for m in sent] == ["plain", "in three", None]
        assert not any(m.truncated for m in sent)
        assert [m.data for m in messages_of(store, Role.SERVER)] == [m.data for m in sent]
        assert close_of(store, Role.CLIENT) == (4000, "done")
        assert close_of(store, Role.SERVER) == (4000, "")
        request = request_of(store)
        assert request is not None and request.start_line == "GET / HTTP/1.1"
