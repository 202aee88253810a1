"""``ws-inspector capture URL [actions...]``: connect, act in order, print, close.

The actions (``--send``, ``--send-binary``, ``--send-file``, ``--frame``, ``--ping``,
``--close``) run in command-line order (``--every S`` and ``--repeat N`` repeat the
send that follows, see :mod:`.timing`); lines on standard input, when it is not a
terminal, are sent as text messages after them and before a ``--close``. With
``--reconnect``, a dropped connection is made again, replaying the preamble, each
attempt its own capture. Every frame
both ways is printed as it happens (or the capture as JSON Lines with ``--json``) and
written with ``-o``. Exit status 0 only when the connection opened and closed
cleanly; otherwise 1, with a one-line reason on standard error (what was captured is
still printed and written); 2 for a command line that cannot be run.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TextIO

from ..capture.events import (
    CaptureEvent,
    Direction,
    ErrorCaptured,
    ErrorStep,
    FramesCaptured,
    HandshakeCaptured,
    MessageCaptured,
    RttSample,
    SessionRole,
    StateChanged,
    ViolationCaptured,
)
from ..capture.store import CaptureStore
from ..engine.options import ConnectError, ConnectOptions
from ..engine.reconnect import dropped, run_attempts
from ..protocol.crafting import FRAME_SPEC_HELP, parse_frame_spec, parse_hex
from ..protocol.violations import LocalProtocolError
from ..views.registry import default_registry
from ..views.text import escape_json_line
from .automation import (
    EXPECT_KINDS,
    Expectations,
    add_expect_options,
    add_script_option,
    load_hooks,
    prepare_expectations,
)
from .options import (
    UsageError,
    add_capture_budget,
    add_connection_options,
    add_logging_options,
    add_ping_options,
    add_pong_options,
    add_tls_options,
    capture_budget,
    ping_options,
    pong_options,
    request_headers,
    tls_options,
)
from .render import (
    VIEW_HELP,
    ConnectionLines,
    PayloadRenderer,
    certificate_lines,
    format_state,
    handshake_lines,
    peer_text,
    refused,
    with_views,
)
from .timing import (
    Repeat,
    add_reconnect_options,
    add_time_actions,
    attempt_path,
    fold_repeats,
    preamble,
    reconnect_policy,
    repeat,
)

if TYPE_CHECKING:
    from ..engine.connection import Connection
    from ..engine.journal import Journal

__all__ = ["CapturePrinter", "register", "run"]

Action = tuple[str, Any]


class _Ordered(argparse.Action):
    """Keeps the actions in command-line order, across the different options."""

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: Any,
        option_string: str | None = None,
    ) -> None:
        actions = list(getattr(namespace, "actions", None) or [])
        actions.append((self.dest, values))
        namespace.actions = actions


def register(commands: Any) -> None:
    p = commands.add_parser(
        "capture",
        help="connect, perform actions, print every frame both ways, close",
        description="Connect to URL, perform the actions in the order given, print every "
        "frame both ways and close. Lines on standard input are sent as text messages "
        "when it is not a terminal. Exit status 0 only when the connection opened and "
        "closed cleanly, 1 otherwise (with a one-line reason on standard error), 2 for "
        "usage errors.",
    )
    p.add_argument("url")
    add_connection_options(p)
    p.add_argument("--no-deflate", action="store_true", help="do not offer permessage-deflate")
    p.add_argument("--timeout", type=float, default=10.0, help="connect + handshake timeout (s)")
    p.add_argument("--strict", action="store_true", help="fail the connection on any violation")
    add_ping_options(add_pong_options(p))
    add_tls_options(p)
    acts = p.add_argument_group("actions (in the order given)")
    acts.add_argument("--send", action=_Ordered, metavar="TEXT", help="send a text message")
    acts.add_argument("--send-binary", action=_Ordered, metavar="HEX", help="send a binary message")
    acts.add_argument(
        "--send-file",
        action=_Ordered,
        metavar="PATH",
        help="send the file's bytes as one binary message",
    )
    acts.add_argument(
        "--frame",
        action=_Ordered,
        metavar="SPEC",
        help=f"send one crafted frame, valid or not: {FRAME_SPEC_HELP}",
    )
    acts.add_argument("--ping", action=_Ordered, nargs="?", const="", metavar="PAYLOAD")
    acts.add_argument("--close", action=_Ordered, metavar="CODE[:REASON]")
    add_time_actions(acts, _Ordered)
    add_expect_options(p, _Ordered)
    add_script_option(p)
    add_reconnect_options(p)
    p.add_argument(
        "--wait",
        type=float,
        default=1.0,
        metavar="SECONDS",
        help="listen this long after the last action (default 1)",
    )
    out = p.add_argument_group("output")
    out.add_argument(
        "--json",
        action="store_true",
        help='print the capture as JSON Lines (a whole payload\'s line has "view" and "rendered")',
    )
    out.add_argument(
        "--view",
        metavar="NAME",
        help=VIEW_HELP,
    )
    out.add_argument(
        "-o",
        "--output",
        metavar="FILE",
        help="write the capture to FILE (.jsonl; .har writes HAR, without credentials)",
    )
    out.add_argument(
        "--include-secrets",
        action="store_true",
        help="keep Cookie, Set-Cookie, Authorization and Proxy-Authorization values in HAR",
    )
    out.add_argument(
        "--journal",
        metavar="DIR",
        help="journal the session into DIR while it runs (default: the data folder's "
        "journal); a killed capture is recoverable from it",
    )
    out.add_argument("--no-journal", action="store_true", help="do not journal the session")
    add_capture_budget(p)
    add_logging_options(p)
    p.set_defaults(run=run, actions=[])


def check_actions(actions: list[Action]) -> list[Action]:
    """The actions with their values parsed; :class:`UsageError` for one that cannot be."""
    checked: list[Action] = []
    for kind, value in actions:
        if kind == "send_binary":
            try:
                value = parse_hex(value)
            except ValueError:
                raise UsageError(f"--send-binary {value!r} is not hex") from None
        elif kind == "send_file":
            try:
                with open(value, "rb") as f:
                    value = f.read()
            except OSError as exc:
                raise UsageError(f"--send-file {value!r}: {exc.strerror or exc}") from None
        elif kind == "frame":
            try:
                value = parse_frame_spec(value)
            except ValueError as exc:
                raise UsageError(f"--frame {value!r}: {exc}") from None
        elif kind == "ping":
            value = value.encode("utf-8")
            if len(value) > 125:
                raise UsageError("a ping payload is at most 125 bytes")
        elif kind == "close":
            code_text, _, reason = value.partition(":")
            try:
                code = int(code_text)
            except ValueError:
                raise UsageError(f"--close {value!r}: the code must be a number") from None
            if not 0 <= code <= 0xFFFF:
                raise UsageError(f"--close {value!r}: a close code is 0-65535 (two bytes)")
            if len(reason.encode("utf-8")) > 123:
                raise UsageError(f"--close {value!r}: the reason is over 123 bytes of UTF-8")
            value = (code, reason)
        checked.append((kind, value))
    return fold_repeats(checked)


def connect_options(ns: argparse.Namespace) -> ConnectOptions:
    return ConnectOptions(
        headers=request_headers(ns),
        subprotocols=ns.subprotocol,
        deflate=not ns.no_deflate,
        origin=ns.origin,
        open_timeout=ns.timeout,
        strict=ns.strict,
        tls=tls_options(ns),
        max_capture_bytes=capture_budget(ns),
        proxy=ns.proxy,
        **pong_options(ns),
        **ping_options(ns),
    )


# ---------------------------------------------------------------------- printing
def _arrow(direction: Direction) -> str:
    return "-> " if direction is Direction.OUT else "<- "


class _Watcher:
    """What the command needs to know about the session, whatever it prints: the
    server's response (for a failed upgrade's reason) and the capture notes (said
    once, on standard error when standard output is JSON)."""

    def __init__(self, notes: TextIO | None) -> None:
        self.response: HandshakeCaptured | None = None
        self._notes = notes

    def __call__(self, event: CaptureEvent) -> None:
        if isinstance(event, HandshakeCaptured) and event.dir is Direction.IN:
            self.response = event
        elif (
            isinstance(event, ErrorCaptured)
            and event.step is ErrorStep.CAPTURE
            and self._notes is not None
        ):
            print(f"ws-inspector capture: {peer_text(event.message)}", file=self._notes)

    def summary(self, error: ErrorCaptured) -> str:
        """The error as printed after the events: a 101 whose problems were printed
        just before is not described a second time."""
        response = self.response
        if (
            error.step is ErrorStep.HANDSHAKE
            and response is not None
            and response.problems
            and not refused(response)
        ):
            n = len(response.problems)
            return f"{error.step}: the upgrade failed (the problem{'s' if n > 1 else ''} above)"
        return self.describe(error)

    @staticmethod
    def describe(error: ErrorCaptured | ConnectError) -> str:
        """The one-line reason for a fatal error, as the engine words it (for a refused
        upgrade: the status and what the body is), escaped."""
        return f"{error.step}: {peer_text(error.message, 800)}"


class CapturePrinter:
    """Prints capture events as they happen: frames both ways (each ending with its
    payload's summary by the payload views), composite messages, the rendered text of
    payloads an application view decodes (all through :class:`ConnectionLines`), the
    handshake, states, errors. A fatal error is said once: the closed state after it
    leaves out the detail that repeats it."""

    def __init__(
        self, out: TextIO, watcher: _Watcher, renderer: PayloadRenderer | None = None
    ) -> None:
        self.out = out
        self._watcher = watcher
        self._said: set[str] = set()
        self.renderer = renderer if renderer is not None else PayloadRenderer()
        self._frames = ConnectionLines(self.renderer, SessionRole.CLIENT)

    def __call__(self, event: CaptureEvent) -> None:
        out = self.out
        if isinstance(event, FramesCaptured):
            lines = self._frames.frames(event, _arrow(event.dir))
            lines.append("")
            out.write("\n".join(lines))
        elif isinstance(event, MessageCaptured):
            lines = self._frames.message(event, _arrow(event.dir))
            if lines:
                out.write("\n".join(lines) + "\n")
        elif isinstance(event, HandshakeCaptured):
            self._frames.handshake(event)
            for line in handshake_lines(event, _arrow(event.dir)):
                out.write(line + "\n")
        elif isinstance(event, StateChanged):
            out.write(format_state(event, detail=event.detail not in self._said) + "\n")
        elif isinstance(event, ErrorCaptured):
            if event.fatal:
                self._said.add(event.message)
            out.write(f"!! {self._watcher.summary(event)}\n")
        elif isinstance(event, ViolationCaptured):
            out.write(f"!! {peer_text(str(event.violation))}\n")
        elif isinstance(event, RttSample):
            out.write(f"   rtt {event.rtt * 1000:.2f} ms\n")
        out.flush()


# ------------------------------------------------------------------------- stdin
class _StdinLines:
    """Lines of standard input as they arrive, read by a daemon thread so that a pipe
    left open neither delays the connection nor keeps the program from ending."""

    def __init__(self) -> None:
        loop = asyncio.get_running_loop()
        self._queue: asyncio.Queue[str | None] = asyncio.Queue()

        def read() -> None:
            try:
                for line in sys.stdin:
                    loop.call_soon_threadsafe(self._queue.put_nowait, line.rstrip("\r\n"))
            except (OSError, ValueError):
                pass
            finally:
                with contextlib.suppress(RuntimeError):  # the loop is gone: we are exiting
                    loop.call_soon_threadsafe(self._queue.put_nowait, None)

        threading.Thread(target=read, name="stdin-lines", daemon=True).start()

    async def next(self, stop: asyncio.Future[None]) -> str | None:
        """The next line; None at end of input, or when ``stop`` is done first."""
        getter = asyncio.ensure_future(self._queue.get())
        waiting: list[asyncio.Future[Any]] = [getter, stop]
        await asyncio.wait(waiting, return_when=asyncio.FIRST_COMPLETED)
        if getter.done():
            return getter.result()
        getter.cancel()
        return None


# ----------------------------------------------------------------------- session
def _perform(conn: Connection, kind: str, value: Any) -> None:
    if kind == "send":
        conn.send_text(value)
    elif kind in ("send_binary", "send_file"):
        conn.send_binary(value)
    elif kind == "frame":
        conn.send_frame(value)
    elif kind == "ping":
        conn.send_ping(value)
    elif kind == "close":
        conn.send_close(*value)


async def _converse(
    conn: Connection,
    actions: list[Action],
    piped: bool,
    wait: float,
    close_timeout: float,
    expectations: Expectations,
    interrupted: asyncio.Event,
) -> None:
    """The actions, the piped lines, the listening, and the close."""
    # Ctrl+C ends the conversation the way the end of input does: closed cleanly,
    # with everything printed and written.
    loop = asyncio.get_running_loop()
    stop: asyncio.Future[None] = loop.create_future()

    def end() -> None:
        if not stop.done():
            stop.set_result(None)

    def interrupt() -> None:
        interrupted.set()  # no further attempt either (--reconnect)
        end()

    conn.closed.add_done_callback(lambda _: end())
    with contextlib.suppress(NotImplementedError, RuntimeError):
        loop.add_signal_handler(signal.SIGINT, interrupt)
    if interrupted.is_set():  # Ctrl+C while this attempt was connecting
        end()
    # Lines piped to standard input are sent after the command-line actions, but
    # before a --close, which ends the conversation.
    if piped:
        close_at = next((i for i, (k, _) in enumerate(actions) if k == "close"), len(actions))
        actions = [*actions[:close_at], ("stdin", None), *actions[close_at:]]
    paced: list[asyncio.Task[int]] = []  # the --every sends, alongside what follows
    try:
        for kind, value in actions:
            if kind in EXPECT_KINDS:
                if not await expectations.check(value):
                    break
                continue
            # Past the end, the actions are skipped; the expectations are still checked.
            if kind == "mark" or not conn.is_open or conn.close_sent or stop.done():
                continue
            expectations.mark()
            if kind == "stdin":
                lines = _StdinLines()
                while (line := await lines.next(stop)) is not None:
                    if conn.close_sent:
                        break
                    try:
                        conn.send_text(line)
                    except LocalProtocolError:
                        break
                    await conn.drain()
                continue
            if kind == "repeat":
                assert isinstance(value, Repeat)
                if value.background:
                    paced.append(loop.create_task(repeat(conn, value, _perform)))
                else:
                    await repeat(conn, value, _perform)
                continue
            try:
                _perform(conn, kind, value)
            except LocalProtocolError:
                continue  # the peer ended the connection meanwhile: reported by the caller
            await conn.drain()
            await asyncio.sleep(0)
        if not stop.done():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(stop), wait)
    finally:
        for task in paced:
            task.cancel()
        if paced:
            await asyncio.wait(paced)
    if not conn.closed.done():
        if not conn.close_sent:
            await conn.close(1000)
        else:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(conn.wait_closed(), close_timeout * 2)
            conn.abort()
    await asyncio.sleep(0)


class _Attempt:
    """What one connection of the command ended with."""

    def __init__(self) -> None:
        self.reason = ""  # why it failed ("" for a clean end)
        self.certificate: Any = None  # the server's rejected certificate, if any
        self.again = False  # it dropped (or never opened): --reconnect tries again


async def _capture(
    ns: argparse.Namespace, options: ConnectOptions, actions: list[Action], piped: bool
) -> int:
    policy = reconnect_policy(ns)
    interrupted = asyncio.Event()
    last = _Attempt()
    # Attempt 1 does every action; a new connection replays the preamble and listens.
    replay = preamble(actions)

    async def attempt(n: int) -> bool:
        nonlocal last
        last = await _one_capture(
            ns, options, actions if n == 1 else replay, piped and n == 1, n, interrupted
        )
        return policy is not None and last.again and not interrupted.is_set()

    if policy is None:
        await attempt(1)
        attempts = 1
    else:
        notes = sys.stderr if ns.json else sys.stdout

        def on_pause(n: int, pause: float) -> None:
            of = f" of {policy.max_attempts}" if policy.max_attempts is not None else ""
            print(
                f"== attempt {n}{of} in {pause:g} s (the connection dropped: {last.reason})",
                file=notes,
                flush=True,
            )

        attempts = await run_attempts(policy, attempt, stop=interrupted, on_pause=on_pause)
    if ns.hooks is not None:
        await ns.hooks.aclose()
    reason = last.reason
    if reason and policy is not None and last.again and not interrupted.is_set():
        reason = f"gave up after {attempts} attempt{'s' if attempts > 1 else ''}: {reason}"
    if reason:
        print(f"ws-inspector capture: {reason}", file=sys.stderr)
        if last.certificate is not None:
            # What the user needs to decide whether to trust it (--cacert, --insecure).
            print("ws-inspector capture: the server's certificate:", file=sys.stderr)
            for line in certificate_lines(last.certificate):
                print(line, file=sys.stderr)
        return 1
    return 0


async def _one_capture(
    ns: argparse.Namespace,
    options: ConnectOptions,
    actions: list[Action],
    piped: bool,
    attempt: int,
    interrupted: asyncio.Event,
) -> _Attempt:
    """One connection: connect, converse, write its capture (attempt N's file)."""
    from ..engine.client import connect, new_client_connection

    result = _Attempt()
    conn = new_client_connection(ns.url, options)
    journal = _start_journal(ns, conn)
    watcher = _Watcher(sys.stderr if ns.json else None)
    conn.subscribe(watcher, messages=False)
    if not ns.json:
        printer = CapturePrinter(sys.stdout, watcher, PayloadRenderer(view=ns.view))
        conn.subscribe(printer, messages="composite")
    expectations = Expectations(conn, actions, json_out=ns.json)
    if ns.hooks is not None:
        ns.hooks.attach(conn)
    reason = ""
    try:
        await connect(ns.url, options, connection=conn)
    except ConnectError as exc:
        reason = watcher.describe(exc)
        result.certificate = exc.certificate
        result.again = True
    else:
        await _converse(
            conn, actions, piped, ns.wait, options.close_timeout, expectations, interrupted
        )
        result.again = dropped(conn)
        last = conn.final_state
        # Exit 0 only for a connection that opened (it did: connect returned) and
        # closed cleanly, in the engine's strict sense of clean.
        if last is None or not last.clean:
            if conn.error is not None:
                reason = watcher.describe(conn.error)
            elif last is not None:
                reason = f"the connection did not close cleanly (code {last.code}"
                reason += f", {peer_text(last.detail, 300)})" if last.detail else ")"
            else:
                reason = "the connection did not close"
        elif result.again and ns.reconnect:
            reason = f"the server closed the connection (code {last.code})"
    written = _write_outputs(ns, conn, attempt)
    expectations.print_json()
    if expectations.failure and (expectations.failed or not reason):
        reason = expectations.failure
    _end_journal(journal, keep=not written)
    result.reason = reason
    return result


def _negotiated(store: CaptureStore) -> str | None:
    response = store.handshake(Direction.IN)
    return response.subprotocol or None if response is not None else None


def _write_outputs(ns: argparse.Namespace, conn: Connection, attempt: int = 1) -> bool:
    """Print and write the capture as asked; False if the output file failed."""
    from ..capture.formats.jsonl import iter_lines, write_jsonl

    if conn.store is None:
        return True
    if ns.json:
        write = sys.stdout.write
        renderer = PayloadRenderer(view=ns.view, subprotocol=_negotiated(conn.store))
        for line in with_views(conn.store, iter_lines(conn.store), renderer):
            write(escape_json_line(line.rstrip("\n")) + "\n")
        sys.stdout.flush()
    if ns.output:
        path = attempt_path(ns.output, attempt)
        try:
            if path.lower().endswith(".har"):
                from ..capture.formats.har import write_har

                write_har(conn.store, path, include_secrets=ns.include_secrets)
            else:
                write_jsonl(conn.store, path)
        except OSError as exc:
            print(f"ws-inspector capture: cannot write {path}: {exc}", file=sys.stderr)
            return False
    return True


# ----------------------------------------------------------------------- journal
def _start_journal(ns: argparse.Namespace, conn: Connection) -> Journal | None:
    """The crash journal of a capture (None with --no-journal, or if it cannot be
    made: then a warning, and the capture goes on)."""
    if ns.no_journal:
        return None
    from ..engine.journal import Journal

    try:
        return Journal(conn, directory=ns.journal)
    except OSError as exc:
        where = f" in {exc.filename}" if exc.filename else ""
        print(
            f"ws-inspector capture: warning: no crash journal{where}: {exc.strerror or exc}",
            file=sys.stderr,
        )
        return None


def _end_journal(journal: Journal | None, *, keep: bool) -> None:
    """The capture ended normally: its journal is not needed, unless the output
    could not be written (then it is kept, and said where)."""
    if journal is None:
        return
    journal.close(keep=keep)
    if keep and journal.error is None:
        print(f"ws-inspector capture: the capture is kept in {journal.path}", file=sys.stderr)


def _stdin_is_piped() -> bool:
    with contextlib.suppress(OSError, ValueError, AttributeError):
        return sys.stdin is not None and not sys.stdin.isatty()
    return False


def run(ns: argparse.Namespace, *, piped: Callable[[], bool] = _stdin_is_piped) -> int:
    try:
        actions = prepare_expectations(check_actions(ns.actions))
        options = connect_options(ns)
        reconnect_policy(ns)
        if ns.view is not None:
            try:
                default_registry().get(ns.view)
            except KeyError as exc:
                raise UsageError(f"--view: {exc.args[0]}") from None
        ns.hooks = load_hooks(ns, "capture")
    except UsageError as exc:
        print(f"ws-inspector capture: {exc}", file=sys.stderr)
        return 2
    return asyncio.run(_capture(ns, options, actions, piped()))
