"""Tests of the asyncio connection (inspector.engine.connection): what it reads when the
connection dies, how it reports the end, and what it leaves behind."""

from __future__ import annotations

import asyncio

from inspector.capture.events import Direction
from inspector.engine.client import connect
from inspector.protocol.constants import Opcode

from ._engine_support import (
    HostileConn,
    HostileServer,
    Recorder,
    close_frames,
    finish,
    run_async,
    until_reset,
)


def test_what_the_peer_sent_before_a_reset_is_read_when_a_write_fails() -> None:
    """The server sends its close frame and resets the connection; our next write fails
    (ECONNRESET) before the event loop read the close frame. The frame is still in the
    socket buffer: it must be read, parsed and recorded, and the server not blamed for
    dropping TCP without a close frame (issue 9 item 2)."""
    ready = asyncio.Event()

    async def script(hs: HostileConn) -> None:
        await hs.handshake()
        await asyncio.wait_for(ready.wait(), 5)
        await hs.send(hs.close(1002, "bad frame"))
        hs.reset()

    async def main() -> None:
        async with HostileServer(script) as server:
            rec = Recorder()
            conn = await connect(server.url, listeners=[rec])
            assert conn.transport is not None
            # The race made certain: the write runs before the loop sees the frame.
            conn.transport.pause_reading()
            ready.set()
            await server.done()
            await until_reset(conn.transport.get_extra_info("socket"))
            conn.send_text("too late")
            await finish(conn)
        (close,) = close_frames(rec.frames(Direction.IN))
        assert (close.close_code, close.close_reason) == (1002, "bad frame")
        final = conn.final_state
        assert final is not None and final.code == 1002 and final.clean is False
        assert "without a close frame" not in final.detail
        # The write that failed was tried; the close reply could not be written at
        # all, so it is not recorded as sent.
        assert [f.opcode for f in rec.frames(Direction.OUT)] == [Opcode.TEXT]

    run_async(main)
