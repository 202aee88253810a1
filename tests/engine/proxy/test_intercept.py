"""The interception pipeline with real peers: a websockets client and server through
the proxy, breakpoints held and dealt with, the queue at its limit, injection, hooks,
and permessage-deflate taken out of the offer while controls are on."""

from __future__ import annotations

import asyncio
from typing import Any

from inspector.capture.events import Direction, Intervention, InterventionCaptured
from inspector.capture.formats.jsonl import read_jsonl, write_jsonl
from inspector.engine.proxy import BreakFilter, Controls, HeldItem, QueueFull, Rules
from inspector.engine.proxy.intercept import Pipe
from inspector.protocol.constants import Opcode, Role
from inspector.protocol.events import Message
from inspector.protocol.frames import FrameSpec

from .._engine_support import TIMEOUT_FACTOR, Peer, WebsocketsPeer, run_async
from ._proxy_support import ProxyRun, RawServer, frames_of, raw_client, reverse_proxy, store


def interventions(px: ProxyRun, index: int = 0) -> list[InterventionCaptured]:
    return [e for e in store(px.conns[index]).events if isinstance(e, InterventionCaptured)]


def changes(px: ProxyRun, index: int = 0) -> list[InterventionCaptured]:
    """The interventions but the notes (the deflate note, for one)."""
    return [e for e in interventions(px, index) if e.action is not Intervention.NOTE]


async def held(controls: Controls, n: int = 1, timeout: float = 5.0) -> list[HeldItem]:
    """Wait until ``n`` items are held; they come back oldest first."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout * TIMEOUT_FACTOR
    while len(controls.held) < n:
        assert loop.time() < deadline, f"{len(controls.held)} held, waited for {n}"
        await asyncio.sleep(0.005)
    return sorted(controls.held.values(), key=lambda i: i.item_id)


async def until(check: Any, timeout: float = 5.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout * TIMEOUT_FACTOR
    while not check():
        assert loop.time() < deadline, "timed out"
        await asyncio.sleep(0.005)


def test_a_held_message_edited_reaches_the_server_as_edited_and_order_is_kept() -> None:
    from websockets.asyncio.client import connect

    controls = Controls()
    controls.set_breakpoints([BreakFilter(side=Direction.OUT, pattern="^secret")])

    async def main() -> tuple[ProxyRun, Peer, list[Any]]:
        async with WebsocketsPeer() as peer, reverse_proxy(peer.url, controls=controls) as px:
            async with connect(px.url, proxy=None) as ws:
                await ws.send("one")
                await ws.send("secret two")
                await ws.send("three")
                await ws.send("four")
                (item,) = await held(controls)
                assert item.reason.startswith("breakpoint 1")
                assert item.unit.text == "secret two" and item.side is Direction.OUT
                assert item.queued[0] == 2  # three and four wait behind it, in order
                controls.edit(item.item_id, [FrameSpec(Opcode.TEXT, b"edited two")])
                echoes = [await asyncio.wait_for(ws.recv(), 5) for _ in range(4)]
            await px.closed()
        return px, peer, echoes

    px, peer, echoes = run_async(main)
    assert peer.state.received == ["one", "edited two", "three", "four"]
    assert echoes == ["one", "edited two", "three", "four"]
    (edit,) = changes(px)
    assert edit.action is Intervention.EDITED and edit.dir is Direction.OUT and edit.by == "user"
    assert b"secret two" not in edit.arrived  # masked as it came from the client
    assert edit.sent.startswith(b"\x81\x8a")  # a masked 10-byte text frame
    assert not controls.held


def test_dropped_answered_and_forwarded_held_items() -> None:
    from websockets.asyncio.client import connect

    controls = Controls()
    controls.set_pause_all(True)

    async def main() -> tuple[ProxyRun, Peer, list[Any]]:
        async with WebsocketsPeer() as peer, reverse_proxy(peer.url, controls=controls) as px:
            async with connect(px.url, proxy=None) as ws:
                await ws.send("drop me")
                (item,) = await held(controls)
                controls.drop(item.item_id)
                await ws.send("answer me")
                (item,) = await held(controls)
                controls.answer(item.item_id, [FrameSpec(Opcode.TEXT, b"answered by the proxy")])
                got = [await asyncio.wait_for(ws.recv(), 5)]
                await ws.send("forward me")
                (item,) = await held(controls)
                controls.forward(item.item_id)
                (echo,) = await held(controls)  # the server's echo is held too
                assert echo.side is Direction.IN and echo.unit.text == "forward me"
                controls.set_pause_all(False)
                controls.forward(echo.item_id)
                got.append(await asyncio.wait_for(ws.recv(), 5))
            await px.closed()
        return px, peer, got

    px, peer, got = run_async(main)
    assert peer.state.received == ["forward me"]  # the dropped one never arrived
    assert got == ["answered by the proxy", "forward me"]
    actions = [(e.action, e.dir) for e in changes(px)]
    assert actions == [
        (Intervention.DROPPED, Direction.OUT),
        (Intervention.ANSWERED, Direction.OUT),
    ]
    answer = changes(px)[1]
    assert answer.sent == b"\x81\x15answered by the proxy"  # to the client: not masked
    # The capture's frames are what each side received: the answer is a server frame.
    texts = [f.text for f in frames_of(px.conns[0], Direction.IN) if f.opcode == 1]
    assert texts == ["answered by the proxy", "forward me"]


def test_rules_replace_drop_and_a_hook_rewrite() -> None:
    from websockets.asyncio.client import connect

    def hook(_conn: object, side: Direction, message: Message) -> Message | None:
        if side is Direction.IN and message.text == "hooked":
            return message._replace(data=b"rewritten by the hook", text="rewritten by the hook")
        return message

    controls = Controls(
        rules=Rules.parse(replace=[r"client:c(\w+)t=>C\1T"], drop=["client:^junk"]),
        hook=hook,
    )

    async def main() -> tuple[ProxyRun, Peer, list[Any]]:
        async with WebsocketsPeer() as peer, reverse_proxy(peer.url, controls=controls) as px:
            async with connect(px.url, proxy=None) as ws:
                for text in ("a cat", "junk mail", "hooked", "plain"):
                    await ws.send(text)
                got = [await asyncio.wait_for(ws.recv(), 5) for _ in range(3)]
            await px.closed()
        return px, peer, got

    px, peer, got = run_async(main)
    assert peer.state.received == ["a CaT", "hooked", "plain"]
    assert got == ["a CaT", "rewritten by the hook", "plain"]
    found = [(e.action, e.dir, e.by) for e in changes(px)]
    assert found == [
        (Intervention.EDITED, Direction.OUT, r"replace client:c(\w+)t=>C\1T"),
        (Intervention.DROPPED, Direction.OUT, "drop client:^junk"),
        (Intervention.EDITED, Direction.IN, "script"),
    ]
    assert changes(px)[2].sent == b"\x81\x15rewritten by the hook"


def test_deflate_is_taken_out_of_the_offer_only_while_controls_are_on() -> None:
    from websockets.asyncio.client import connect

    controls = Controls()

    async def main() -> tuple[ProxyRun, Peer]:
        async with WebsocketsPeer() as peer, reverse_proxy(peer.url, controls=controls) as px:
            async with connect(px.url, proxy=None) as ws:  # offers permessage-deflate
                await ws.send("compressed")
                await ws.recv()
                assert ws.protocol.extensions  # nothing on: negotiated end to end
            await px.closed(0)
            controls.set_rules(Rules.parse(replace=["client:x=>y"]))
            async with connect(px.url, proxy=None) as ws:
                await ws.send("xx")
                assert await asyncio.wait_for(ws.recv(), 5) == "yy"
                assert not ws.protocol.extensions
            await px.closed(1)
        return px, peer

    px, peer = run_async(main)
    first, second = (dict((k.lower(), v) for k, v in r.headers) for r in peer.state.requests)
    assert "permessage-deflate" in first.get("sec-websocket-extensions", "")
    assert "sec-websocket-extensions" not in second
    note, edit = interventions(px, 1)
    assert note.action is Intervention.NOTE and "permessage-deflate was removed" in note.detail
    assert edit.action is Intervention.EDITED
    assert interventions(px, 0) == []


def test_a_full_queue_pauses_reading_then_resumes_with_nothing_lost() -> None:
    controls = Controls(limit_count=3, limit_bytes=1 << 20)
    controls.set_breakpoints([BreakFilter(side=Direction.OUT, pattern="^hold$")])
    frames = [FrameSpec(Opcode.TEXT, b"hold")] + [
        FrameSpec(Opcode.TEXT, f"m{i}".encode()) for i in range(6)
    ]
    from inspector.protocol.frames import encode_frame

    data = b"".join(b"".join(encode_frame(f, Role.CLIENT)) for f in frames)

    async def main() -> tuple[ProxyRun, RawServer, Pipe]:
        async with (
            RawServer() as server,
            reverse_proxy(
                f"ws://127.0.0.1:{server.port}", controls=controls, close_timeout=0.2
            ) as px,
        ):
            _reader, writer, _ = await raw_client(px.port)
            writer.write(data)
            (item,) = await held(controls)
            icpt = px.conns[0].interceptor
            assert icpt is not None
            pipe = icpt.pipe(Direction.OUT)
            await until(lambda: pipe.full)
            assert len(pipe.queue) >= 3  # the limit, plus what one read brought
            assert pipe.source.held  # reading from the client stopped
            assert server.received == b""
            controls.forward(item.item_id)
            await until(lambda: len(server.received) == len(data))
            assert not pipe.full and not pipe.source.held
            writer.close()
            await writer.wait_closed()
            await px.closed()
            return px, server, pipe

    px, server, _pipe = run_async(main)
    assert bytes(server.received[: len(data)]) == data  # bit-exact: nothing was changed
    (note,) = interventions(px)
    assert note.action is Intervention.NOTE and "queue is full" in note.detail
    assert "paused" in note.detail


def test_a_full_queue_can_forward_the_oldest_held_item_instead() -> None:
    controls = Controls(limit_count=2, on_full=QueueFull.FORWARD)
    controls.set_pause_all(True)
    from inspector.protocol.frames import encode_frame

    data = b"".join(
        b"".join(encode_frame(FrameSpec(Opcode.TEXT, f"m{i}".encode()), Role.CLIENT))
        for i in range(3)
    )

    async def main() -> tuple[ProxyRun, RawServer]:
        async with (
            RawServer() as server,
            reverse_proxy(
                f"ws://127.0.0.1:{server.port}", controls=controls, close_timeout=0.2
            ) as px,
        ):
            _, writer, _ = await raw_client(px.port)
            writer.write(data)
            # m0 held, m1 and m2 queued: the limit; m0 goes on, then m1 is held.
            await until(lambda: len(server.received) >= 8)
            (item,) = await held(controls)
            assert item.unit.text == "m1"
            controls.set_pause_all(False)
            controls.forward(item.item_id)
            await until(lambda: len(server.received) == len(data))
            writer.close()
            await writer.wait_closed()
            await px.closed()
            return px, server

    px, server = run_async(main)
    assert bytes(server.received[: len(data)]) == data
    note = interventions(px)[0]
    assert "forwarded unchanged" in note.detail


def test_inject_toward_both_sides_and_the_capture_round_trips(tmp_path: Any) -> None:
    from websockets.asyncio.client import connect

    controls = Controls()

    async def main() -> tuple[ProxyRun, Peer, Any]:
        async with WebsocketsPeer() as peer, reverse_proxy(peer.url, controls=controls) as px:
            async with connect(px.url, proxy=None, compression=None) as ws:
                await ws.send("hello")
                assert await ws.recv() == "hello"
                conn = px.conns[0]
                # Nothing is on: the fast path; injecting still goes between frames.
                conn.inject(Role.CLIENT, [FrameSpec(Opcode.TEXT, b"to the client")])
                got = await asyncio.wait_for(ws.recv(), 5)
                conn.inject(Role.SERVER, [FrameSpec(Opcode.TEXT, b"to the server")])
                await until(lambda: "to the server" in peer.state.received)
                echo = await asyncio.wait_for(ws.recv(), 5)
            await px.closed()
        return px, peer, (got, echo)

    px, _peer, (got, echo) = run_async(main)
    assert got == "to the client" and echo == "to the server"
    injected = interventions(px)
    assert [(e.action, e.dir) for e in injected] == [
        (Intervention.INJECTED, Direction.IN),
        (Intervention.INJECTED, Direction.OUT),
    ]
    assert injected[1].sent[1] & 0x80  # masked toward the server
    path = tmp_path / "c.jsonl"
    write_jsonl(store(px.conns[0]), path)
    back = read_jsonl(path)
    assert back.complete, back.problems
    assert [e for e in back.store.events if isinstance(e, InterventionCaptured)] == injected


def test_a_breakpoint_on_a_decoded_field() -> None:
    from websockets.asyncio.client import connect

    controls = Controls()
    controls.set_breakpoints([BreakFilter(field="method", pattern="^login$")])
    chat = '{"jsonrpc": "2.0", "method": "chat", "params": ["login"], "id": 1}'
    login = '{"jsonrpc": "2.0", "method": "login", "id": 2}'

    async def main() -> list[str]:
        async with WebsocketsPeer() as peer, reverse_proxy(peer.url, controls=controls) as px:
            async with connect(px.url, proxy=None) as ws:
                await ws.send(chat)
                assert await asyncio.wait_for(ws.recv(), 5)
                await ws.send(login)
                (item,) = await held(controls)
                assert item.side is Direction.OUT
                controls.set_breakpoints([])
                controls.forward(item.item_id)
                await asyncio.wait_for(ws.recv(), 5)
            await px.closed()
            return [str(m) for m in peer.state.received]

    assert run_async(main) == [chat, login]


def test_nothing_on_stays_on_the_fast_path_and_turning_off_returns_to_it() -> None:
    from websockets.asyncio.client import connect

    controls = Controls()

    async def main() -> tuple[bool, bool, bool]:
        async with WebsocketsPeer() as peer, reverse_proxy(peer.url, controls=controls) as px:
            async with connect(px.url, proxy=None) as ws:
                await ws.send("a")
                await ws.recv()
                icpt = px.conns[0].interceptor
                assert icpt is not None
                before = icpt.pipe(Direction.OUT).engaged
                controls.set_pause_all(True)
                during = icpt.pipe(Direction.OUT).engaged
                await ws.send("b")
                (item,) = await held(controls)
                controls.set_pause_all(False)
                controls.forward(item.item_id)
                assert await asyncio.wait_for(ws.recv(), 5) == "b"
                after = icpt.pipe(Direction.OUT).engaged
            await px.closed()
            return before, during, after

    assert run_async(main) == (False, True, False)
