"""Codec benchmark: our frame parser against the websockets library's, in one run.

Both parse the same byte streams, fed in the same 64 KiB chunks (a socket read):

* 200,000 masked 20-byte text frames (a client's chatter, as a server sees it);
* 2,000 masked 64 KiB binary frames.

"parser" is our :class:`FrameParser` (framing, unmasking and every frame-level rule,
recording offset, seq, header bytes and violations per frame); "protocol" adds our
message layer (reassembly, UTF-8 validation, close handling). The reference is
websockets' sans-I/O ``ServerProtocol.receive_data`` + ``events_received``. Medians of
several rounds; ratios are ours / websockets'.

Then two figures of ours alone: the plain send path (``send_text`` of 200,000 small
messages, which the checks of crafted frames must not slow), and the time to stop a
decompression bomb (100 MiB of zeros in ~100 KB) at a 1 MiB limit, which the unit
tests check for memory only.

    python benchmarks/bench_codec.py [--rounds 5]
"""

from __future__ import annotations

import argparse
import statistics
import time
import zlib
from collections.abc import Callable

from websockets.protocol import Protocol as WsProtocol
from websockets.protocol import Side

from inspector.protocol.connection import Protocol
from inspector.protocol.constants import Role
from inspector.protocol.deflate import DeflateParams, InflateTooLarge, PerMessageDeflate
from inspector.protocol.frames import FrameSpec, encode_frame
from inspector.protocol.parser import FrameParser

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
    print()
    print(f"send_text, 200,000 x 17 B: {200_000 / _median(_send_path, args.rounds):12,.0f} msgs/s")
    print(f"decompression bomb stopped at 1 MiB: {_median(_bomb, args.rounds) * 1000:8.1f} ms")


def _median(fn: Callable[[], float], rounds: int) -> float:
    return statistics.median(fn() for _ in range(rounds))


def _send_path() -> float:
    proto = Protocol(Role.CLIENT, mask_key_source=lambda: b"abcd")
    t = time.perf_counter()
    for i in range(200_000):
        proto.send_text("hello world 12345")
        if i % 1000 == 999:
            proto.data_to_send()
            proto.events_sent()
    return time.perf_counter() - t


def _bomb() -> float:
    deflater = zlib.compressobj(9, zlib.DEFLATED, -15)
    bomb = (deflater.compress(bytes(2**20)) + deflater.flush(zlib.Z_SYNC_FLUSH)) * 100
    inflater = PerMessageDeflate(DeflateParams(), Role.SERVER, max_inflated_size=2**20)
    t = time.perf_counter()
    try:
        inflater.decompress(bomb)
    except InflateTooLarge:
        return time.perf_counter() - t
    raise SystemExit("the bomb was not stopped")


if __name__ == "__main__":
    main()
