"""Hook benchmark: what a script's hook costs our client, side by side in one run.

A frame blaster (bench_engine's, in its own process) floods our client
(``inspector.engine.client.connect``, every frame captured) with N small text
messages, then closes. The client reads the flood three ways, interleaved round by
round: with no script; with a script whose ``on_message`` returns the message
unchanged (the issue's bar: at most 2x slower, i.e. at least half the throughput);
and with ``on_frame`` (one call per frame, each frame made a Frame record).

    python benchmarks/bench_hooks.py [--messages 200000] [--size 32] [--rounds 5]

Listens on 127.0.0.1 (port 0). Takes well under a minute.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from bench_engine import Blaster  # noqa: E402

from inspector.automation.hooks import HookRunner, Script  # noqa: E402

#: Each hook counts its calls (one list item bump), so that a run proves it was called.
SCRIPTS = {
    "no script": None,
    "on_message returns it": (
        "calls = [0]\ndef on_message(conn, message):\n    calls[0] += 1\n    return message\n"
    ),
    "on_frame returns it": (
        "calls = [0]\ndef on_frame(conn, frame):\n    calls[0] += 1\n    return frame\n"
    ),
}


async def run(url: str, expected: int, runner: HookRunner | None) -> float:
    from inspector.engine.client import connect, new_client_connection
    from inspector.engine.options import ConnectOptions

    options = ConnectOptions(deflate=False, open_timeout=10)
    conn = new_client_connection(url, options)
    if runner is not None:
        runner.attach(conn)
    t = time.perf_counter()
    await connect(url, options, connection=conn)
    await asyncio.wait_for(conn.wait_closed(), 120)
    elapsed = time.perf_counter() - t
    store = conn.store
    assert store is not None
    data = sum(1 for row in range(len(store)) if store.b0[row] & 0x0F == 1)
    assert data == expected, (data, expected)
    final = conn.final_state
    assert final is not None and final.clean, final
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=200_000)
    parser.add_argument("--size", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    errors: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        runners: dict[str, HookRunner | None] = {}
        for name, source in SCRIPTS.items():
            if source is None:
                runners[name] = None
                continue
            path = Path(tmp) / f"{len(runners)}.py"
            path.write_text(source)
            runners[name] = HookRunner(Script.load(path), lambda r: errors.append(r.text))
        times: dict[str, list[float]] = {name: [] for name in SCRIPTS}
        with Blaster() as blaster:
            warm = blaster.url(2000, args.size)
            for runner in runners.values():
                asyncio.run(run(warm, 2000, runner))
            url = blaster.url(args.messages, args.size)
            for _ in range(args.rounds):
                for name, runner in runners.items():
                    before = runner.script.module.calls[0] if runner else 0
                    times[name].append(asyncio.run(run(url, args.messages, runner)))
                    if runner is not None:
                        called = runner.script.module.calls[0] - before
                        # on_frame also sees the close frame.
                        assert called >= args.messages, (name, called)
    assert not errors, errors
    base = statistics.median(times["no script"])
    print(f"{args.messages:,} text messages of {args.size} B, {args.rounds} rounds, medians")
    ok = True
    for name, runs in times.items():
        median = statistics.median(runs)
        ratio = base / median
        print(f"  {name:<24} {args.messages / median:>10,.0f} msg/s   {ratio:.2f} of no script")
        if name == "on_message returns it" and ratio < 0.5:
            ok = False
    print("bar (on_message at least half the throughput):", "met" if ok else "NOT MET")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
