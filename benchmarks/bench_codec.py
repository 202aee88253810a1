"""Codec benchmark: our frame parser against the websockets library's, in one run.

Both parse the same byte streams, fed in the same 64 KiB chunks (a socket read):

* 200,000 masked 20-byte text frames (a client's chatter, as a server sees it);
* 2,000 masked 64 KiB binary frames.

"parser" is our :class:`FrameParser` (framing, unmasking and every frame-level rule,
recording offset, seq, header bytes and violations per frame); "protocol" adds our
message layer (reassembly, UTF-8 validation, close handling). The reference is
websockets' sans-I/O ``ServerProtocol.receive_data`` + ``events_received``. Medians of
several rounds; ratios are ours / websockets'.

    python benchmarks/bench_codec.py [--rounds 5]
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

from websockets.protocol import Protocol as WsProtocol
from websockets.protocol import Side

from inspector.protocol.connection import Protocol
from inspector.protocol.constants import Role
from inspector.protocol.frames import FrameParser, FrameSpec, encode_frame

CHUNK = 64 * 1024


def make_stream(count: int, size: int, opcode: int) -> list[bytes]:
    payload = (b"abcdefghij" * (size // 10 + 1))[:size]
    data = b"".join(
        b"".join(encode_frame(FrameSpec(opcode, payload), Role.CLIENT)) for _ in range(count)
    )
    return [data[i : i + CHUNK] for i in range(0, len(data), CHUNK)]


def run_ours_parser(chunks: list[bytes]) -> int:
    parser = FrameParser(Role.CLIENT, max_frame_size=None)
    return sum(len(parser.feed(chunk)) for chunk in chunks)


def run_ours_protocol(chunks: list[bytes]) -> int:
    proto = Protocol(Role.SERVER, max_frame_size=None, max_message_size=None)
    count = 0
    for chunk in chunks:
        proto.receive_data(chunk)
        for event in proto.events_received():
            count += len(event) if hasattr(event, "offsets") else 0
    return count


def run_websockets(chunks: list[bytes]) -> int:
    proto = WsProtocol(Side.SERVER, max_size=None)
    count = 0
    for chunk in chunks:
        proto.receive_data(chunk)
        count += len(proto.events_received())
    return count


def measure(fn: Callable[[list[bytes]], int], chunks: list[bytes], expected: int) -> float:
    t = time.perf_counter()
    got = fn(chunks)
    elapsed = time.perf_counter() - t
    if got != expected:
        raise SystemExit(f"{fn.__name__} parsed {got} frames, expected {expected}")
    return elapsed


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()
    cases = [
        ("200,000 masked 20 B text frames", 200_000, 20, 1),
        ("2,000 masked 64 KiB binary frames", 2_000, 65536, 2),
    ]
    runners = [
        ("websockets", run_websockets),
        ("ours: parser", run_ours_parser),
        ("ours: protocol", run_ours_protocol),
    ]
    print(f"{'stream':36} {'implementation':16} {'frames/s':>12} {'MB/s':>9} {'ratio':>7}")
    for title, count, size, opcode in cases:
        chunks = make_stream(count, size, opcode)
        total = sum(map(len, chunks))
        times: dict[str, list[float]] = {name: [] for name, _ in runners}
        for _ in range(args.rounds):  # interleaved, so drift hits all alike
            for name, fn in runners:
                times[name].append(measure(fn, chunks, count))
        ref = statistics.median(times["websockets"])
        for name, _ in runners:
            med = statistics.median(times[name])
            print(
                f"{title:36} {name:16} {count / med:12,.0f} {total / med / 1e6:9,.0f} "
                f"{ref / med:6.2f}x"
            )


if __name__ == "__main__":
    main()
