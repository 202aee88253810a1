"""Capture files and the live journal: what a million frames cost to save and open, and
what journaling costs a live connection under a flood.

1. **Save / open**: a session of F frames (default 1,000,000: 90% small text frames
   received from a server in 64 KiB socket reads, 10% masked frames we sent) is saved
   with ``write_jsonl`` and opened with ``read_jsonl``; the same session written as a
   live journal (``frames`` lines) is opened too; it is converted to HAR and back
   as ``ws-inspector convert`` does (read one format, write the other); and its
   first 100,000 messages go through HAR (``write_har`` / ``read_har``). Issue 13's
   goals: open a million frames in at most 3 s, convert them in at most 5 s each way;
   ``json.loads`` of every line is measured alongside, for the ratio, in each of
   ``--file-rounds`` rounds (medians and ranges reported).
2. **Journal cost**: a frame blaster (a plain-socket server in its own process, so that
   the client has a CPU to itself) sends N small text messages (default 200,000) to
   our engine client, which captures every frame; the same flood is received without
   a journal and with one (``inspector.engine.journal.Journal``: ``frames`` lines),
   alternating, R rounds each; then once with a journal of ordinary frame lines for
   reference. Reports messages/s (wall) and CPU microseconds per message in this
   process, medians, and the journal's cost. Target: < 10%. Then the same with N/2
   messages compressed with permessage-deflate, where every message is one the
   store keeps (``messages`` lines).

    python benchmarks/bench_capture.py [--frames 1000000] [--file-rounds 3]
        [--flood 200000 (0: no journal floods)] [--rounds 7]

Everything listens on 127.0.0.1 (port 0) and writes under a temporary directory.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import gc
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from inspector.capture.events import ConnectionState as State
from inspector.capture.events import (
    Direction,
    FramesCaptured,
    MessageCaptured,
    SessionInfo,
    StateChanged,
)
from inspector.capture.formats.har import read_har, write_har
from inspector.capture.formats.journal import JournalWriter
from inspector.capture.formats.jsonl import read_jsonl, write_jsonl
from inspector.capture.formats.jsonl.fast import FAST_JSON
from inspector.capture.store import CaptureStore
from inspector.protocol.connection import Protocol
from inspector.protocol.constants import Role
from inspector.protocol.events import Message
from inspector.protocol.frames import Frame, FrameBatch

MiB = 2**20


# --------------------------------------------------------------- save and open
def build_session(frames: int) -> list[FramesCaptured | MessageCaptured | StateChanged]:
    """The events of a session of about ``frames`` frames, as a connection publishes
    them: batches of received frames per 64 KiB read, lists of frames we sent."""
    events: list[Any] = [StateChanged(0.0, State.OPEN)]
    server = Protocol(Role.SERVER)
    client = Protocol(Role.CLIENT)
    sent = 0
    received = 0
    t = 0.0
    block = 0
    while sent + received < frames:
        block += 1
        t += 0.001
        want_in = min(9000, int(frames * 0.9) - received)
        for i in range(max(want_in, 0)):
            server.send_text(f'{{"tick":{received + i},"px":{(received + i) % 977}.25}}')
        data = b"".join(server.data_to_send())
        for k in range(0, len(data), 65536):
            client.receive_data(data[k : k + 65536])
            for e in client.events_received():
                if isinstance(e, FrameBatch):
                    events.append(FramesCaptured(t, Direction.IN, e))
                    received += len(e)
                elif isinstance(e, Message) and e.frame_count > 1:
                    events.append(MessageCaptured(t, Direction.IN, e))
        for i in range(min(1000, frames - sent - received)):
            client.send_text(f"order {sent + i}")
        out = [e for e in client.events_sent() if isinstance(e, Frame)]
        client.data_to_send()
        if out:
            events.append(FramesCaptured(t, Direction.OUT, out))
            sent += len(out)
        if want_in <= 0 and not out:
            break
    return events


def timed(fn: Any, *args: Any, **kwargs: Any) -> tuple[float, Any]:
    gc.collect()
    start = time.perf_counter()
    result = fn(*args, **kwargs)
    return time.perf_counter() - start, result


def bench_files(frames: int, folder: Path, rounds: int) -> None:
    print(f"building a session of {frames:,} frames...", flush=True)
    events = build_session(frames)
    session = SessionInfo("wss://feed.example/ticks", "client", "2024-05-01T12:00:00Z", 1.7e9)
    store = CaptureStore(session)
    for e in events:
        store.add(e)
    n = len(store)
    print(f"  {n:,} frames, {sum(store.counters(d).wire_bytes for d in Direction) / MiB:.1f} "
          "MiB on the wire")  # fmt: skip

    path = folder / "session.jsonl"
    secs, _ = timed(write_jsonl, store, path)
    size = path.stat().st_size
    print(f"save   write_jsonl  {secs:6.2f} s  {n / secs:>10,.0f} frames/s  "
          f"{size / MiB:7.1f} MiB  {'ok' if secs < 10 else 'OVER 10 s'}")  # fmt: skip
    # Open, and the reference beside it in each round: json.loads of every line,
    # nothing kept (what a reader of the format by line costs at least with the
    # standard library).
    opens: list[float] = []
    refs: list[float] = []
    for _ in range(rounds):
        secs, result = timed(read_jsonl, path)
        assert result.complete and len(result.store) == n, result.problems
        opens.append(secs)
        del result
        gc.collect()
        lines = path.read_bytes().splitlines()
        ref, _ = timed(collections.deque, map(json.loads, lines), maxlen=0)
        lines.clear()
        refs.append(ref)
    secs = statistics.median(opens)
    print(f"open   read_jsonl   {secs:6.2f} s  {n / secs:>10,.0f} frames/s  "
          f"{'ok' if secs <= 3 else 'OVER 3 s'} (issue 13: at most 3 s for a million; "
          f"median of {rounds}, {min(opens):.2f}-{max(opens):.2f} s)")  # fmt: skip
    print(
        f"       json.loads per line {statistics.median(refs):6.2f} s "
        f"({min(refs):.2f}-{max(refs):.2f}): read_jsonl at "
        f"{statistics.median(r / o for r, o in zip(refs, opens, strict=True)):.2f}x "
        f"(per round {' '.join(f'{r / o:.2f}' for r, o in zip(refs, opens, strict=True))}; "
        f"fast JSON library: {FAST_JSON or 'none'})"
    )
    gc.collect()

    journal = folder / "journal.jsonl"

    def write_journal() -> None:
        writer = JournalWriter(journal, session)
        for e in events:
            writer.add(e)
        writer.close(keep=True)

    secs, _ = timed(write_journal)
    size = journal.stat().st_size
    print(f"journal written     {secs:6.2f} s  {n / secs:>10,.0f} frames/s  "
          f"{size / MiB:7.1f} MiB")  # fmt: skip
    secs, result = timed(read_jsonl, journal)
    assert result.complete and len(result.store) == n, result.problems
    print(f"journal read_jsonl  {secs:6.2f} s  {n / secs:>10,.0f} frames/s")
    del result
    gc.collect()

    # convert, as the command does it: read one format, write the other, the whole
    # session (issue 13's goal: at most 5 s each way for a million frames).
    har_all = folder / "all.har"

    def to_har_file() -> None:
        write_har(read_jsonl(path).store, har_all)

    def to_jsonl_file() -> None:
        (imported,) = read_har(har_all)
        write_jsonl(imported.store, folder / "from-har.jsonl")

    to_har: list[float] = []
    to_jsonl: list[float] = []
    for _ in range(rounds):
        to_har.append(timed(to_har_file)[0])
        to_jsonl.append(timed(to_jsonl_file)[0])
    for what, runs, size in (
        ("jsonl->HAR", to_har, f"  {har_all.stat().st_size / MiB:7.1f} MiB"),
        ("HAR->jsonl", to_jsonl, ""),
    ):
        secs = statistics.median(runs)
        print(f"convert {what}  {secs:6.2f} s  {n / secs:>10,.0f} frames/s{size}  "
              f"{'ok' if secs <= 5 else 'OVER 5 s'} (median of {rounds}, "
              f"{min(runs):.2f}-{max(runs):.2f} s)")  # fmt: skip
    har_all.unlink()
    gc.collect()

    # HAR: the first 100,000 data messages (one JSON document, read whole).
    small = CaptureStore(session)
    for e in events:
        small.add(e)
        if len(small) >= 100_000:
            break
    har = folder / "session.har"
    secs, _ = timed(write_har, small, har)
    print(f"HAR    write_har    {secs:6.2f} s  {len(small) / secs:>10,.0f} messages/s  "
          f"{har.stat().st_size / MiB:7.1f} MiB ({len(small):,} messages)")  # fmt: skip
    secs, sessions = timed(read_har, har)
    assert len(sessions[0].store) == len(small)
    print(f"HAR    read_har     {secs:6.2f} s  {len(small) / secs:>10,.0f} messages/s")


# --------------------------------------------------------------- journal cost
BLASTER = r"""
import base64, hashlib, socket, sys
n = int(sys.argv[1])
deflate = sys.argv[2] == "deflate"
frame = b"\x81\x14" + b"abcdefghij0123456789"
chunk = frame * 4096
extension = b""
if deflate:  # one stream for a fresh compression context: the same for every client
    from inspector.protocol.connection import Protocol
    from inspector.protocol.constants import Role
    from inspector.protocol.deflate import DeflateParams, PerMessageDeflate
    proto = Protocol(Role.SERVER, deflate=PerMessageDeflate(DeflateParams(), Role.SERVER))
    for i in range(n):
        proto.send_text('{"tick":%d,"px":%d.25,"sym":"ABC"}' % (i, i % 977))
    stream = b"".join(proto.data_to_send())
    extension = b"Sec-WebSocket-Extensions: permessage-deflate\r\n"
srv = socket.create_server(("127.0.0.1", 0))
print(srv.getsockname()[1], flush=True)
while True:
    conn, _ = srv.accept()
    with conn:
        request = b""
        while b"\r\n\r\n" not in request:
            request += conn.recv(4096)
        key = [l.split(b":", 1)[1].strip() for l in request.split(b"\r\n")
               if l.lower().startswith(b"sec-websocket-key")][0]
        guid = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
        accept = base64.b64encode(hashlib.sha1(key + guid).digest())
        conn.sendall(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                     b"Connection: Upgrade\r\nSec-WebSocket-Accept: " + accept + b"\r\n"
                     + extension + b"\r\n")
        left = 0 if deflate else n
        try:
            if deflate:
                conn.sendall(stream)
            while left:
                k = min(4096, left)
                conn.sendall(chunk if k == 4096 else frame * k)
                left -= k
            conn.recv(1)
        except OSError:
            pass
"""


async def receive_flood(
    port: int, n: int, mode: str, folder: Path, deflate: bool
) -> tuple[float, float]:
    from inspector.engine.client import connect, new_client_connection
    from inspector.engine.journal import Journal
    from inspector.engine.options import ConnectOptions

    loop = asyncio.get_running_loop()
    done: asyncio.Future[tuple[float, float]] = loop.create_future()
    count = 0

    def counter(event: Any) -> None:
        nonlocal count
        if type(event) is FramesCaptured and event.dir is Direction.IN:
            count += len(event)
            if count >= n and not done.done():
                done.set_result((time.perf_counter(), time.process_time()))

    url = f"ws://127.0.0.1:{port}/"
    options = ConnectOptions(deflate=deflate)
    conn = new_client_connection(url, options)
    conn.subscribe(counter)
    journal = None
    if mode != "none":
        journal = Journal(conn, directory=folder, compact=mode == "journal")
    await connect(url, options, connection=conn)
    wall, cpu = time.perf_counter(), time.process_time()
    wall_end, cpu_end = await asyncio.wait_for(done, 120)
    conn.abort()
    if journal is not None:
        journal.close()
    await asyncio.sleep(0)
    return wall_end - wall, cpu_end - cpu


def bench_journal(n: int, rounds: int, folder: Path, deflate: bool = False) -> None:
    blaster = subprocess.Popen(
        [sys.executable, "-c", BLASTER, str(n), "deflate" if deflate else "plain"],
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parent.parent,
    )
    try:
        assert blaster.stdout is not None
        port = int(blaster.stdout.readline())
        results: dict[str, list[tuple[float, float]]] = {"none": [], "journal": []}

        async def run_all() -> None:
            await receive_flood(port, n, "none", folder, deflate)  # warm up
            for _ in range(rounds):
                for mode in results:
                    gc.collect()
                    results[mode].append(await receive_flood(port, n, mode, folder, deflate))
            gc.collect()
            full = await receive_flood(port, n, "full", folder, deflate)
            results["journal, line per item"] = [full]

        asyncio.run(run_all())
    finally:
        blaster.kill()
        blaster.wait()
    what = "compressed messages of ~35 bytes" if deflate else "messages of 20 bytes"
    print(f"\nflood of {n:,} {what}, {rounds} rounds, medians:")
    base_wall = statistics.median(w for w, _ in results["none"])
    base_cpu = statistics.median(c for _, c in results["none"])
    for mode, runs in results.items():
        wall = statistics.median(w for w, _ in runs)
        cpu = statistics.median(c for _, c in runs)
        line = f"  {mode:<22} {n / wall:>10,.0f} msg/s  {cpu / n * 1e6:5.2f} us CPU/msg"
        if mode != "none":
            line += (
                f"  throughput {100 * (base_wall / wall - 1):+6.1f}%"
                f"  CPU per message {100 * (cpu / base_cpu - 1):+6.1f}%"
            )
        print(line)
    spread = [n / w for w, _ in results["journal"]]
    print(f"  (journal rounds: {min(spread):,.0f} .. {max(spread):,.0f} msg/s)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--frames", type=int, default=1_000_000)
    ap.add_argument("--flood", type=int, default=200_000)
    ap.add_argument("--rounds", type=int, default=7, help="rounds of the journal floods")
    ap.add_argument(
        "--file-rounds", type=int, default=3, help="rounds of open (with its reference), convert"
    )
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-capture-") as tmp:
        folder = Path(tmp)
        bench_files(args.frames, folder, args.file_rounds)
        if args.flood:
            bench_journal(args.flood, args.rounds, folder / "journals")
            bench_journal(args.flood // 2, args.rounds, folder / "journals", deflate=True)
    sys.stdout.flush()


if __name__ == "__main__":
    main()
