"""Engine benchmark: our asyncio client against the websockets library's, side by side
in one run, and a thousand connections to our EchoServer.

1. **Flood**: a frame blaster (a plain-socket server in its own process, so that the
   client under test has a core to itself) completes the handshake and writes N small
   text messages as fast as the socket takes them, then a close frame. Our client
   (``inspector.engine.client.connect``, every frame captured into the connection's
   CaptureStore) and the ``websockets`` asyncio client (``async for`` over the
   connection) each read the whole flood: messages/s and the ratio.
2. **Large messages**: the same with M binary messages of 1 MiB: MB/s and the ratio.
3. **Connections**: C concurrent connections from this process (our client) to our
   EchoServer (in its own process, default settings: no capture kept), opened in
   batches; each sends one message and checks its echo. Reports the server's and
   the clients' RSS growth per connection, and the time to open them all.

    python benchmarks/bench_engine.py [--messages 200000] [--size 32]
                                      [--large 100] [--connections 1000] [--rounds 3]

Everything listens on 127.0.0.1 (port 0). Takes well under 3 minutes.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import multiprocessing as mp
import os
import resource
import socket
import statistics
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

MiB = 2**20


# ------------------------------------------------------------ the frame blaster
def _frame(opcode: int, payload: bytes) -> bytes:
    n = len(payload)
    if n < 126:
        head = bytes((0x80 | opcode, n))
    elif n < 65536:
        head = bytes((0x80 | opcode, 126)) + n.to_bytes(2, "big")
    else:
        head = bytes((0x80 | opcode, 127)) + n.to_bytes(8, "big")
    return head + payload


def _blaster(port_out: Any) -> None:
    """Serve floods, one connection at a time: GET /?n=N&size=S&op=1|2."""
    import base64
    import hashlib

    guid = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(16)
    port_out.send(srv.getsockname()[1])
    blobs: dict[tuple[int, int, int], bytes] = {}
    while True:
        conn, _ = srv.accept()
        with conn:
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            head = b""
            while b"\r\n\r\n" not in head:
                chunk = conn.recv(65536)
                if not chunk:
                    break
                head += chunk
            lines = head.split(b"\r\n")
            target = lines[0].split()[1].decode() if lines[0] else "/quit"
            if target.startswith("/quit"):
                return
            query = parse_qs(urlsplit(target).query)
            n = int(query["n"][0])
            size = int(query["size"][0])
            op = int(query.get("op", ["1"])[0])
            key = next(
                line.split(b":", 1)[1].strip()
                for line in lines
                if line.lower().startswith(b"sec-websocket-key:")
            )
            accept = base64.b64encode(hashlib.sha1(key + guid).digest())
            conn.sendall(
                b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                b"Connection: Upgrade\r\nSec-WebSocket-Accept: " + accept + b"\r\n\r\n"
            )
            if size * n <= 64 * MiB:
                if (n, size, op) not in blobs:
                    payload = (b"{'seq': 12345, 'px': 101.25} " * (size // 29 + 1))[:size]
                    blobs[(n, size, op)] = _frame(op, payload) * n
                conn.sendall(blobs[(n, size, op)])
            else:
                one = _frame(op, os.urandom(size))
                for _ in range(n):
                    conn.sendall(one)
            conn.sendall(_frame(8, (1000).to_bytes(2, "big")))
            conn.settimeout(10)
            with contextlib.suppress(OSError):
                conn.recv(1024)  # the client's close frame; then we close TCP first


class Blaster:
    def __enter__(self) -> Blaster:
        ctx = mp.get_context("spawn")
        recv, send = ctx.Pipe(duplex=False)
        self.proc = ctx.Process(target=_blaster, args=(send,), daemon=True)
        self.proc.start()
        if not recv.poll(30):
            raise RuntimeError("the blaster did not start")
        self.port = recv.recv()
        return self

    def url(self, n: int, size: int, op: int = 1) -> str:
        return f"ws://127.0.0.1:{self.port}/?n={n}&size={size}&op={op}"

    def __exit__(self, *exc: object) -> None:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.port)) as s:
            s.sendall(b"GET /quit HTTP/1.1\r\n\r\n")
        self.proc.join(5)
        if self.proc.is_alive():
            self.proc.kill()


# ------------------------------------------------------------------ the clients
async def ours(url: str, expected: int, read_size: int = 64 * 1024) -> tuple[float, int]:
    from inspector.engine.client import connect
    from inspector.engine.options import ConnectOptions

    options = ConnectOptions(
        deflate=False, max_message_size=64 * MiB, open_timeout=10, read_size=read_size
    )
    t = time.perf_counter()
    conn = await connect(url, options)
    await asyncio.wait_for(conn.wait_closed(), 120)
    elapsed = time.perf_counter() - t
    store = conn.store
    assert store is not None
    data = sum(1 for row in range(len(store)) if store.b0[row] & 0x0F in (1, 2))
    final = conn.final_state
    assert final is not None and final.clean, final
    assert data == expected, (data, expected)
    return elapsed, data


async def theirs_keeping(url: str, expected: int) -> tuple[float, int]:
    """websockets' client keeping every message, as a capture must: retaining the data
    costs fresh memory (page faults) that a client discarding each message never pays."""
    from websockets.asyncio.client import connect as ws_connect

    t = time.perf_counter()
    kept: list[str | bytes] = []
    async with ws_connect(url, compression=None, max_size=None, open_timeout=10) as ws:
        async for message in ws:
            kept.append(message)
    elapsed = time.perf_counter() - t
    assert len(kept) == expected, (len(kept), expected)
    return elapsed, len(kept)


async def theirs(url: str, expected: int) -> tuple[float, int]:
    from websockets.asyncio.client import connect as ws_connect

    t = time.perf_counter()
    count = 0
    async with ws_connect(url, compression=None, max_size=None, open_timeout=10) as ws:
        async for _ in ws:
            count += 1
    elapsed = time.perf_counter() - t
    assert count == expected, (count, expected)
    return elapsed, count


def flood(blaster: Blaster, n: int, size: int, op: int, rounds: int) -> dict[str, list[float]]:
    """Seconds per run for each client, ``rounds`` runs each, alternating."""
    url = blaster.url(n, size, op)
    # Warm up both (imports, the blaster's cached blob).
    asyncio.run(ours(blaster.url(min(n, 2000), size, op), min(n, 2000)))
    asyncio.run(theirs(blaster.url(min(n, 2000), size, op), min(n, 2000)))
    times: dict[str, list[float]] = {
        "ours": [],
        "websockets": [],
        "ours 1 MiB reads": [],
        "websockets keeping": [],
    }
    for _ in range(rounds):
        times["ours"].append(asyncio.run(ours(url, n))[0])
        times["websockets"].append(asyncio.run(theirs(url, n))[0])
        times["ours 1 MiB reads"].append(asyncio.run(ours(url, n, read_size=MiB))[0])
        times["websockets keeping"].append(asyncio.run(theirs_keeping(url, n))[0])
    return times


# ---------------------------------------------------------- connections (C10^3)
def _rss_kib(pid: int | str = "self") -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def _echo_server(port_out: Any, stop: Any) -> None:
    from inspector.engine.server import EchoServer

    async def main() -> None:
        server = await EchoServer("127.0.0.1", 0).start()
        port_out.send(server.port)
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, stop.wait)
        port_out.send((server.accepted, server.open_connections))
        await server.close()

    asyncio.run(main())


def _raise_fd_limit(need: int) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < need:
        target = need if hard == resource.RLIM_INFINITY else min(need, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))


async def many_connections(url: str, count: int, batch: int, deflate: bool) -> dict[str, Any]:
    from inspector.engine.client import connect
    from inspector.engine.options import ConnectOptions

    options = ConnectOptions(open_timeout=20, close_timeout=10, deflate=deflate)
    conns = []
    errors: list[str] = []
    t = time.perf_counter()
    for start in range(0, count, batch):
        results = await asyncio.gather(
            *(connect(url, options) for _ in range(start, min(start + batch, count))),
            return_exceptions=True,
        )
        for r in results:
            if isinstance(r, BaseException):
                errors.append(repr(r))
            else:
                conns.append(r)
    t_open = time.perf_counter() - t
    echoes: dict[int, bytes] = {}
    for i, conn in enumerate(conns):
        conn.on_message = lambda m, i=i: echoes.__setitem__(i, m.data)
        conn.send_text(f"hello from {i}")
    deadline = time.monotonic() + 30
    while len(echoes) < len(conns) and time.monotonic() < deadline:
        await asyncio.sleep(0.01)
    t_echo = time.perf_counter() - t - t_open
    wrong = [i for i in range(len(conns)) if echoes.get(i) != f"hello from {i}".encode()]
    return {
        "conns": conns,
        "errors": errors,
        "wrong": wrong,
        "t_open": t_open,
        "t_echo": t_echo,
    }


async def close_all(conns: list[Any], batch: int) -> int:
    unclean = 0
    for start in range(0, len(conns), batch):
        group = conns[start : start + batch]
        await asyncio.gather(*(c.close() for c in group))
        unclean += sum(1 for c in group if not (c.final_state and c.final_state.clean))
    return unclean


def _clients(url: str, count: int, batch: int, deflate: bool, out: Any) -> None:
    """In a fresh process, so that its RSS growth is the clients' alone."""
    _raise_fd_limit(count + 256)

    async def run() -> dict[str, Any]:
        before = _rss_kib()
        result = await many_connections(url, count, batch, deflate)
        result["client_rss"] = _rss_kib() - before
        out.send(("opened", None))
        out.recv()  # the server's RSS is read while every connection is open
        result["unclean"] = await close_all(result.pop("conns"), batch)
        return result

    out.send(("done", asyncio.run(run())))


def connections(count: int, batch: int, deflate: bool) -> dict[str, Any]:
    ctx = mp.get_context("spawn")
    recv, send = ctx.Pipe(duplex=False)
    stop = ctx.Event()
    server = ctx.Process(target=_echo_server, args=(send, stop), daemon=True)
    server.start()
    client: Any = None
    try:
        if not recv.poll(30):
            raise RuntimeError("the echo server did not start")
        url = f"ws://127.0.0.1:{recv.recv()}/"
        time.sleep(0.2)
        server_before = _rss_kib(server.pid)
        here, there = ctx.Pipe()
        client = ctx.Process(target=_clients, args=(url, count, batch, deflate, there))
        client.start()
        if not here.poll(120):
            raise RuntimeError("the clients did not finish opening their connections")
        here.recv()
        server_rss = _rss_kib(server.pid) - server_before
        here.send("close")
        if not here.poll(120):
            raise RuntimeError("the clients did not finish")
        _, result = here.recv()
        result["server_rss"] = server_rss
        stop.set()
        if recv.poll(10):
            result["accepted"], result["still_open"] = recv.recv()
        return dict(result)
    finally:
        stop.set()
        for proc in (client, server):
            if proc is not None:
                proc.join(10)
                if proc.is_alive():
                    proc.kill()


# ------------------------------------------------------------------------- main
def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=200_000, help="small messages to flood")
    parser.add_argument("--size", type=int, default=32, help="bytes per small message")
    parser.add_argument("--large", type=int, default=100, help="1 MiB messages to send")
    parser.add_argument("--connections", type=int, default=1000)
    parser.add_argument("--batch", type=int, default=100, help="connections opened at once")
    parser.add_argument("--rounds", type=int, default=3, help="runs of each flood per client")
    args = parser.parse_args()

    import websockets

    print(
        f"Python {sys.version.split()[0]}, websockets {websockets.__version__}, "
        f"{os.cpu_count()} CPU(s)"
    )
    t_all = time.perf_counter()
    with Blaster() as blaster:
        small = flood(blaster, args.messages, args.size, 1, args.rounds)
        large = flood(blaster, args.large, MiB, 2, args.rounds)
    conns = {
        deflate: connections(args.connections, args.batch, deflate) for deflate in (True, False)
    }

    n, m = args.messages, args.large
    print()
    print(f"best (median) of {args.rounds} runs each, alternating")
    print(f"{'benchmark':<40} {'ours':>19} {'websockets':>19} {'ratio':>13}")
    print("-" * 94)

    def row(label: str, times: dict[str, list[float]], work: float, unit: float) -> None:
        best = {k: work / min(times[k]) / unit for k in ("ours", "websockets")}
        med = {k: work / statistics.median(times[k]) / unit for k in ("ours", "websockets")}
        cells = [f"{best[k]:>9,.0f} ({med[k]:>7,.0f})" for k in ("ours", "websockets")]
        ratio = f"{best['ours'] / best['websockets']:.2f}x ({med['ours'] / med['websockets']:.2f}x)"
        print(f"{label:<40} {cells[0]:>19} {cells[1]:>19} {ratio:>13}")

    row(f"flood {n:,} x {args.size} B text, msg/s", small, n, 1)
    row(f"large {m} x 1 MiB binary, MB/s", large, m * MiB, 1e6)
    for label, times, work, unit in (
        ("flood", small, n, 1),
        ("large", large, m * MiB, 1e6),
    ):
        alt = {"ours": times["ours 1 MiB reads"], "websockets": times["websockets"]}
        row(f"  {label}, ours with read_size=1 MiB", alt, work, unit)
        keep = {"ours": times["ours"], "websockets": times["websockets keeping"]}
        row(f"  {label}, websockets keeping each message", keep, work, unit)
    print()
    ok = True
    c = args.connections
    for deflate, conn in conns.items():
        opened = c - len(conn["errors"])
        what = "permessage-deflate" if deflate else "no deflate"
        print(
            f"{opened}/{c} connections to our EchoServer ({what}): opened in "
            f"{conn['t_open']:.2f} s (batches of {args.batch}), echoes in {conn['t_echo']:.2f} s"
        )
        print(
            f"  errors {len(conn['errors'])}, wrong/missing echoes {len(conn['wrong'])}, "
            f"unclean closes {conn['unclean']}, server accepted {conn.get('accepted', '?')}, "
            f"still open after closing {conn.get('still_open', '?')}"
        )
        print(
            f"  RSS per connection: server {conn['server_rss'] / max(opened, 1):.1f} KiB "
            f"(no capture kept), client {conn['client_rss'] / max(opened, 1):.1f} KiB "
            "(capture kept)"
        )
        if conn["errors"]:
            print("  first error:", conn["errors"][0])
        ok = ok and not conn["errors"] and not conn["wrong"]
    print(f"\ntotal {time.perf_counter() - t_all:.1f} s")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
