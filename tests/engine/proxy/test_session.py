"""A proxied connection as a recorder sees it: a capture with both sides that a journal
follows like any connection's, and live figures for a list of connections."""

from __future__ import annotations

from pathlib import Path

from inspector.capture.events import Direction, SessionRole
from inspector.capture.formats.jsonl import read_jsonl
from inspector.engine.journal import Journal
from inspector.engine.proxy import ProxiedConnection

from .._engine_support import WebsocketsPeer, run_async
from ._proxy_support import ProxyRun, reverse_proxy


def test_a_journal_follows_a_proxied_connection(tmp_path: Path) -> None:
    from websockets.asyncio.client import connect

    journals: list[Journal] = []

    async def main() -> ProxyRun:
        async with WebsocketsPeer() as peer, reverse_proxy(peer.url) as px:

            def journaled(conn: ProxiedConnection) -> None:
                px.conns.append(conn)
                journals.append(Journal(conn, directory=tmp_path))

            px.server.on_connection = journaled
            async with connect(f"{px.url}/j", proxy=None) as ws:
                await ws.send("journaled")
                await ws.recv()
            await px.closed()
        return px

    px = run_async(main)
    (journal,) = journals
    assert journal.finished
    back = read_jsonl(journal.path)
    assert back.complete, back.problems
    assert back.store.session.role is SessionRole.PROXY
    conn = px.conns[0]
    assert conn.store is not None
    assert len(back.store) == len(conn.store)
    assert back.store.counters(Direction.OUT) == conn.store.counters(Direction.OUT)
    info = conn.info()
    assert info["conn"] == 1 and info["path"] == "/j" and info["state"] == "closed"
    assert info["frames"] == len(conn.store) and info["bytes"] == sum(conn.bytes)
    assert info["client"].startswith("127.0.0.1:")
    journal.close()
    assert not journal.path.exists()
