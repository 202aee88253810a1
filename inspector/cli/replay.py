"""``ws-inspector replay CAPTURE URL``: send a capture's client side again, and
compare the answers.

The capture's handshake options (headers, subprotocols, permessage-deflate, Origin;
credentials only when the capture kept them) and its client's messages, pings and
close (or, with ``--frames``, every frame the client sent, exactly) go to URL with
the captured spacing (``--timing original``), at once (``fast``) or scaled (a
factor). The new session is printed and captured like ``capture``'s; ``--compare``
then says how the server's answers differ. Exit status 0 only when the connection
opened and closed cleanly and (with ``--compare``) the answers were the same; 1
otherwise, with a one-line reason; 2 for a command line or capture that cannot be
run.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import signal
import sys
from typing import TYPE_CHECKING, Any

from ..engine.options import ConnectError, ConnectOptions
from ..views.text import escape_json_line
from .automation import (
    Expectations,
    add_expect_options,
    add_script_option,
    load_hooks,
    prepare_expectations,
)
from .capture import CapturePrinter, _Ordered, _Watcher
from .options import (
    add_capture_budget,
    add_connection_options,
    add_logging_options,
    add_tls_options,
    capture_budget,
    request_headers,
    tls_options,
)
from .render import peer_text

if TYPE_CHECKING:
    from ..automation.replay import ReplayPlan
    from ..capture.store import CaptureStore

__all__ = ["register", "run"]

PROG = "ws-inspector replay"


def register(commands: Any) -> None:
    p = commands.add_parser(
        "replay",
        help="send a capture's client messages again to a URL, and compare the answers",
        description="Connect to URL with the handshake options of CAPTURE (.jsonl or "
        ".har) and send what its client sent, with the captured spacing, at once or "
        "scaled; print and capture the new session. Exit status 0 only when the "
        "connection opened and closed cleanly (and, with --compare, the server answered "
        "the same), 1 otherwise, 2 for usage errors.",
    )
    p.add_argument("capture", metavar="CAPTURE", help="a capture file (.jsonl) or HAR file (.har)")
    p.add_argument("url", metavar="URL")
    p.add_argument(
        "--timing",
        default="original",
        metavar="original|fast|SCALE",
        help="the captured gaps between messages (default), none, or the gaps times "
        "SCALE (0.5: twice as fast)",
    )
    p.add_argument(
        "--frames",
        action="store_true",
        help="send the client's frames exactly as captured (header bits, masks, length "
        "forms, crafted frames included) instead of its messages",
    )
    p.add_argument(
        "--compare",
        action="store_true",
        help="print how the server's answers differ from the captured ones (exit 1 if they do)",
    )
    p.add_argument(
        "--session",
        type=int,
        default=1,
        metavar="N",
        help="which WebSocket session of a HAR file (default 1)",
    )
    add_connection_options(p)
    p.add_argument("--timeout", type=float, default=10.0, help="connect + handshake timeout (s)")
    p.add_argument(
        "--wait",
        type=float,
        default=1.0,
        metavar="SECONDS",
        help="listen this long after the last message (default 1)",
    )
    add_tls_options(p)
    add_expect_options(p, _Ordered)
    add_script_option(p)
    out = p.add_argument_group("output")
    out.add_argument("--json", action="store_true", help="print the new session as JSON Lines")
    out.add_argument(
        "-o",
        "--output",
        metavar="FILE",
        help="write the new session to FILE (.jsonl; .har writes HAR, without credentials)",
    )
    out.add_argument(
        "--include-secrets",
        action="store_true",
        help="keep Cookie, Set-Cookie, Authorization and Proxy-Authorization values in HAR",
    )
    add_capture_budget(p)
    add_logging_options(p)
    p.set_defaults(run=run, actions=[])


def _options(ns: argparse.Namespace, plan: ReplayPlan) -> ConnectOptions:
    base = ConnectOptions(
        subprotocols=ns.subprotocol,
        origin=ns.origin,
        open_timeout=ns.timeout,
        tls=tls_options(ns),
        max_capture_bytes=capture_budget(ns),
    )
    return plan.connect_options(base, request_headers(ns))


def _write_outputs(ns: argparse.Namespace, store: CaptureStore) -> str:
    """Print and write the new session as asked; the reason when the file failed."""
    from ..capture.formats.jsonl import iter_lines, write_jsonl

    if ns.json:
        for line in iter_lines(store):
            sys.stdout.write(escape_json_line(line.rstrip("\n")) + "\n")
    if ns.output:
        try:
            if ns.output.lower().endswith(".har"):
                from ..capture.formats.har import write_har

                write_har(store, ns.output, include_secrets=ns.include_secrets)
            else:
                write_jsonl(store, ns.output)
        except OSError as exc:
            return f"cannot write {ns.output}: {exc.strerror or exc}"
    return ""


def _print_json(obj: dict[str, object]) -> None:
    sys.stdout.write(escape_json_line(json.dumps(obj, ensure_ascii=False)) + "\n")


async def _replay(
    ns: argparse.Namespace,
    captured: CaptureStore,
    plan: ReplayPlan,
    scale: float,
    expected: list[tuple[str, Any]],
) -> int:
    from ..automation.compare import compare_sessions
    from ..automation.replay import listen_then_close, send_steps
    from ..engine.client import connect, new_client_connection

    options = _options(ns, plan)
    conn = new_client_connection(ns.url, options)
    watcher = _Watcher(sys.stderr if ns.json else None)
    conn.subscribe(watcher, messages=False)
    if not ns.json:
        conn.subscribe(CapturePrinter(sys.stdout, watcher), messages="composite")
    # Expectations are checked from the open on, while the capture is replayed.
    expectations = Expectations(conn, expected, json_out=ns.json)
    if ns.hooks is not None:
        ns.hooks.attach(conn)
    reason = ""
    try:
        await connect(ns.url, options, connection=conn)
    except ConnectError as exc:
        reason = watcher.describe(exc)
    else:
        work = asyncio.ensure_future(
            asyncio.gather(
                send_steps(conn, plan.steps, scale, answer_wait=max(ns.wait, 1.0) * 5),
                expectations.run_all(),
            )
        )
        # Ctrl+C stops the replay the way capture's ends: closed cleanly, with
        # everything printed and written.
        interrupted: list[bool] = []

        def interrupt() -> None:
            interrupted.append(True)
            work.cancel()

        loop = asyncio.get_running_loop()
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(signal.SIGINT, interrupt)
        try:
            await work
        except asyncio.CancelledError:
            if not interrupted:
                raise  # we were cancelled, not interrupted
        finally:
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.remove_signal_handler(signal.SIGINT)
        await listen_then_close(conn, 0.0 if interrupted else ns.wait)
        last = conn.final_state
        if last is None or not last.clean:
            if conn.error is not None:
                reason = watcher.describe(conn.error)
            elif last is not None:
                reason = f"the connection did not close cleanly (code {last.code}"
                reason += f", {peer_text(last.detail, 300)})" if last.detail else ")"
            else:
                reason = "the connection did not close"
    if ns.hooks is not None:
        await ns.hooks.aclose()
    assert conn.store is not None
    unwritten = _write_outputs(ns, conn.store)
    if ns.compare and conn.protocol is not None:
        differences = compare_sessions(captured, conn.store)
        for diff in differences:
            if ns.json:
                _print_json(diff.to_json())
            else:
                print(f"~~ {diff.line()}")
        summary = f"{len(differences)} difference{'s' if len(differences) != 1 else ''}"
        if not ns.json:
            print(f"~~ compared with {ns.capture}: {summary}")
        if differences and not reason:
            first = differences[0].line()
            reason = f"the answers differ from the capture's ({summary}; first: {first})"
    expectations.print_json()
    if expectations.failure and (expectations.failed or not reason):
        reason = expectations.failure
    if unwritten:
        print(f"{PROG}: {unwritten}", file=sys.stderr)
        reason = reason or unwritten
    sys.stdout.flush()
    if reason:
        print(f"{PROG}: {reason}", file=sys.stderr)
        return 1
    return 0


def run(ns: argparse.Namespace) -> int:
    from ..automation.replay import load_capture, parse_timing, plan_replay

    try:
        scale = parse_timing(ns.timing)
        captured, problems = load_capture(ns.capture, ns.session)
        plan = plan_replay(captured, frames=ns.frames)
        expected = prepare_expectations(ns.actions)
        ns.hooks = load_hooks(ns, "replay")
        request_headers(ns)  # a malformed -H is a usage error before connecting
    except ValueError as exc:
        # A ReplayError, a UsageError or the timing's ValueError: one sentence each.
        print(f"{PROG}: {peer_text(str(exc), 500)}", file=sys.stderr)
        return 2
    for note in (*problems, *plan.notes):
        print(f"{PROG}: note: {peer_text(note, 500)}", file=sys.stderr)
    return asyncio.run(_replay(ns, captured, plan, scale, expected))
