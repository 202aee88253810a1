"""Payload views over a million messages: what a summary and a decoded-field search cost.

1. **Summaries**: a session of N messages (default 1,000,000) a server sent, all
   MessagePack maps, and one of N plain text messages; every row's summary is computed
   through :class:`~inspector.views.conversation.Conversation` (the timeline's path:
   the row's payload and meta, the best view, its summary), cache cleared first. The
   table only asks for visible rows; this is the cost of all of them, per row, and the
   MessagePack/text ratio (the issue's target: MessagePack no slower than text, so the
   ratio near 1). A socket.io session and a mixed one are measured too.
2. **Decoded-field search**: N Socket.IO event messages, 1% of them ``"chat"``, the
   rest ``"tick"``; :func:`~inspector.views.search.search_fields` for ``chat`` in the
   ``event`` field (target: < 2 s), beside the store's plain payload search of the same
   text (the pre-filter it builds on). Also the worst case, a needle every payload
   contains, so that every row is decoded.

Measured 2026-12-03 (1M rows, shared two-core machine): summaries 5.9 us/row text,
10.4 us/row MessagePack (ratio 1.78; with every view asked per row, before the
first-byte routing and the priority ceilings, 3.6 on a busier run); the decoded-field
search 0.43 s beside a 0.16 s payload pre-filter (0.83 s on a busy run). Second pass
(one look-up rules Socket.IO attachments out, the subprotocol kept, a lighter brief):
5.1 us/row text, 8.8 us/row MessagePack (ratio 1.72), Socket.IO 16.7; the search 0.66 s
beside 0.25 s on a busy run.

    python benchmarks/bench_views.py [--messages 1000000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import msgpack

from inspector.capture.events import Direction, FramesCaptured, SessionInfo, SessionRole
from inspector.capture.store import CaptureStore
from inspector.protocol.connection import Protocol
from inspector.protocol.constants import Role
from inspector.protocol.frames import FrameBatch
from inspector.views.conversation import Conversation
from inspector.views.search import search_fields


def store_of(payloads: Callable[[int], bytes | str], n: int) -> CaptureStore:
    """A client's capture of ``n`` messages the server sent (``payloads(i)``: bytes are
    binary messages, str text), parsed from the wire as the engine would."""
    store = CaptureStore(
        SessionInfo("ws://bench/", SessionRole.CLIENT, "", 0.0), max_payload_bytes=None
    )
    server = Protocol(Role.SERVER)
    client = Protocol(Role.CLIENT)
    block = 20_000
    for start in range(0, n, block):
        for i in range(start, min(start + block, n)):
            p = payloads(i)
            if isinstance(p, bytes):
                server.send_binary(p)
            else:
                server.send_text(p)
        data = b"".join(server.data_to_send())
        for k in range(0, len(data), 65536):
            client.receive_data(data[k : k + 65536])
            for e in client.events_received():
                if isinstance(e, FrameBatch):
                    store.add(FramesCaptured(start * 1e-5, Direction.IN, e))
    return store


def best_of(rounds: int, fn: Callable[[], Any]) -> tuple[float, Any]:
    times = []
    result = None
    for _ in range(rounds):
        gc.collect()
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), result


def summaries(store: CaptureStore, rounds: int) -> tuple[float, str]:
    conv = Conversation(store)

    def run() -> str:
        conv._summaries.clear()  # measure computing, not the cache
        line = ""
        for row in range(len(store)):
            line = conv.summary(row)
        return line

    return best_of(rounds, run)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    n, rounds = args.messages, args.rounds

    print(f"# Summaries of {n:,} messages (every row, cache cleared), median of {rounds}")
    sessions: dict[str, Callable[[int], bytes | str]] = {
        "text": lambda i: f"order {i} filled at {i % 977}.25",
        "msgpack": lambda i: msgpack.packb({"type": "tick", "n": i, "px": i % 977 + 0.25}),
        "socket.io": lambda i: f'42["tick",{{"n":{i},"px":{i % 977}.25}}]',
    }
    per_row: dict[str, float] = {}
    for name, make in sessions.items():
        t0 = time.perf_counter()
        store = store_of(make, n)
        built = time.perf_counter() - t0
        seconds, last = summaries(store, rounds)
        per_row[name] = seconds / n
        print(
            f"{name:>10}: {seconds:6.2f} s  {seconds / n * 1e6:5.2f} us/row  "
            f"(store built in {built:.1f} s)  last: {last}"
        )
        del store
    print(
        f"ratio msgpack/text: {per_row['msgpack'] / per_row['text']:.2f}  "
        f"socket.io/text: {per_row['socket.io'] / per_row['text']:.2f}"
    )
    visible = 40
    print(
        f"one repaint of {visible} visible rows (msgpack): "
        f"{per_row['msgpack'] * visible * 1e3:.2f} ms"
    )

    print(f'\n# Decoded-field search over {n:,} Socket.IO events (1% "chat"), median of {rounds}')
    store = store_of(
        lambda i: f'42["chat",{{"text":"hi {i}"}}]' if i % 100 == 0 else f'42["tick",{{"n":{i}}}]',
        n,
    )
    conv = Conversation(store)
    plain, rows = best_of(rounds, lambda: store.search("chat"))
    print(f"payload search 'chat' (the pre-filter): {plain:6.2f} s, {len(rows):,} rows")
    fields, rows = best_of(rounds, lambda: search_fields(conv, "chat", field="event"))
    verdict = "under" if fields < 2 else "OVER"
    print(
        f"search_fields 'chat' in event:          {fields:6.2f} s, {len(rows):,} rows "
        f"({verdict} the 2 s target)"
    )
    worst, rows = best_of(1, lambda: search_fields(conv, "42", field="event"))
    print(
        f"worst case, a needle in every payload:  {worst:6.2f} s, {len(rows):,} rows "
        f"(every row decoded: {worst / n * 1e6:.2f} us/row)"
    )


if __name__ == "__main__":
    main()
