"""The engine against the fastest asyncio WebSocket clients (issue 13's table).

One independent server process (picows) serves every client; each client run is a
fresh process (so no client inherits another's warm heap); rounds are interleaved
(every client once per round, in turn); the table shows medians and the ratios of
ours to each peer. Ours captures every frame (the connection's CaptureStore keeps
all of them, both directions); "keep" means the peer client keeps every payload it
receives, as a capture must.

Scenarios (defaults in brackets):

- ``recv-small``: the server floods N small text messages [200,000 x 20 B] then
  closes; the client reads them all: messages/s.
- ``recv-large``: the same with M binary messages of 1 MiB [200]: MB/s.
- ``send-small``: the client sends N small text messages; the server answers "done"
  once it has them all: messages/s, timed from the server's "go" to its "done".
  The server counts their bytes (checking each frame's first two bytes) instead of
  parsing frames, and reads only when 64 KiB wait, so that its own cost per message
  stays far below any client's and the clients are what is measured; it reports
  that cost (its CPU, socket reads and TCP data segments received) for each run.
- ``send-large``: the same with M binary messages of 1 MiB: MB/s.
- ``rtt``: R sequential round trips of a 20 B message [20,000]: round trips/s. Each
  client in its fastest style: websockets and aiohttp await each reply; ours and
  picows answer each reply from their message callback (``Connection.on_message``,
  ``WSListener.on_ws_frame``).

    python benchmarks/bench_engine_peers.py [--rounds 5] [--clients ours,aiohttp,...]
                                            [--scenarios recv-small,...] [--quick]

With ``recv-large`` it also measures, in the same rounds and in a fresh process, the
floor under any client that keeps what it receives: the CPU to copy 1 MiB into fresh
memory that is kept (each 4 KiB a page fault, the kernel zeroing it) against copying
it into memory used again, as a client that discards its payloads does.

Besides the rates, it prints each client's CPU per message (the machine is shared:
wall time follows the share of the cores a run got, CPU time much less) and the
ratios of CPU per message.

The peers come from the benchmark extra: ``pip install -e '.[bench]'``.
Everything listens on 127.0.0.1 (port 0).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import struct
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
MiB = 2**20
SMALL = 20

#: The server reads a send scenario once this many bytes wait (see Counter._low_water).
LOW = 64 * 1024
SCENARIOS = ("recv-small", "recv-large", "send-small", "send-large", "rtt")
CLIENTS = ("ours", "websockets", "aiohttp", "aiohttp-keep", "picows", "picows-keep")


# ------------------------------------------------------------------ the server
def serve() -> None:
    """The picows server: prints its port, then serves until stdin closes.

    A client's first text message says what to do: ``recv N SIZE`` (the server sends
    N messages of SIZE bytes, then a close frame), ``send N SIZE`` (the server answers
    ``go``, counts N data messages of SIZE bytes as raw bytes, then answers ``done``
    with what it cost the server), ``echo`` (every later message echoed).
    """
    from picows import WSCloseCode, WSFrame, WSListener, WSMsgType, WSTransport, ws_create_server

    class Counter(asyncio.BufferedProtocol):
        """The server's side of a send scenario: the client's N frames counted as
        bytes, read up to 1 MiB at a time once 64 KiB wait, instead of one picows
        frame and one Python call each, read as soon as a segment came. Measured
        2026-12-04 (200k x 20 B): parsing frames cost the server 0.65-2.45 us per
        message (1.1 us beside picows's client, about what that client spent
        sending it), so the figure followed the server's share of the 2 cores
        (picows's client 1.65M msg/s one day, 193-396k the next); counting bytes but
        reading at once still cost 1.0-4.5 us (18-70k reads of a few frames, every
        one a wake-up the client paid for in its send calls); counting once 64 KiB
        wait costs 0.01-0.07 us (about 20-50 reads). Every frame's first two bytes
        are checked where its length puts them (FIN + opcode, MASK + length): a
        client that framed differently gets ``bad`` instead of ``done``."""

        def __init__(self, transport: WSTransport, n: int, size: int) -> None:
            self.ws = transport
            self.raw = transport.underlying_transport
            self.ws_protocol = self.raw.get_protocol()
            head = 2 + 4 + (0 if size < 126 else 2 if size < 65536 else 8)
            self.frame = head + size
            self.expected = n * self.frame
            self.b0 = 0x81 if size < 1024 else 0x82
            self.b1 = 0x80 | (size if size < 126 else 126 if size < 65536 else 127)
            self.got = 0
            self.reads = 0
            self.bad = ""
            self.buffer = bytearray(MiB)
            self.view = memoryview(self.buffer)
            self.sock = self.raw.get_extra_info("socket")
            self.cpu = time.process_time()
            self.segs = self._segments()
            self._low_water()
            self.raw.set_protocol(self)

        def _low_water(self) -> None:
            """Be woken only once LOW bytes are waiting (or the rest of the flood):
            with a wake-up per segment, a client that writes each message on its own
            also paid for waking the server, in its own send calls, as often as the
            scheduler let the server keep up."""
            left = max(1, min(LOW, self.expected - self.got))
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVLOWAT, left)

        def _segments(self) -> tuple[int, int]:
            """(segments, data segments) received on this connection (tcp_info's
            tcpi_segs_in, tcpi_data_segs_in)."""
            info = self.sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 160)
            return struct.unpack_from("I", info, 140)[0], struct.unpack_from("I", info, 152)[0]

        def get_buffer(self, sizehint: int) -> memoryview:
            return self.view

        def buffer_updated(self, nbytes: int) -> None:
            self.reads += 1
            first = -self.got % self.frame  # where the next frame starts in this read
            self.got += nbytes
            if self.expected - self.got < LOW:
                self._low_water()
            buf = self.buffer
            if first < nbytes and not self.bad:
                starts = len(range(first, nbytes, self.frame))
                if buf[first : nbytes : self.frame] != bytes((self.b0,)) * starts:
                    self.bad = f"a frame's first byte is not {self.b0:#x}"
                seconds = buf[first + 1 : nbytes : self.frame]
                if seconds != bytes((self.b1,)) * len(seconds):
                    self.bad = f"a frame's second byte is not {self.b1:#x}"
            if self.got >= self.expected:
                segs, data_segs = self._segments()
                stats = {
                    "cpu": time.process_time() - self.cpu,
                    "reads": self.reads,
                    "segs": segs - self.segs[0],
                    "data_segs": data_segs - self.segs[1],
                }
                if self.got > self.expected:
                    self.bad = f"{self.got - self.expected} bytes more than {self.expected}"
                self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVLOWAT, 1)
                self.raw.set_protocol(self.ws_protocol)
                if self.bad:
                    self.ws.send(WSMsgType.TEXT, f"bad {self.bad}".encode())
                else:
                    self.ws.send(WSMsgType.TEXT, b"done " + json.dumps(stats).encode())

        def eof_received(self) -> bool | None:
            return bool(self.ws_protocol.eof_received())

        def connection_lost(self, exc: Exception | None) -> None:
            self.ws_protocol.connection_lost(exc)

    class Handler(WSListener):  # type: ignore[misc]
        def __init__(self) -> None:
            self.mode = ""
            self.writable = asyncio.Event()
            self.writable.set()

        def pause_writing(self) -> None:
            self.writable.clear()

        def resume_writing(self) -> None:
            self.writable.set()

        def on_ws_frame(self, transport: WSTransport, frame: WSFrame) -> None:
            if frame.msg_type == WSMsgType.CLOSE:
                transport.send_close(frame.get_close_code())
                transport.disconnect()
                return
            if frame.msg_type == WSMsgType.PING:
                transport.send_pong(frame.get_payload_as_bytes())
                return
            if self.mode == "echo":
                transport.send(frame.msg_type, frame.get_payload_as_bytes())
                return
            words = frame.get_payload_as_bytes().decode().split()
            if words[0] == "recv":
                asyncio.get_running_loop().create_task(
                    self.flood(transport, int(words[1]), int(words[2]))
                )
            elif words[0] == "send":
                # The client waits for "go": nothing of its flood is in this read.
                Counter(transport, int(words[1]), int(words[2]))
                transport.send(WSMsgType.TEXT, b"go")
            elif words[0] == "echo":
                self.mode = "echo"

        async def flood(self, transport: WSTransport, n: int, size: int) -> None:
            # Frames built once and written as raw bytes: the server's own cost stays
            # far below any client's.
            op = 0x81 if size < 1024 else 0x82
            payload = (b"{'seq': 12345, 'px': 101.25} " * (size // 29 + 1))[:size]
            if size < 126:
                head = bytes((op, size))
            elif size < 65536:
                head = bytes((op, 126)) + size.to_bytes(2, "big")
            else:
                head = bytes((op, 127)) + size.to_bytes(8, "big")
            frame = head + payload
            per_write = max(1, 256 * 1024 // len(frame))
            chunk = frame * per_write
            raw = transport.underlying_transport
            left = n
            while left:
                k = min(per_write, left)
                raw.write(chunk if k == per_write else frame * k)
                left -= k
                if not self.writable.is_set():
                    await self.writable.wait()
            transport.send_close(WSCloseCode.OK)

    async def main() -> None:
        server = await ws_create_server(
            lambda _request: Handler(), "127.0.0.1", 0, max_frame_size=64 * MiB
        )
        print(server.sockets[0].getsockname()[1], flush=True)
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
        server.close()

    asyncio.run(main())


# ------------------------------------------------------------------ the clients
def _work(scenario: str, args: argparse.Namespace) -> tuple[int, int]:
    """(messages, size) of a scenario."""
    if scenario in ("recv-small", "send-small"):
        return args.messages, SMALL
    if scenario in ("recv-large", "send-large"):
        return args.large, MiB
    return args.round_trips, SMALL


def _payload(size: int) -> bytes:
    return (b"abcdefghij0123456789" * (size // 20 + 1))[:size]


#: What the server said its side of a send scenario cost (its "done" reply).
server_stats: dict[str, float] = {}


def _done(reply: str | bytes) -> None:
    """Check the server's answer to a send scenario and keep what it reports."""
    text = reply if isinstance(reply, str) else reply.decode()
    assert text.startswith("done "), text
    server_stats.update(json.loads(text[5:]))


async def client_ours(url: str, scenario: str, n: int, size: int) -> float:
    from inspector.engine.client import connect
    from inspector.engine.options import ConnectOptions
    from inspector.protocol.events import Message

    options = ConnectOptions(
        deflate=False,
        max_message_size=64 * MiB,
        max_frame_size=64 * MiB,
        max_capture_bytes=None,
        open_timeout=10,
    )
    conn = await connect(url, options)
    loop = asyncio.get_running_loop()
    store = conn.store
    assert store is not None
    if scenario.startswith("recv"):
        t = time.perf_counter()
        conn.send_text(f"recv {n} {size}")
        await asyncio.wait_for(conn.wait_closed(), 300)
        elapsed = time.perf_counter() - t
        got = sum(1 for row in range(len(store)) if store.dir[row] == 1 and store.b0[row] & 3)
        assert got == n, (got, n)
        return elapsed
    if scenario.startswith("send"):
        go: asyncio.Future[str] = loop.create_future()
        done: asyncio.Future[str] = loop.create_future()
        replies = [go, done]

        def reply(message: Message) -> None:
            replies.pop(0).set_result(message.text or "")

        conn.on_message = reply
        payload = _payload(size)
        text = payload.decode()
        conn.send_text(f"send {n} {size}")
        assert await asyncio.wait_for(go, 30) == "go"
        t = time.perf_counter()
        # drain() awaited only when writing is paused, as the picows client awaits
        # its writable event only when it is cleared (the same check, fair).
        if size < 1024:
            for _ in range(n):
                conn.send_text(text)
                if conn.writing_paused:
                    await conn.drain()
        else:
            for _ in range(n):
                conn.send_binary(payload)
                if conn.writing_paused:
                    await conn.drain()
        _done(await asyncio.wait_for(done, 300))
        elapsed = time.perf_counter() - t
        sent = store.dir.count(0)  # in C: the CPU column is the client's work
        assert sent == n + 1, (sent, n)
        await conn.close()
        return elapsed
    # Round trips the way our API does them fastest: on_message answers each echo
    # with the next message (as the picows client does from on_ws_frame), no task
    # switch per round trip.
    text = _payload(size).decode()
    conn.send_text("echo")
    all_back: asyncio.Future[None] = loop.create_future()
    count = 0

    def on_message(_message: Message) -> None:
        nonlocal count
        count += 1
        if count < n:
            conn.send_text(text)
        elif not all_back.done():
            all_back.set_result(None)

    conn.on_message = on_message
    t = time.perf_counter()
    conn.send_text(text)
    await asyncio.wait_for(all_back, 300)
    elapsed = time.perf_counter() - t
    assert len(store) == 2 * n + 1, len(store)
    await conn.close()
    return elapsed


async def client_websockets(url: str, scenario: str, n: int, size: int) -> float:
    from websockets.asyncio.client import connect

    async with connect(url, compression=None, max_size=None, open_timeout=10) as ws:
        if scenario.startswith("recv"):
            t = time.perf_counter()
            await ws.send(f"recv {n} {size}")
            count = 0
            async for _ in ws:
                count += 1
            elapsed = time.perf_counter() - t
            assert count == n, (count, n)
            return elapsed
        payload = _payload(size)
        message: str | bytes = payload.decode() if size < 1024 else payload
        if scenario.startswith("send"):
            await ws.send(f"send {n} {size}")
            assert await ws.recv() == "go"
            t = time.perf_counter()
            for _ in range(n):
                await ws.send(message)
            _done(await ws.recv())
            return time.perf_counter() - t
        await ws.send("echo")
        t = time.perf_counter()
        for _ in range(n):
            await ws.send(message)
            await ws.recv()
        return time.perf_counter() - t


async def client_aiohttp(url: str, scenario: str, n: int, size: int, keep: bool) -> float:
    import aiohttp

    async with (
        aiohttp.ClientSession() as session,
        session.ws_connect(url, max_msg_size=0, autoclose=True) as ws,
    ):
        if scenario.startswith("recv"):
            t = time.perf_counter()
            await ws.send_str(f"recv {n} {size}")
            kept: list[Any] = []
            count = 0
            async for msg in ws:
                if msg.type in (aiohttp.WSMsgType.TEXT, aiohttp.WSMsgType.BINARY):
                    count += 1
                    if keep:
                        kept.append(msg.data)
            elapsed = time.perf_counter() - t
            assert count == n, (count, n)
            return elapsed
        payload = _payload(size)
        if scenario.startswith("send"):
            await ws.send_str(f"send {n} {size}")
            assert (await ws.receive()).data == "go"
            t = time.perf_counter()
            if size < 1024:
                text = payload.decode()
                for _ in range(n):
                    await ws.send_str(text)
            else:
                for _ in range(n):
                    await ws.send_bytes(payload)
            _done((await ws.receive()).data)
            return time.perf_counter() - t
        text = payload.decode()
        await ws.send_str("echo")
        t = time.perf_counter()
        for _ in range(n):
            await ws.send_str(text)
            await ws.receive()
        return time.perf_counter() - t


async def client_picows(url: str, scenario: str, n: int, size: int, keep: bool) -> float:
    from picows import WSFrame, WSListener, WSMsgType, WSTransport, ws_connect

    loop = asyncio.get_running_loop()
    payload = _payload(size)

    class Client(WSListener):  # type: ignore[misc]
        def __init__(self) -> None:
            self.count = 0
            self.kept: list[bytes] = []
            self.done: asyncio.Future[None] = loop.create_future()
            self.go: asyncio.Future[bytes] = loop.create_future()
            self.finished: asyncio.Future[bytes] = loop.create_future()
            self.replies = [self.go, self.finished]
            self.writable = asyncio.Event()
            self.writable.set()

        def pause_writing(self) -> None:
            self.writable.clear()

        def resume_writing(self) -> None:
            self.writable.set()

        def on_ws_frame(self, transport: WSTransport, frame: WSFrame) -> None:
            if frame.msg_type == WSMsgType.CLOSE:
                transport.send_close(frame.get_close_code())
                transport.disconnect()
                if not self.done.done():
                    self.done.set_result(None)
                return
            self.count += 1
            if keep:
                self.kept.append(frame.get_payload_as_bytes())
            if scenario == "rtt":
                if self.count < n:
                    transport.send(WSMsgType.TEXT, payload)
                else:
                    self.done.set_result(None)
            elif scenario.startswith("send"):
                self.replies.pop(0).set_result(frame.get_payload_as_bytes())

    transport, listener = await ws_connect(Client, url, max_frame_size=64 * MiB)
    assert isinstance(listener, Client)
    client = listener
    t = time.perf_counter()
    if scenario.startswith("recv"):
        transport.send(WSMsgType.TEXT, f"recv {n} {size}".encode())
        await asyncio.wait_for(client.done, 300)
        elapsed = time.perf_counter() - t
        assert client.count == n, (client.count, n)
    elif scenario.startswith("send"):
        transport.send(WSMsgType.TEXT, f"send {n} {size}".encode())
        assert await asyncio.wait_for(client.go, 30) == b"go"
        t = time.perf_counter()
        op = WSMsgType.TEXT if size < 1024 else WSMsgType.BINARY
        for _ in range(n):
            transport.send(op, payload)
            if not client.writable.is_set():
                await client.writable.wait()
        _done(await asyncio.wait_for(client.finished, 300))
        elapsed = time.perf_counter() - t
    else:
        transport.send(WSMsgType.TEXT, b"echo")
        t = time.perf_counter()
        transport.send(WSMsgType.TEXT, payload)
        await asyncio.wait_for(client.done, 300)
        elapsed = time.perf_counter() - t
    transport.disconnect()
    return elapsed


def run_client(name: str, port: int, scenario: str, n: int, size: int) -> tuple[float, float]:
    """Wall seconds of the timed part, and this process's CPU seconds for the whole
    connection (imports done before: they are not the client's work)."""
    url = f"ws://127.0.0.1:{port}/"
    if name == "ours":
        import inspector.engine.client  # noqa: F401

        coro = client_ours(url, scenario, n, size)
    elif name == "websockets":
        import websockets.asyncio.client  # noqa: F401

        coro = client_websockets(url, scenario, n, size)
    elif name.startswith("aiohttp"):
        import aiohttp  # noqa: F401

        coro = client_aiohttp(url, scenario, n, size, name.endswith("keep"))
    elif name.startswith("picows"):
        import picows  # noqa: F401

        coro = client_picows(url, scenario, n, size, name.endswith("keep"))
    else:
        raise ValueError(name)
    cpu = time.process_time()
    wall = asyncio.run(coro)
    return wall, time.process_time() - cpu


def memory_floor(n: int) -> tuple[float, float, float]:
    """CPU microseconds per MiB to copy ``n`` payloads of 1 MiB from a read buffer
    into fresh memory kept (as a capture keeps them), the page faults per MiB that
    costs, and the CPU per MiB of the same copies into one buffer used again."""
    import resource

    source = memoryview(bytearray(_payload(MiB)))
    kept: list[bytes] = []
    before = resource.getrusage(resource.RUSAGE_SELF)
    cpu = time.process_time()
    for _ in range(n):
        kept.append(source.tobytes())
    fresh = time.process_time() - cpu
    faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before.ru_minflt
    again = bytearray(MiB)
    cpu = time.process_time()
    for _ in range(n):
        again[:] = source
    reused = time.process_time() - cpu
    return fresh / n * 1e6, faults / n, reused / n * 1e6


def _print_floor(
    floors: list[tuple[float, float, float]], cpus: dict[tuple[str, str], list[float]], n: int
) -> None:
    fresh = statistics.median(f[0] for f in floors)
    faults = statistics.median(f[1] for f in floors)
    reused = statistics.median(f[2] for f in floors)
    print(
        f"\nrecv-large floor (medians): copying 1 MiB into fresh memory that is kept costs "
        f"{fresh:.0f} us of CPU ({faults:.0f} page faults), into memory used again {reused:.0f} us."
    )
    for client in ("ours", "aiohttp", "aiohttp-keep", "picows", "picows-keep"):
        if ("recv-large", client) in cpus:
            spent = statistics.median(cpus["recv-large", client]) / n * 1e6
            print(
                f"  {client:<14} {spent:7.0f} us per MiB in all, "
                f"{spent - fresh:+7.0f} us beside the keeping floor"
            )


# ------------------------------------------------------------------------- main
def _unit(scenario: str) -> tuple[str, float]:
    if scenario.endswith("large"):
        return "MB/s", MiB / 1e6
    if scenario == "rtt":
        return "rt/s", 1.0
    return "msg/s", 1.0


def _fmt(value: float) -> str:
    if value >= 1e6:
        return f"{value / 1e6:.2f}M"
    if value >= 1e4:
        return f"{value / 1e3:.1f}k"
    return f"{value:,.0f}"


def _applies(client: str, scenario: str) -> bool:
    # Keeping payloads only changes what a receiving client does.
    return not (client.endswith("-keep") and not scenario.startswith("recv"))


def _print_server_side(
    clients: list[str],
    scenarios: list[str],
    served: dict[tuple[str, str], list[dict[str, float]]],
    args: argparse.Namespace,
) -> None:
    """What the server's side of each send scenario cost, per client (medians): the
    check that the server is not what bounds the figure, and how each client's bytes
    reached it (TCP data segments received, socket reads)."""
    rows = [s for s in scenarios if any((s, c) in served for c in clients)]
    if not rows:
        return
    print("\nThe server's side of the send scenarios (medians): CPU us per message, ")
    print("TCP data segments received per 1,000 messages, socket reads")
    print(f"{'scenario':<26}" + "".join(f"{c:>20}" for c in clients))
    for scenario in rows:
        n, _ = _work(scenario, args)
        cells = []
        for client in clients:
            runs = served.get((scenario, client))
            if not runs:
                cells.append("-".rjust(20))
                continue
            cpu = statistics.median(r["cpu"] for r in runs) / n * 1e6
            segs = statistics.median(r["data_segs"] for r in runs) / n * 1e3
            reads = statistics.median(r["reads"] for r in runs)
            cells.append(f"{cpu:.2f} {segs:,.0f} {reads:,.0f}".rjust(20))
        print(f"{scenario:<26}" + "".join(cells))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=200_000)
    parser.add_argument("--large", type=int, default=200)
    parser.add_argument("--round-trips", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--clients", default=",".join(CLIENTS))
    parser.add_argument("--scenarios", default=",".join(SCENARIOS))
    parser.add_argument("--quick", action="store_true", help="a tenth of the work, 3 rounds")
    parser.add_argument("--json", type=Path, help="also write the medians here")
    parser.add_argument(
        "--base",
        type=Path,
        help="another checkout of ours (the code before a change): run as client 'base'",
    )
    # Internal: one client run, in its own process.
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--client", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--scenario", help=argparse.SUPPRESS)
    parser.add_argument("--floor", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.quick:
        args.messages //= 10
        args.large //= 10
        args.round_trips //= 10
        args.rounds = min(args.rounds, 3)
    if args.serve:
        serve()
        return 0
    if args.floor:
        print(*memory_floor(_work("recv-large", args)[0]))
        return 0
    if args.client:
        n, size = _work(args.scenario, args)
        print(*run_client(args.client, args.port, args.scenario, n, size), json.dumps(server_stats))
        return 0

    clients = args.clients.split(",")
    if args.base:
        clients.insert(clients.index("ours") + 1 if "ours" in clients else 0, "base")
    scenarios = args.scenarios.split(",")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    # The base client is ours imported from the other checkout (this file's server
    # and clients: only the engine differs).
    base_env = {**env, "PYTHONPATH": str(args.base)} if args.base else env
    server = subprocess.Popen(
        [sys.executable, __file__, "--serve"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    times: dict[tuple[str, str], list[float]] = {}
    cpus: dict[tuple[str, str], list[float]] = {}
    served: dict[tuple[str, str], list[dict[str, float]]] = {}
    floors: list[tuple[float, float, float]] = []
    try:
        assert server.stdout is not None
        port = int(server.stdout.readline())
        passthrough = [
            f"--messages={args.messages}",
            f"--large={args.large}",
            f"--round-trips={args.round_trips}",
        ]
        for r in range(args.rounds):
            for scenario in scenarios:
                for client in clients:
                    if not _applies(client, scenario):
                        continue
                    out = subprocess.run(
                        [
                            sys.executable,
                            __file__,
                            *passthrough,
                            f"--port={port}",
                            f"--client={'ours' if client == 'base' else client}",
                            f"--scenario={scenario}",
                        ],
                        capture_output=True,
                        text=True,
                        timeout=600,
                        env=base_env if client == "base" else env,
                    )
                    if out.returncode:
                        print(f"{client} {scenario} failed:\n{out.stderr[-2000:]}", flush=True)
                        continue
                    wall, cpu, stats = out.stdout.split(maxsplit=2)
                    times.setdefault((scenario, client), []).append(float(wall))
                    cpus.setdefault((scenario, client), []).append(float(cpu))
                    if stats.strip() != "{}":
                        served.setdefault((scenario, client), []).append(json.loads(stats))
            if "recv-large" in scenarios:
                out = subprocess.run(
                    [sys.executable, __file__, "--floor", *passthrough],
                    capture_output=True,
                    text=True,
                    timeout=600,
                    env=env,
                    check=True,
                )
                fresh, faults, reused = map(float, out.stdout.split())
                floors.append((fresh, faults, reused))
            print(f"round {r + 1}/{args.rounds} done", file=sys.stderr, flush=True)
    finally:
        assert server.stdin is not None
        server.stdin.close()
        server.wait(10)

    print(
        f"Python {sys.version.split()[0]}, {os.cpu_count()} CPU(s); medians of {args.rounds} "
        "interleaved rounds, each client run in a fresh process, one picows server"
    )
    head = f"{'scenario':<26}" + "".join(f"{c:>14}" for c in clients)
    peers = [c for c in clients if c != "ours"]
    print(head + "".join(f"{'/' + c:>14}" for c in peers))
    medians: dict[str, dict[str, float]] = {}
    for scenario in scenarios:
        n, size = _work(scenario, args)
        unit, scale = _unit(scenario)
        rates: dict[str, float] = {}
        for client in clients:
            runs = times.get((scenario, client))
            if runs:
                rates[client] = n * scale / statistics.median(runs)
        medians[scenario] = rates
        label = f"{scenario} {n:,} x {size if size < MiB else '1 MiB'}"
        cells = "".join(f"{_fmt(rates[c]) if c in rates else '-':>14}" for c in clients)
        ratios = "".join(
            f"{rates['ours'] / rates[c]:>13.2f}x"
            if "ours" in rates and c in rates
            else f"{'-':>14}"
            for c in peers
        )
        print(f"{label + ' ' + unit:<26}{cells}{ratios}")
    print("\nCPU microseconds per message in the client process (medians)")
    print(f"{'scenario':<26}" + "".join(f"{c:>14}" for c in clients))
    for scenario in scenarios:
        n, _ = _work(scenario, args)
        cells = "".join(
            f"{statistics.median(cpus[scenario, c]) / n * 1e6:>14.2f}"
            if (scenario, c) in cpus
            else "-".rjust(14)
            for c in clients
        )
        print(f"{scenario:<26}{cells}")
    print("\nBy CPU per message: each peer's over ours (above 1: ours spends less)")
    print(f"{'scenario':<26}" + "".join(f"{'/' + c:>14}" for c in peers))
    for scenario in scenarios:
        if (scenario, "ours") not in cpus:
            continue
        ours = statistics.median(cpus[scenario, "ours"])
        cells = "".join(
            f"{statistics.median(cpus[scenario, c]) / ours:>13.2f}x"
            if (scenario, c) in cpus
            else "-".rjust(14)
            for c in peers
        )
        print(f"{scenario:<26}{cells}")
    if floors:
        _print_floor(floors, cpus, _work("recv-large", args)[0])
    _print_server_side(clients, scenarios, served, args)
    if args.json:
        args.json.write_text(json.dumps(medians, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
