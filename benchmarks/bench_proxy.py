"""The proxy under a flood: ours (recording every frame of both sides) against
mitmproxy in reverse mode and against no proxy at all, in the same run.

A websockets echo server runs in its own process; each proxy runs in its own process
(ours: a ``ProxyServer`` keeping every frame of both sides in its captures, no
journal, no output; mitmproxy: ``mitmdump --mode reverse:...``). The websockets client
in this process, compression off, then measures for each route, in interleaved rounds:

1. 200,000 small text messages, pipelined (a sender and a receiver task): messages/s;
2. 200 x 1 MiB binary messages, pipelined: MB/s;
3. 2,000 sequential round trips of a small message: the latency per message, p50 and
   p99, and what the proxy adds to the direct connection's;
4. memory per idle proxied connection: the proxy process's RSS before and after 200
   idle connections through it.

mitmproxy is looked for in ``$MITMDUMP`` (a path to ``mitmdump``; install mitmproxy
11 into a venv of its own, never into the project's: ``python3 -m venv /tmp/mitmvenv
&& /tmp/mitmvenv/bin/pip install 'mitmproxy>=11,<12'``), else ``/tmp/mitmvenv/bin/mitmdump``;
without it its column is skipped. Targets (issue 11): ours >= 2x mitmproxy's msgs/s
and >= 0.5x direct.

    python benchmarks/bench_proxy.py [--small 200000] [--big 200] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from websockets.asyncio.client import ClientConnection, connect

MiB = 2**20

ECHO = """
import asyncio, sys
from websockets.asyncio.server import serve
async def echo(ws):
    async for m in ws:
        await ws.send(m)
async def main():
    async with serve(echo, "127.0.0.1", 0, compression=None, max_size=None,
                     ping_interval=None, write_limit=2**20) as s:
        print(s.sockets[0].getsockname()[1], flush=True)
        await asyncio.Future()
asyncio.run(main())
"""

OURS = """
import asyncio, sys, tempfile
sys.path.insert(0, sys.argv[2])
from inspector.engine.proxy import Controls, ProxyOptions, ProxyServer, Rules
mode = sys.argv[3]
controls = Controls()
if mode == "rule":  # the pipeline, per whole frame, with a rule that never matches
    controls.set_rules(Rules.parse(replace=["client:^never-sent$=>x"]))
elif mode == "hook":  # a script whose hooks return each message unchanged
    from inspector.automation.hooks import HookRunner, Script
    from inspector.cli.proxy import proxy_hook
    with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False) as f:
        f.write("def on_client_message(conn, m):\\n    return m\\n"
                "def on_server_message(conn, m):\\n    return m\\n")
    controls.set_hook(proxy_hook(HookRunner(Script.load(f.name), print)))
async def main():
    kept = []
    server = ProxyServer("127.0.0.1", 0, ProxyOptions(upstream=sys.argv[1], proxy="",
                         max_capture_bytes=None, controls=controls), on_connection=kept.append)
    await server.start()
    print(server.port, flush=True)
    await asyncio.Future()
asyncio.run(main())
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


def _start(args: list[str]) -> tuple[subprocess.Popen[str], int]:
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    line = proc.stdout.readline()
    return proc, int(line)


def _mitmdump() -> str | None:
    found = os.environ.get("MITMDUMP") or "/tmp/mitmvenv/bin/mitmdump"
    return found if Path(found).exists() or shutil.which(found) else None


def _start_mitm(path: str, echo_port: int) -> tuple[subprocess.Popen[str], int]:
    port = _free_port()
    proc = subprocess.Popen(
        [path, "-q", "--mode", f"reverse:http://127.0.0.1:{echo_port}", "-p", str(port),
         "--set", "flow_detail=0", "--set", "websocket=true"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        text=True,
    )  # fmt: skip
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return proc, port
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("mitmdump did not start")


def _rss(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


async def _open(port: int) -> ClientConnection:
    return await connect(
        f"ws://127.0.0.1:{port}/bench",
        compression=None,
        max_size=None,
        ping_interval=None,
        proxy=None,
        write_limit=2**20,
    )


async def _flood(port: int, messages: list[str] | list[bytes]) -> float:
    """Seconds to send ``messages`` pipelined and receive every echo."""
    ws = await _open(port)
    n = len(messages)

    async def receive() -> None:
        for _ in range(n):
            await ws.recv()

    t = time.perf_counter()
    receiver = asyncio.create_task(receive())
    for m in messages:
        await ws.send(m)
    await receiver
    elapsed = time.perf_counter() - t
    await ws.close()
    return elapsed


async def _latency(port: int, count: int) -> list[float]:
    ws = await _open(port)
    samples = []
    for i in range(count):
        t = time.perf_counter()
        await ws.send(f"ping {i}")
        await ws.recv()
        samples.append(time.perf_counter() - t)
    await ws.close()
    return samples


async def _idle_memory(port: int, pid: int, count: int) -> float:
    before = _rss(pid)
    conns = [await _open(port) for _ in range(count)]
    await asyncio.sleep(0.5)
    after = _rss(pid)
    for ws in conns:
        await ws.close()
    return (after - before) / count


def _pct(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def _main(ns: argparse.Namespace) -> None:
    root = str(Path(__file__).resolve().parent.parent)
    echo, echo_port = _start([sys.executable, "-c", ECHO])
    procs = [echo]
    routes: dict[str, tuple[int, int | None]] = {"direct": (echo_port, None)}
    try:
        for name, mode in (("ours", ""), ("ours+rule", "rule"), ("ours+hook", "hook")):
            if mode and name not in ns.with_controls:
                continue
            proc, port = _start(
                [sys.executable, "-c", OURS, f"ws://127.0.0.1:{echo_port}", root, mode]
            )
            procs.append(proc)
            routes[name] = (port, proc.pid)
        mitm = _mitmdump()
        if mitm is not None:
            proc, port = _start_mitm(mitm, echo_port)
            procs.append(proc)
            routes["mitmproxy"] = (port, proc.pid)
        else:
            print("mitmproxy: not found ($MITMDUMP or /tmp/mitmvenv/bin/mitmdump): skipped")
        small = [f"message {i:06d}" for i in range(ns.small)]
        big = [os.urandom(MiB)] * ns.big
        rates: dict[str, list[float]] = {name: [] for name in routes}
        mbps: dict[str, list[float]] = {name: [] for name in routes}
        lat: dict[str, list[float]] = {name: [] for name in routes}
        for _ in range(ns.rounds):
            for name, (port, _pid) in routes.items():
                rates[name].append(ns.small / await _flood(port, small))
                mbps[name].append(ns.big / await _flood(port, big))
                lat[name].extend(await _latency(port, ns.latency))
        print(f"{'route':<10} {'small msg/s':>12} {'1 MiB MB/s':>11} {'p50 ms':>8} {'p99 ms':>8}")
        for name in routes:
            print(
                f"{name:<10} {statistics.median(rates[name]):>12,.0f} "
                f"{statistics.median(mbps[name]) * MiB / 1e6:>11,.0f} "
                f"{_pct(lat[name], 0.5) * 1e3:>8.3f} {_pct(lat[name], 0.99) * 1e3:>8.3f}"
            )
        direct50, direct99 = _pct(lat["direct"], 0.5), _pct(lat["direct"], 0.99)
        for name in routes:
            if name == "direct":
                continue
            ratio_direct = statistics.median(rates[name]) / statistics.median(rates["direct"])
            print(
                f"{name}: {ratio_direct:.2f}x direct (small), adds "
                f"{(_pct(lat[name], 0.5) - direct50) * 1e6:.0f} us p50, "
                f"{(_pct(lat[name], 0.99) - direct99) * 1e6:.0f} us p99"
            )
        for name in ("ours+rule", "ours+hook"):
            if name in routes:
                ratio = statistics.median(rates[name]) / statistics.median(rates["ours"])
                print(f"{name} / ours, small msg/s: {ratio:.2f}x")
        if "mitmproxy" in routes:
            for what, table in (("small msg/s", rates), ("1 MiB MB/s", mbps)):
                ratio = statistics.median(table["ours"]) / statistics.median(table["mitmproxy"])
                print(f"ours / mitmproxy, {what}: {ratio:.2f}x")
        for name, (port, pid) in routes.items():
            if pid is not None:
                per = await _idle_memory(port, pid, ns.idle)
                print(f"{name}: {per / 1024:.1f} KiB RSS per idle proxied connection")
    finally:
        for proc in procs:
            proc.kill()
            proc.wait(10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--small", type=int, default=200_000)
    parser.add_argument("--big", type=int, default=200)
    parser.add_argument("--latency", type=int, default=2_000)
    parser.add_argument("--idle", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--with-controls",
        nargs="*",
        default=["ours+rule", "ours+hook"],
        help="also measure ours with a rule that never matches (the pipeline) and with "
        "a script whose hooks return each message unchanged (target: >= 0.5x ours)",
    )
    asyncio.run(_main(parser.parse_args()))


if __name__ == "__main__":
    main()
