"""Expectations on live connections to real peers: what holds, what fails and the
reason saying what arrived instead."""

from __future__ import annotations

import asyncio
import contextlib
import re

from websockets.asyncio.server import ServerConnection
from websockets.exceptions import ConnectionClosed

from inspector.automation.expect import Expectation, Expector
from inspector.engine.client import connect, new_client_connection
from inspector.engine.connection import Connection

from ._peers import bounded, peer


async def greet(ws: ServerConnection) -> None:
    with contextlib.suppress(ConnectionClosed):
        await ws.send("welcome")
        async for message in ws:
            if message == "quit":
                await ws.close(4001, "bye")
                return
            await ws.send(message)


async def _open(url: str) -> tuple[Connection, Expector]:
    conn = new_client_connection(url)
    expector = Expector(conn)  # before the open: a greeting counts
    await connect(url, connection=conn)
    return conn, expector


def expect(pattern: str, within: float = 2.0, after: str = "--send") -> Expectation:
    return Expectation(pattern=re.compile(pattern), within=within, after=after)


def test_a_greeting_and_an_echo_are_met_in_order() -> None:
    async def main() -> None:
        async with peer("websockets", greet) as url:
            conn, expector = await _open(url)
            first = await expector.check(expect("^welcome$", after="the connection opened"))
            assert first.ok and first.reason == ""
            expector.mark()
            conn.send_text("hello there")
            held = await expector.check(expect(r"hello \w+"))
            assert held.ok and held.waited < 2.0
            assert held.to_json() == {
                "type": "expect",
                "ok": True,
                "pattern": r"hello \w+",
                "waited": round(held.waited, 6),
            }
            await conn.close()

    bounded(main())


def test_a_failure_says_what_arrived_instead() -> None:
    async def main() -> None:
        async with peer("ours") as url:
            conn, expector = await _open(url)
            expector.mark()
            for text in ("one", "two", "three", "four"):
                conn.send_text(text)
            result = await expector.check(expect("five", within=0.3, after="--send 'four'"))
            assert not result.ok and result.waited >= 0.3
            assert result.reason == (
                "--expect 'five' after --send 'four': no match within 0.3 s; arrived "
                "instead: text 'one', text 'two', text 'three' and 1 more"
            )
            expector.mark()
            silent = await expector.check(expect("x", within=0.05))
            assert silent.reason.endswith("no match within 0.05 s; nothing arrived")
            await conn.close()

    bounded(main())


def test_messages_before_the_action_do_not_count() -> None:
    async def main() -> None:
        async with peer("ours") as url:
            conn, expector = await _open(url)
            conn.send_text("early")
            await asyncio.sleep(0.1)
            expector.mark()
            conn.send_text("late")
            result = await expector.check(expect("early", within=0.2))
            assert not result.ok and "arrived instead: text 'late'" in result.reason
            await conn.close()

    bounded(main())


def test_binary_is_matched_on_its_view() -> None:
    async def main() -> None:
        async with peer("ours") as url:
            conn, expector = await _open(url)
            expector.mark()
            conn.send_binary(b"\x01\x02\xff")
            assert (await expector.check(expect("01 02 ff"))).ok
            await conn.close()

    bounded(main())


def test_close_codes_and_an_end_before_a_match() -> None:
    async def main() -> None:
        async with peer("websockets", greet) as url:
            conn, expector = await _open(url)
            still = await expector.check(Expectation(close_code=4001, within=0.1))
            assert not still.ok
            assert still.reason.endswith("the connection was still open after 0.1 s")
            conn.send_text("quit")
            closed = await expector.check(Expectation(close_code=4001, after="--send 'quit'"))
            assert closed.ok and closed.to_json()["close_code"] == 4001
            wrong = await expector.check(Expectation(close_code=1000))
            assert wrong.reason == (
                "--expect-close 1000 after the connection opened: the connection ended "
                "with code 4001 (private use) 'bye' instead"
            )
            expector.mark()
            ended = await expector.check(expect("anything"))
            assert ended.reason.startswith("--expect 'anything' after --send: the connection ")
            assert "ended (code 4001 (private use) 'bye') before a match" in ended.reason

    bounded(main())
