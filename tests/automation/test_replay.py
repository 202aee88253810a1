"""Replaying captures against real peers (our EchoServer and websockets): the plan
taken from a capture, the timing, exact frames, and the comparison of the answers."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path
from typing import Any

import pytest
from websockets.asyncio.server import ServerConnection
from websockets.exceptions import ConnectionClosed

from inspector.automation.compare import DifferenceKind, compare_sessions
from inspector.automation.messages import messages_of
from inspector.automation.replay import (
    FAST,
    ReplayError,
    listen_then_close,
    load_capture,
    parse_timing,
    plan_replay,
    send_steps,
)
from inspector.capture.events import Direction, StateChanged
from inspector.capture.formats.har import write_har
from inspector.capture.formats.jsonl import write_jsonl
from inspector.capture.store import CaptureStore
from inspector.engine.client import connect
from inspector.engine.connection import Connection
from inspector.engine.options import ConnectOptions
from inspector.protocol.constants import ConnectionState, Role
from inspector.protocol.frames import FrameSpec

from ._peers import PEERS, bounded, peer, record


async def _talk(conn: Connection) -> None:
    conn.send_text("hello")
    conn.send_binary(b"\x00\x01\x02")
    conn.send_ping(b"p")
    conn.send_text("x" * 300, fragments=3)
    await asyncio.sleep(0.2)
    conn.send_close(4000, "done")


async def _captured(url: str, options: ConnectOptions | None = None) -> CaptureStore:
    conn = await record(url, _talk, options)
    assert conn.store is not None
    return conn.store


async def _replay(store: CaptureStore, url: str, scale: float = FAST, **kw: Any) -> Connection:
    plan = plan_replay(store, **kw)
    conn = await connect(url, plan.connect_options())
    await send_steps(conn, plan.steps, scale, answer_wait=1.0)
    await listen_then_close(conn, 2.0)
    return conn


def test_timing_words_and_factors() -> None:
    assert parse_timing("original") == 1.0
    assert parse_timing("FAST") == 0.0
    assert parse_timing("0.5") == 0.5
    for bad in ("soon", "-1", "nan", "inf"):
        with pytest.raises(ValueError):
            parse_timing(bad)


def test_the_plan_holds_the_clients_messages_ping_and_close() -> None:
    async def main() -> None:
        async with peer("ours") as url:
            options = ConnectOptions(
                headers=[("X-Test", "1"), ("Authorization", "Bearer t")],
                subprotocols=["chat.v1"],
                origin="http://example.test",
            )
            store = await _captured(url, options)
        plan = plan_replay(store)
        assert [(s.kind, s.value if s.kind != "binary" else s.value.hex()) for s in plan.steps] == [
            ("text", "hello"),
            ("binary", "000102"),
            ("ping", b"p"),
            ("text", "x" * 300),
            ("close", (4000, "done")),
        ]
        assert [s.t for s in plan.steps] == sorted(s.t for s in plan.steps)
        # The close waits for the three answers the capture had before it.
        assert [s.answers for s in plan.steps] == [0, 0, 0, 0, 3]
        hs = plan.handshake
        assert hs.headers == (("X-Test", "1"), ("Authorization", "Bearer t"))
        assert hs.subprotocols == ("chat.v1",) and hs.deflate
        assert hs.origin == "http://example.test"
        assert plan.notes == []

    bounded(main())


@pytest.mark.parametrize("kind", PEERS)
def test_replay_and_compare_against_real_peers(kind: str) -> None:
    async def main() -> None:
        async with peer(kind) as url:
            store = await _captured(url)
            again = await _replay(store, url)
        assert again.final_state is not None and again.final_state.clean
        assert again.store is not None
        sent = [m.data for m in messages_of(again.store, Role.CLIENT)]
        assert sent == [b"hello", b"\x00\x01\x02", b"x" * 300]
        assert compare_sessions(store, again.store) == []

    bounded(main())


def test_compare_finds_the_server_that_answers_differently() -> None:
    async def shouting(ws: ServerConnection) -> None:
        with contextlib.suppress(ConnectionClosed):
            async for message in ws:
                if message != "hello":  # one answer missing, the others changed
                    await ws.send(message.upper() if isinstance(message, str) else message)

    async def main() -> None:
        async with peer("ours") as url:
            store = await _captured(url)
        async with peer("websockets", shouting) as url:
            again = await _replay(store, url)
        assert again.store is not None
        diffs = compare_sessions(store, again.store)
        kinds = [d.kind for d in diffs]
        # Our server answers a close without its reason; websockets echoes the reason.
        assert kinds == [DifferenceKind.MISSING, DifferenceKind.PAYLOAD, DifferenceKind.CLOSE]
        assert diffs[0].index == 1 and diffs[1].index == 3
        assert diffs[1].replayed == "text '" + "X" * 57 + "...'"
        assert diffs[2].line() == (
            "close different: captured 4000 (private use), received 4000 (private use) 'done'"
        )

    bounded(main())


def test_original_timing_keeps_the_gaps_and_a_factor_scales_them() -> None:
    async def spaced(conn: Connection) -> None:
        conn.send_text("one")
        await asyncio.sleep(0.15)
        conn.send_text("two")
        conn.send_close(1000)

    def second_after_open(conn: Connection) -> float:
        # Measured from the open, not from the first message: the replay keeps an
        # absolute schedule, so a late first send (a loaded machine) shortens the gap
        # after it without the second message being early.
        assert conn.store is not None
        opened = [e.t for e in conn.store.events
                  if isinstance(e, StateChanged) and e.state is ConnectionState.OPEN]  # fmt: skip
        return messages_of(conn.store, Role.CLIENT)[1].t - opened[0]

    async def main() -> None:
        async with peer("ours") as url:
            first = await record(url, spaced)
            assert first.store is not None
            captured = second_after_open(first)
            original = await _replay(first.store, url, 1.0)
            doubled = await _replay(first.store, url, 2.0)
        # Waiting never ends early: lower bounds only.
        assert second_after_open(original) >= captured * 0.95
        assert second_after_open(doubled) >= captured * 1.9

    bounded(main())


def test_frames_are_replayed_exactly_crafted_ones_included() -> None:
    async def crafted(conn: Connection) -> None:
        conn.send_frame(FrameSpec(opcode=1, payload=b"frag", fin=False))
        conn.send_frame(FrameSpec(opcode=0, payload=b"ment", length_form=16))
        conn.send_frame(FrameSpec(opcode=9, payload=b"", mask_key=b"abcd"))
        conn.send_frame(FrameSpec(opcode=1, payload=b"odd", rsv2=True))
        conn.send_close(1000)

    async def main() -> None:
        async with peer("ours") as url:
            first = await record(url, crafted, ConnectOptions(deflate=False))
            assert first.store is not None
            again = await _replay(first.store, url, frames=True)

        def out_headers(store: CaptureStore | None) -> list[tuple[bytes, bytes]]:
            assert store is not None
            rows = [r for r in range(len(store)) if store.direction(r) is Direction.OUT]
            return [(store.header(r), store.payloads[r]) for r in rows]

        assert out_headers(again.store) == out_headers(first.store)

    bounded(main())


def test_har_keeps_credentials_out_unless_kept(tmp_path: Path) -> None:
    async def main() -> CaptureStore:
        async with peer("ours") as url:
            options = ConnectOptions(headers=[("Authorization", "Bearer t"), ("X-Id", "7")])
            return await _captured(url, options)

    store: CaptureStore = bounded(main())
    withheld = tmp_path / "plain.har"
    write_har(store, withheld)
    kept = tmp_path / "secrets.har"
    write_har(store, kept, include_secrets=True)
    plan = plan_replay(load_capture(str(withheld))[0])
    assert plan.handshake.headers == (("X-Id", "7"),)
    assert plan.notes == ["Authorization was withheld from the capture: not sent"]
    # HAR holds messages, not frames: the client's messages are replayed.
    assert [s.kind for s in plan.steps] == ["text", "binary", "text"]
    secret = plan_replay(load_capture(str(kept))[0])
    assert secret.handshake.headers == (("Authorization", "Bearer t"), ("X-Id", "7"))


def test_unreadable_captures_say_why(tmp_path: Path) -> None:
    with pytest.raises(ReplayError, match="cannot read"):
        load_capture(str(tmp_path / "none.jsonl"))
    junk = tmp_path / "junk.jsonl"
    junk.write_text("not json\n")
    with pytest.raises(ReplayError, match=r"junk\.jsonl"):
        load_capture(str(junk))
    store = CaptureStore(plan_store_session())
    path = tmp_path / "one.jsonl"
    write_jsonl(store, path)
    with pytest.raises(ReplayError, match="--session is for HAR"):
        load_capture(str(path), session=2)


def plan_store_session() -> Any:
    from inspector.engine.connection import new_session

    return new_session("ws://x/", Role.CLIENT)
