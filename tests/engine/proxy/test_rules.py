"""The rules' command-line forms and what they do to a text, and the delay and
close-after rules through the proxy with real peers."""

from __future__ import annotations

import asyncio

import pytest

from inspector.capture.events import Direction
from inspector.engine.proxy import Controls, Rules
from inspector.engine.proxy.rules import parse_delay, parse_drop, parse_replace, parse_rule_lines

from .._engine_support import Peer, WebsocketsPeer, run_async
from ._proxy_support import ProxyRun, reverse_proxy


def test_the_command_line_forms() -> None:
    rule = parse_replace(r"client:(\d+)=><\1>")
    assert rule.side is Direction.OUT and rule.replacement == r"<\1>"
    assert parse_replace("server:a=>b=>c").replacement == "b=>c"  # the first => splits
    assert parse_drop("server:^ping$").side is Direction.IN
    assert parse_delay("client:250") == (Direction.OUT, 250)
    rules = Rules.parse(
        replace=[r"client:(\d+)=><\1>"], drop=["client:^bye"], delay=["server:20"], close_after=3
    )
    assert rules.apply(Direction.OUT, "a 1 b 22") == (
        "a <1> b <22>",
        [r"replace client:(\d+)=><\1>"],
    )
    assert rules.apply(Direction.OUT, "bye 1") == (None, ["drop client:^bye"])
    assert rules.apply(Direction.IN, "a 1") == ("a 1", [])
    assert rules.delay(Direction.IN) == 0.02 and rules.delay(Direction.OUT) == 0
    assert rules.describe() == [
        r"replace client:(\d+)=><\1>",
        "drop client:^bye",
        "delay server:20",
        "close after 3 messages",
    ]
    assert Rules().empty and not rules.empty
    again = parse_rule_lines("\n".join(["# the window's editor", "", *rules.describe()]))
    assert again.describe() == rules.describe()
    with pytest.raises(ValueError, match="line 2: 'shout client:x'"):
        parse_rule_lines("drop client:x\nshout client:x")


@pytest.mark.parametrize(
    ("kind", "text", "says"),
    [
        ("replace", "browser:a=>b", "the side is client or server"),
        ("replace", "client:a", "no '=>' found"),
        ("replace", "client:(=>x", "not a regular expression"),
        ("replace", r"client:a=>\2", "bad replacement"),
        ("drop", "server:", "the regular expression is empty"),
        ("delay", "client:soon", "whole number of milliseconds"),
    ],
)
def test_bad_rules_say_what_is_wrong(kind: str, text: str, says: str) -> None:
    parse = {"replace": parse_replace, "drop": parse_drop, "delay": parse_delay}[kind]
    with pytest.raises(ValueError, match=says):
        parse(text)


def test_a_delay_holds_a_direction_back_in_order() -> None:
    from websockets.asyncio.client import connect

    controls = Controls(rules=Rules.parse(delay=["server:80"]))

    async def main() -> tuple[Peer, list[str | bytes], float]:
        async with WebsocketsPeer() as peer, reverse_proxy(peer.url, controls=controls) as px:
            async with connect(px.url, proxy=None) as ws:
                loop = asyncio.get_running_loop()
                t0 = loop.time()
                for text in "abc":
                    await ws.send(text)
                got = [await asyncio.wait_for(ws.recv(), 5) for _ in range(3)]
                waited = loop.time() - t0
            await px.closed()
        return peer, got, waited

    peer, got, waited = run_async(main)
    assert peer.state.received == ["a", "b", "c"] and got == ["a", "b", "c"]
    assert waited >= 0.08  # the echoes came back no sooner than the delay


def test_close_after_n_messages_closes_cleanly_on_both_sides() -> None:
    from websockets.asyncio.client import connect

    controls = Controls(rules=Rules.parse(close_after=3))

    async def main() -> tuple[ProxyRun, Peer, list[str | bytes], int | None]:
        async with WebsocketsPeer() as peer, reverse_proxy(peer.url, controls=controls) as px:
            async with connect(px.url, proxy=None) as ws:
                await ws.send("a")
                await ws.send("b")
                got = [await asyncio.wait_for(ws.recv(), 5) for _ in range(2)]
                await asyncio.wait_for(ws.wait_closed(), 5)
                code = ws.close_code
            conn = await px.closed()
            assert conn.final_state is not None and conn.final_state.clean
        return px, peer, got, code

    _px, peer, got, code = run_async(main)
    assert got == ["a", "b"] and peer.state.received == ["a", "b"]
    assert code == 1000 and peer.state.closes[0][0] == 1000
