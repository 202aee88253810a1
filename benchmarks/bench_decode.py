"""``ws-inspector decode`` against a websockets-based reference, in one run.

Both decode the same file: a client's byte stream of N masked text frames (default
1,000,000 frames of ~19-byte payloads, ~25 MiB), written to /dev/null.

* ours: ``ws-inspector decode FILE --from client`` (one row per frame: seq, offset,
  bits, opcode, mask key, length and the payload view registry's summary; every
  RFC 6455 rule checked) and the same with ``--json`` (capture lines, with the view
  and its rendered text on each message's line);
* the reference: websockets' sans-I/O frame parser (``Frame.parse`` over a
  ``StreamReader``, unmasking with its C helper) printing one line per frame (opcode,
  FIN, length, the text) or, for JSON, ``json.dumps`` of a dict of those fields. It
  checks less and prints fewer fields: it is a floor, not a peer.

Each command runs in a fresh process (the time inside it, imports excluded, its CPU
time and its peak RSS); rounds are interleaved and the medians printed with the
ratios (reference time / ours: above 1.0 ours is faster). On a shared machine the
CPU-time ratio is the steadier one: the wall time also counts other processes' turns.

    python benchmarks/bench_decode.py [--frames 1000000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from inspector.protocol.constants import Role
from inspector.protocol.frames import FrameSpec, encode_frame

OURS = """
import resource, sys, time
from inspector.cli.main import main
sys.stdout = open(os.devnull, "w")
t, c = time.perf_counter(), time.process_time()
main(["decode", PATH, "--from", "client", *EXTRA])
sys.stdout.flush()
took, cpu = time.perf_counter() - t, time.process_time() - c
print(took, cpu, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)
"""

REFERENCE = """
import json, resource, sys, time
from websockets.frames import Frame, Opcode
from websockets.streams import StreamReader
out = open(os.devnull, "w")
t, c = time.perf_counter(), time.process_time()
reader = StreamReader()
as_json = "--json" in EXTRA
pending = None
with open(PATH, "rb") as f:
    while chunk := f.read(1 << 20):
        reader.feed_data(chunk)
        lines = []
        while True:
            parser = pending or Frame.parse(reader.read_exact, mask=True, max_size=None)
            pending = None
            try:
                next(parser)
            except StopIteration as done:
                frame = done.value
            else:  # the rest of the frame is in the next chunk
                pending = parser
                break
            data = frame.data
            text = data.decode() if frame.opcode is Opcode.TEXT else None
            if as_json:
                lines.append(json.dumps({"opcode": frame.opcode.value, "fin": frame.fin,
                    "length": len(data), "text": text}))
            else:
                shown = text if text is not None else data[:16].hex(" ")
                lines.append(f"{frame.opcode.name} fin={frame.fin} len={len(data)} {shown}")
        lines.append("")
        out.write("\\n".join(lines))
out.flush()
took, cpu = time.perf_counter() - t, time.process_time() - c
print(took, cpu, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)
"""


def make_stream(path: Path, frames: int) -> None:
    with path.open("wb") as f:
        for start in range(0, frames, 10_000):
            f.write(
                b"".join(
                    b"".join(encode_frame(FrameSpec(1, f"msg {i:07d} hello".encode()), Role.CLIENT))
                    for i in range(start, min(start + 10_000, frames))
                )
            )


def run(script: str, path: Path, extra: list[str]) -> tuple[float, float, int]:
    code = f"import os\nPATH = {str(path)!r}\nEXTRA = {extra!r}\n" + script
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=3600
    )
    if done.returncode != 0:
        raise SystemExit(done.stderr)
    took, cpu, rss = done.stderr.split()[-3:]
    return float(took), float(cpu), int(rss) * 1024


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--frames", type=int, default=1_000_000)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "client.bin"
        make_stream(path, args.frames)
        size = os.path.getsize(path)
        print(f"{args.frames:,} masked text frames, {size / 2**20:.1f} MiB")
        results: dict[str, list[tuple[float, float, int]]] = {}
        cases = [
            ("ours text", OURS, []),
            ("reference text", REFERENCE, []),
            ("ours --json", OURS, ["--json"]),
            ("reference --json", REFERENCE, ["--json"]),
        ]
        for _ in range(args.rounds):
            for name, script, extra in cases:
                results.setdefault(name, []).append(run(script, path, extra))
        med = {
            name: tuple(statistics.median(r[i] for r in runs) for i in range(3))
            for name, runs in results.items()
        }
        for name, (took, cpu, rss) in med.items():
            print(
                f"{name:<18} {took:6.2f} s ({cpu:5.2f} s CPU)  {args.frames / took:>10,.0f} "
                f"frames/s  RSS {rss / 2**20:6.1f} MiB"
            )
        for kind in ("text", "--json"):
            ours, ref = med[f"ours {kind}"], med[f"reference {kind}"]
            print(
                f"ratio {kind:<7} ours/reference speed {ref[0] / ours[0]:.2f}x "
                f"(CPU time {ref[1] / ours[1]:.2f}x)"
            )
        print(json.dumps({k: {"s": v[0], "cpu_s": v[1], "rss": v[2]} for k, v in med.items()}))


if __name__ == "__main__":
    main()
