"""Tests of inspector.engine.proxy.relay: what is forwarded is what is recorded, large
frames pipelined behind one another included."""

from __future__ import annotations

import asyncio

from inspector.capture.events import Direction

from .._engine_support import MAX_SIZE, WebsocketsPeer, run_async
from ._proxy_support import frames_of, reverse_proxy


def test_pipelined_large_messages_are_recorded_exactly_both_ways() -> None:
    # Sizes that make reads end inside a frame, at its end and past it, between
    # small messages: each large frame is parsed apart from what follows it.
    from websockets.asyncio.client import connect

    sizes = [70_000, 300_001, 5, 1_048_576, 65_536, 3, 200_000, 131_072, 1, 450_000]
    messages = [bytes([i]) * 7 + bytes(range(256)) * (n // 256) + b"#" * (n % 256) for i, n in
                enumerate(sizes)]  # fmt: skip

    async def main() -> None:
        async with WebsocketsPeer() as peer, reverse_proxy(peer.url) as px:
            async with connect(px.url, max_size=MAX_SIZE, proxy=None, compression=None) as ws:
                for m in messages:
                    await ws.send(m)
                for m in messages:
                    assert await asyncio.wait_for(ws.recv(), 30) == m
            conn = await px.closed(timeout=30)
        for side in (Direction.OUT, Direction.IN):
            data = [f for f in frames_of(conn, side) if f.opcode == 2]
            assert [f.payload for f in data] == messages
            assert all(not f.violations for f in data)
            offsets = [f.offset for f in frames_of(conn, side)]
            assert offsets == sorted(offsets) and len(set(offsets)) == len(offsets)

    run_async(main, timeout=60)
