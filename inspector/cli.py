"""The ``ws-inspector`` command: the window by default, and tools for the terminal.

ws-inspector [URL | FILE] [--demo]       the window
ws-inspector decode FILE --from client|server [--hex] [--deflate] [--json]
ws-inspector capture URL [actions...] [--json] [-o FILE.jsonl|FILE.har]
ws-inspector serve [--host 127.0.0.1] [--port N] [--strict]
ws-inspector probe URL [--category NAME] [--json] [--html FILE]
ws-inspector convert IN OUT [--include-secrets]     (.jsonl <-> .har)
"""

from __future__ import annotations

import argparse
import asyncio
import binascii
import contextlib
import json
import logging
import os
import signal
import sys
import threading
from collections.abc import Sequence
from typing import Any, TextIO

from . import __version__
from .capture.events import (
    CaptureEvent,
    ConnectionState,
    Direction,
    ErrorCaptured,
    FramesCaptured,
    HandshakeCaptured,
    MessageCaptured,
    RttSample,
    StateChanged,
    ViolationCaptured,
)
from .protocol.connection import Protocol
from .protocol.constants import Role, close_code_meaning
from .protocol.events import Message
from .protocol.frames import Frame, FrameBatch
from .protocol.violations import LocalProtocolError

__all__ = ["main"]

SUBCOMMANDS = ("decode", "capture", "serve", "probe", "convert")


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args and args[0] in SUBCOMMANDS:
        parser = _build_parser()
        ns = parser.parse_args(args)
        logging.basicConfig(level=logging.WARNING, format="%(name)s: %(message)s")
        try:
            result: int = ns.func(ns)
        except KeyboardInterrupt:
            return 130
        except BrokenPipeError:
            # The reader of our output went away (e.g. `| head`): not an error of ours.
            with contextlib.suppress(OSError):
                sys.stdout = open(os.devnull, "w")  # noqa: SIM115
            return 0
        return result
    if args and args[0] in ("-V", "--version"):
        print(f"ws-inspector {__version__}")
        return 0
    if args and args[0] in ("-h", "--help"):
        print(__doc__.replace("``", "").strip())
        print("\nRun 'ws-inspector COMMAND --help' for a command's options.")
        return 0
    from .app import main as gui_main  # Qt is imported only for the window

    return gui_main(args)


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ws-inspector", description="WebSocket inspector")
    parser.add_argument("-V", "--version", action="version", version=f"ws-inspector {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser(
        "decode",
        help="decode a raw WebSocket byte stream into frames",
        description="Decode a byte stream as one side sent it: one row per frame, with "
        "every field and every RFC 6455 violation.",
    )
    p.add_argument("file", help="the stream: raw bytes, or hex text with --hex ('-' = stdin)")
    p.add_argument(
        "--from",
        dest="sender",
        choices=("client", "server"),
        required=True,
        help="who sent these bytes (clients must mask, servers must not)",
    )
    p.add_argument(
        "--hex",
        action="store_true",
        help="the file is hex text (white space and #-comments ignored)",
    )
    p.add_argument(
        "--deflate",
        action="store_true",
        help="permessage-deflate was negotiated (RSV1 = compressed)",
    )
    p.add_argument("--json", action="store_true", help="one JSON object per line")
    p.add_argument("--max-frame-size", type=int, default=64 * 2**20, help="bytes (default 64 MiB)")
    p.set_defaults(func=cmd_decode)

    p = sub.add_parser(
        "capture",
        help="connect, perform actions, print every frame both ways, close",
        description="Connect to URL, perform the actions in the order given, print every "
        "frame both ways and close. Lines on standard input are sent as text messages "
        "when it is not a terminal.",
    )
    p.add_argument("url")
    p.add_argument("-H", "--header", action="append", default=[], metavar="'NAME: VALUE'")
    p.add_argument("--subprotocol", action="append", default=[], metavar="NAME")
    p.add_argument("--no-deflate", action="store_true", help="do not offer permessage-deflate")
    p.add_argument("--origin")
    p.add_argument("--insecure", action="store_true", help="skip TLS certificate verification")
    p.add_argument("--cacert", metavar="FILE", help="trust this CA bundle (PEM)")
    p.add_argument("--cert", metavar="FILE", help="client certificate (PEM)")
    p.add_argument("--key", metavar="FILE", help="client certificate key (PEM)")
    p.add_argument("--timeout", type=float, default=10.0, help="connect + handshake timeout (s)")
    p.add_argument("--strict", action="store_true", help="fail the connection on any violation")
    p.add_argument("--no-auto-pong", action="store_true", help="do not answer pings")
    p.add_argument("--send", action=_Action, metavar="TEXT", help="send a text message")
    p.add_argument("--send-binary", action=_Action, metavar="HEX", help="send a binary message")
    p.add_argument("--ping", action=_Action, nargs="?", const="", metavar="PAYLOAD")
    p.add_argument("--close", action=_Action, metavar="CODE[:REASON]")
    p.add_argument(
        "--wait",
        type=float,
        default=1.0,
        metavar="SECONDS",
        help="listen this long after the last action (default 1)",
    )
    p.add_argument("--json", action="store_true", help="print the capture as JSON Lines")
    p.add_argument(
        "-o",
        "--output",
        metavar="FILE",
        help="write the capture to FILE (.jsonl; .har writes HAR, without credentials)",
    )
    p.add_argument(
        "--include-secrets",
        action="store_true",
        help="keep Cookie, Set-Cookie, Authorization and Proxy-Authorization values in HAR",
    )
    p.add_argument(
        "--journal",
        metavar="DIR",
        help="journal the session into DIR while it runs (default: the data folder's "
        "journal); a killed capture is recoverable from it",
    )
    p.add_argument("--no-journal", action="store_true", help="do not journal the session")
    p.set_defaults(func=cmd_capture, actions=[])

    p = sub.add_parser("serve", help="run the built-in echo server")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=0, help="0 picks a free port")
    p.add_argument("--quiet", action="store_true", help="do not log frames")
    p.add_argument(
        "--strict",
        action="store_true",
        help="fail a connection on its first RFC 6455 violation, with the prescribed "
        "close code (default: record it and echo what can be echoed)",
    )
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser(
        "probe",
        help="check a server against RFC 6455: one connection per case, graded",
        description="Run the server check-up against an echo endpoint: one fresh "
        "connection per case, each case's frames sent, the server's answer graded "
        "passed, non-strict, failed or info. Exit status 0 when it ran (whatever the "
        "grades), 1 when the server could not be reached, 2 on usage errors.",
    )
    p.add_argument("url", nargs="?", help="ws:// or wss:// URL of an endpoint that echoes messages")
    p.add_argument(
        "--category",
        action="append",
        metavar="NAME",
        help="run only this category (repeatable); see --list",
    )
    p.add_argument(
        "--case", action="append", metavar="ID", help="run only this case or id prefix (6.4)"
    )
    p.add_argument(
        "--timeout",
        type=float,
        default=3.0,
        help="seconds per case (default 3; more for large payloads)",
    )
    p.add_argument("--concurrency", type=int, default=8, help="connections at a time (default 8)")
    p.add_argument("--json", action="store_true", help="one JSON object per case and line")
    p.add_argument("--html", metavar="FILE", help="also write a self-contained HTML report")
    p.add_argument("-v", "--verbose", action="store_true", help="show every case's details")
    p.add_argument("--list", action="store_true", help="list the cases and exit")
    p.add_argument("-H", "--header", action="append", default=[], metavar="'NAME: VALUE'")
    p.add_argument("--origin")
    p.add_argument("--insecure", action="store_true", help="skip TLS certificate verification")
    p.add_argument("--cacert", metavar="FILE", help="trust this CA bundle (PEM)")
    p.set_defaults(func=cmd_probe)
    p = sub.add_parser(
        "convert",
        help="convert a capture to HAR or back (by the files' extensions)",
        description="Convert between the capture format (.jsonl: captures, journals, "
        "'capture --json' and 'decode --json' output) and HAR (.har), by the files' "
        "extensions. A HAR file with several WebSocket connections written as .jsonl "
        "gives one file per connection: OUT-1.jsonl, OUT-2.jsonl... HAR output leaves "
        "out the values of Cookie, Set-Cookie, Authorization and Proxy-Authorization "
        "unless --include-secrets. Exit status 0 when written, 2 when not.",
    )
    p.add_argument("input", metavar="IN", help="a .jsonl or .har file")
    p.add_argument("output", metavar="OUT", help="the .jsonl or .har file to write")
    p.add_argument(
        "--include-secrets",
        action="store_true",
        help="keep credential header values (cookies, authorization) in HAR output",
    )
    p.set_defaults(func=cmd_convert)
    return parser


class _Action(argparse.Action):
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


# ---------------------------------------------------------------------- printing
def _preview(data: bytes, opcode: int, limit: int = 80) -> str:
    if opcode in (1, 0, 9, 10):
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            pass
        else:
            text = text if len(text) <= limit else text[: limit - 3] + "..."
            return json.dumps(text, ensure_ascii=False)
    if not data:
        return ""
    shown = data[: limit // 3].hex(" ")
    return shown + (" ..." if len(data) > limit // 3 else "")


def format_frame(frame: Frame, direction: str = "") -> str:
    """One row: seq, offset, FIN/RSV, opcode, mask, length form, payload or close."""
    bits = ("F" if frame.fin else ".") + "".join(
        "1" if b else "." for b in (frame.rsv1, frame.rsv2, frame.rsv3)
    )
    key = frame.mask_key
    mask = key.hex() if key is not None else "-"
    form = {7: "", 16: " (16-bit len)", 64: " (64-bit len)"}[frame.length_form]
    if frame.opcode == 8:
        code, reason = frame.close_code, frame.close_reason
        body = (
            f"code={code} ({close_code_meaning(code).split(':')[0]}) reason={reason!r}"
            if code is not None
            else "(no code)"
        )
    else:
        body = _preview(frame.payload, frame.opcode)
        if frame.truncated:
            body += f" [{len(frame.payload)} of {frame.length} bytes kept]"
    head = (
        f"{direction}#{frame.seq:<5} @{frame.offset:<8} {bits} {frame.opcode_name:<12} "
        f"mask={mask:<8} len={frame.length}{form}"
    )
    lines = [f"{head}  {body}".rstrip()]
    for v in frame.violations:
        lines.append(f"    ! {v.rule.rfc}: {v.message}")
    return "\n".join(lines)


def format_message(message: Message, direction: str = "") -> str:
    kind = "TEXT" if message.opcode == 1 else "BINARY"
    size = len(message.data)
    extra = []
    if message.fragments > 1:
        extra.append(f"{message.fragments} frames #{message.first_seq}-#{message.last_seq}")
    if message.compressed:
        extra.append(f"inflated from {message.wire_size} bytes")
    if message.truncated:
        extra.append("truncated")
    preview = _preview(message.data, message.opcode)
    details = f" ({', '.join(extra)})" if extra else ""
    return f"{direction}  = {kind} message, {size} bytes{details} {preview}".rstrip()


def message_json(message: Message) -> dict[str, Any]:
    import base64

    return {
        "type": "message",
        "opcode": message.opcode,
        "first_seq": message.first_seq,
        "last_seq": message.last_seq,
        "size": len(message.data),
        "wire_size": message.wire_size,
        "compressed": message.compressed,
        "truncated": message.truncated,
        "text": message.text,
        "data_b64": base64.b64encode(message.data).decode("ascii")
        if message.text is None
        else None,
    }


# ------------------------------------------------------------------------ decode
def read_stream(path: str, as_hex: bool) -> bytes:
    if path == "-":
        raw = sys.stdin.buffer.read()
    else:
        with open(path, "rb") as f:
            raw = f.read()
    if not as_hex:
        return raw
    text = raw.decode("ascii", "replace")
    digits = "".join(line.split("#", 1)[0] for line in text.splitlines())
    digits = "".join(digits.split()).replace("0x", "").replace(",", "")
    try:
        return binascii.unhexlify(digits)
    except (binascii.Error, ValueError) as exc:
        raise ValueError(f"{path}: not valid hex ({exc})") from None


def cmd_decode(ns: argparse.Namespace) -> int:
    try:
        data = read_stream(ns.file, ns.hex)
    except (OSError, ValueError) as exc:
        print(f"ws-inspector decode: {exc}", file=sys.stderr)
        return 2
    sender = Role(ns.sender)
    deflate = None
    if ns.deflate:
        from .protocol.deflate import DeflateParams, PerMessageDeflate

        deflate = PerMessageDeflate(DeflateParams(), sender.peer)
    proto = Protocol(
        sender.peer,
        max_frame_size=ns.max_frame_size,
        deflate=deflate,
        auto_pong=False,
        auto_close=False,
    )
    proto.receive_data(data)
    proto.receive_eof()
    out = sys.stdout
    frames = 0
    violations = 0
    events = proto.events_received()
    # Print each message right after its last frame, as a reader follows the stream.
    messages = {e.last_seq: e for e in events if isinstance(e, Message)}
    for event in events:
        if not isinstance(event, FrameBatch):
            continue
        for frame in event:
            frames += 1
            violations += len(frame.violations)
            message = messages.get(frame.seq)
            if ns.json:
                out.write(json.dumps(frame.to_json(), ensure_ascii=False) + "\n")
                if message is not None:
                    out.write(json.dumps(message_json(message), ensure_ascii=False) + "\n")
            else:
                out.write(format_frame(frame) + "\n")
                if message is not None:
                    out.write(format_message(message) + "\n")
    incomplete = proto.incomplete_bytes
    if ns.json:
        if incomplete:
            out.write(
                json.dumps(
                    {
                        "type": "truncated",
                        "offset": proto.bytes_received - incomplete,
                        "incomplete_bytes": incomplete,
                        "message": f"the stream ends with {incomplete} bytes of an "
                        "incomplete frame",
                    }
                )
                + "\n"
            )
    else:
        summary = f"{frames} frame(s), {len(data)} bytes, {violations} violation(s)"
        if incomplete:
            summary += f"; the stream ends with {incomplete} bytes of an incomplete frame"
        out.write(f"-- {summary}\n")
    return 0


# ----------------------------------------------------------------------- capture
class _Printer:
    """Prints capture events as they happen (frames both ways, state, errors)."""

    def __init__(self, out: TextIO) -> None:
        self.out = out

    def __call__(self, event: CaptureEvent) -> None:
        out = self.out
        if isinstance(event, FramesCaptured):
            arrow = "-> " if event.dir is Direction.OUT else "<- "
            for frame in event.frames:
                out.write(format_frame(frame, arrow) + "\n")
        elif isinstance(event, MessageCaptured):
            if event.message.fragments > 1 or event.message.compressed:
                arrow = "-> " if event.dir is Direction.OUT else "<- "
                out.write(format_message(event.message, arrow) + "\n")
        elif isinstance(event, HandshakeCaptured):
            arrow = "-> " if event.dir is Direction.OUT else "<- "
            out.write(f"{arrow}{event.start_line}\n")
            if event.accept is not None:
                mark = "ok" if event.accept.ok else "WRONG"
                out.write(f"   Sec-WebSocket-Accept {mark} (expected {event.accept.expected})\n")
            for problem in event.problems:
                out.write(f"   ! {problem}\n")
        elif isinstance(event, StateChanged):
            text = event.state.value
            if event.state is ConnectionState.CLOSED:
                text += f" code={event.code} reason={event.reason!r} clean={event.clean}"
                if event.detail:
                    text += f" ({event.detail})"
            out.write(f"** {text}\n")
        elif isinstance(event, ErrorCaptured):
            out.write(f"!! {event.step}: {event.message}\n")
        elif isinstance(event, ViolationCaptured):
            out.write(f"!! {event.violation}\n")
        elif isinstance(event, RttSample):
            out.write(f"   rtt {event.rtt * 1000:.2f} ms\n")
        out.flush()


def _parse_header(text: str) -> tuple[str, str]:
    name, sep, value = text.partition(":")
    if not sep or not name.strip():
        raise ValueError(f"header {text!r} is not 'Name: value'")
    return name.strip(), value.strip()


def cmd_capture(ns: argparse.Namespace) -> int:
    from .engine.options import ConnectOptions, TlsOptions

    try:
        headers = [_parse_header(h) for h in ns.header]
        actions = _check_actions(ns.actions)
    except ValueError as exc:
        print(f"ws-inspector capture: {exc}", file=sys.stderr)
        return 2
    options = ConnectOptions(
        headers=headers,
        subprotocols=ns.subprotocol,
        deflate=not ns.no_deflate,
        origin=ns.origin,
        open_timeout=ns.timeout,
        strict=ns.strict,
        auto_pong=not ns.no_auto_pong,
        tls=TlsOptions(cafile=ns.cacert, certfile=ns.cert, keyfile=ns.key, insecure=ns.insecure),
    )
    piped = False
    with contextlib.suppress(OSError, ValueError, AttributeError):
        piped = sys.stdin is not None and not sys.stdin.isatty()
    return asyncio.run(_capture(ns, options, actions, piped))


def _check_actions(actions: list[tuple[str, Any]]) -> list[tuple[str, Any]]:
    checked: list[tuple[str, Any]] = []
    for kind, value in actions:
        if kind == "send_binary":
            try:
                value = bytes.fromhex(value.replace(":", " "))
            except ValueError:
                raise ValueError(f"--send-binary {value!r} is not hex") from None
        elif kind == "ping":
            value = value.encode("utf-8")
            if len(value) > 125:
                raise ValueError("a ping payload is at most 125 bytes")
        elif kind == "close":
            code_text, _, reason = value.partition(":")
            try:
                code = int(code_text)
            except ValueError:
                raise ValueError(f"--close {value!r}: the code must be a number") from None
            if not 0 <= code <= 0xFFFF:
                raise ValueError(f"--close {value!r}: a close code is 0-65535 (two bytes)")
            if len(reason.encode("utf-8")) > 123:
                raise ValueError(f"--close {value!r}: the reason is over 123 bytes of UTF-8")
            value = (code, reason)
        checked.append((kind, value))
    return checked


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


async def _capture(
    ns: argparse.Namespace, options: Any, actions: list[tuple[str, Any]], piped: bool
) -> int:
    from .engine.client import connect, new_client_connection
    from .engine.options import ConnectError

    conn = new_client_connection(ns.url, options)
    journal = _start_journal(ns, conn)
    if not ns.json:
        conn.subscribe(_Printer(sys.stdout), messages="composite")
    status = 0
    reason = ""
    try:
        await connect(ns.url, options, connection=conn)
    except ConnectError as exc:
        status, reason = 1, f"{exc.step}: {exc.message}"
    else:
        closed_by_us = False
        # Ctrl+C ends the conversation the way the end of input does: closed cleanly,
        # with everything printed and written.
        loop = asyncio.get_running_loop()
        stop: asyncio.Future[None] = loop.create_future()

        def interrupt() -> None:
            if not stop.done():
                stop.set_result(None)

        conn.closed.add_done_callback(lambda _: interrupt())
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(signal.SIGINT, interrupt)
        # Lines piped to standard input are sent after the command-line actions, but
        # before a --close, which ends the conversation.
        if piped:
            close_at = next((i for i, (k, _) in enumerate(actions) if k == "close"), len(actions))
            actions = [*actions[:close_at], ("stdin", None), *actions[close_at:]]
        for kind, value in actions:
            if conn.protocol is None or conn.protocol.close_sent is not None or stop.done():
                break
            if kind == "stdin":
                lines = _StdinLines()
                while (line := await lines.next(stop)) is not None:
                    if conn.protocol.close_sent is not None:
                        break
                    try:
                        conn.send_text(line)
                    except LocalProtocolError:
                        break
                    await conn.drain()
                continue
            try:
                if kind == "send":
                    conn.send_text(value)
                elif kind == "send_binary":
                    conn.send_binary(value)
                elif kind == "ping":
                    conn.send_ping(value)
                elif kind == "close":
                    conn.send_close(*value)
                    closed_by_us = True
            except LocalProtocolError:
                break  # the peer ended the connection meanwhile: reported below
            await conn.drain()
            await asyncio.sleep(0)
        if not stop.done():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(stop), ns.wait)
        if not conn.closed.done():
            if not closed_by_us:
                await conn.close(1000)
            else:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(conn.wait_closed(), options.close_timeout * 2)
                conn.abort()
        await asyncio.sleep(0)
        last = _last_state(conn)
        if last is None or not last.clean:
            status = 1
            if conn.error is not None:
                reason = f"{conn.error.step}: {conn.error.message}"
            elif last is not None:
                reason = f"the connection did not close cleanly (code {last.code}"
                reason += f", {last.detail})" if last.detail else ")"
            else:
                reason = "the connection did not close"
    written = _write_outputs(ns, conn)
    _end_journal(journal, keep=not written)
    if status:
        print(f"ws-inspector capture: {reason}", file=sys.stderr)
    return status


def _last_state(conn: Any) -> StateChanged | None:
    state: StateChanged | None = conn.final_state
    return state


def _write_outputs(ns: argparse.Namespace, conn: Any) -> bool:
    """Print and write the capture as asked; False if the output file failed."""
    from .capture.formats.jsonl import iter_lines, write_jsonl

    if conn.store is None:
        return True
    if ns.json:
        for line in iter_lines(conn.store):
            sys.stdout.write(line if line.endswith("\n") else line + "\n")
        sys.stdout.flush()
    if ns.output:
        try:
            if ns.output.lower().endswith(".har"):
                from .capture.formats.har import write_har

                write_har(conn.store, ns.output, include_secrets=ns.include_secrets)
            else:
                write_jsonl(conn.store, ns.output)
        except OSError as exc:
            print(f"ws-inspector capture: cannot write {ns.output}: {exc}", file=sys.stderr)
            return False
    return True


# ------------------------------------------------------------------------- serve
def cmd_serve(ns: argparse.Namespace) -> int:
    from .engine.server import EchoServer

    ids: dict[int, int] = {}

    def on_event(conn: Any, event: CaptureEvent) -> None:
        if ns.quiet:
            return
        n = ids.setdefault(id(conn), len(ids) + 1)
        prefix = f"[{n}] "
        line_out = []
        if isinstance(event, FramesCaptured):
            arrow = "-> " if event.dir is Direction.OUT else "<- "
            for frame in event.frames:
                line_out.append(prefix + format_frame(frame, arrow))
        elif isinstance(event, HandshakeCaptured) and event.dir is Direction.IN:
            line_out.append(f"{prefix}<- {event.start_line}")
        elif isinstance(event, StateChanged):
            extra = (
                f" code={event.code} clean={event.clean}"
                if event.state is ConnectionState.CLOSED
                else ""
            )
            line_out.append(f"{prefix}** {event.state.value}{extra}")
        elif isinstance(event, ErrorCaptured):
            line_out.append(f"{prefix}!! {event.step}: {event.message}")
        if line_out:
            print("\n".join(line_out), flush=True)

    async def run() -> None:
        server = EchoServer(ns.host, ns.port, on_event=on_event, strict=ns.strict)
        try:
            await server.start()
        except OSError as exc:
            raise SystemExit(
                f"ws-inspector serve: cannot listen on {ns.host}:{ns.port}: {exc.strerror or exc}"
            ) from None
        print(server.url, flush=True)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(sig, stop.set)
        try:
            await stop.wait()
        finally:
            await server.close()

    asyncio.run(run())
    return 0


# ------------------------------------------------------------------------- probe
def cmd_probe(ns: argparse.Namespace) -> int:
    from .engine.options import ConnectOptions, TlsOptions
    from .probe import ProbeUnreachable, run_probe, select_cases
    from .probe.report import format_table, json_lines, write_html

    def usage(message: str) -> int:
        print(f"ws-inspector probe: {message}", file=sys.stderr)
        return 2

    if not ns.timeout > 0:
        return usage("--timeout must be a positive number of seconds")
    if ns.concurrency < 1:
        return usage("--concurrency must be at least 1")
    try:
        cases = select_cases(ns.category, ns.case)
        headers = [_parse_header(h) for h in ns.header]
    except ValueError as exc:
        return usage(str(exc))
    if ns.list:
        for case in cases:
            print(f"{case.id:<8} {case.category:<14} {case.title}")
        print(f"{len(cases)} cases")
        return 0
    if not ns.url:
        return usage("a URL is needed (or --list)")
    options = ConnectOptions(
        headers=headers,
        origin=ns.origin,
        open_timeout=max(ns.timeout, 1.0),
        tls=TlsOptions(cafile=ns.cacert, insecure=ns.insecure),
    )
    done = [0]
    progress = not ns.json and sys.stderr.isatty()

    def on_result(result: Any) -> None:
        done[0] += 1
        if progress:
            print(f"\r{done[0]}/{len(cases)} {result.id:<10}", end="", file=sys.stderr)

    try:
        report = asyncio.run(
            run_probe(
                ns.url,
                cases=cases,
                timeout=ns.timeout,
                concurrency=ns.concurrency,
                options=options,
                on_result=on_result,
                keep_captures=False,
            )
        )
    except ProbeUnreachable as exc:
        if exc.step == "url":
            return usage(exc.message)
        print(f"ws-inspector probe: cannot reach {ns.url}: {exc.message}", file=sys.stderr)
        return 1
    if progress:
        print("\r" + " " * 30 + "\r", end="", file=sys.stderr)
    if ns.json:
        for line in json_lines(report):
            sys.stdout.write(line + "\n")
        print(report.summary(), file=sys.stderr)
    else:
        table = format_table(report, verbose=ns.verbose)
        if table:
            print(table)
        server = f" ({report.server})" if report.server else ""
        print(f"\n{ns.url}{server}, {report.duration:.1f} s")
        if report.unreachable:
            print(f"the server became unreachable: {report.unreachable}")
        print(report.summary())
    if ns.html:
        try:
            write_html(report, ns.html)
        except OSError as exc:
            print(f"ws-inspector probe: cannot write {ns.html}: {exc}", file=sys.stderr)
            return 1
    return 0


# ----------------------------------------------------------------------- journal
def _start_journal(ns: argparse.Namespace, conn: Any) -> Any:
    """The crash journal of a capture (None with --no-journal, or if it cannot be
    made: then a warning, and the capture goes on)."""
    if getattr(ns, "no_journal", False):
        return None
    from .engine.journal import Journal

    try:
        return Journal(conn, directory=getattr(ns, "journal", None))
    except OSError as exc:
        where = f" in {exc.filename}" if exc.filename else ""
        print(
            f"ws-inspector capture: warning: no crash journal{where}: {exc.strerror or exc}",
            file=sys.stderr,
        )
        return None


def _end_journal(journal: Any, *, keep: bool) -> None:
    """The capture ended normally: its journal is not needed, unless the output
    could not be written (then it is kept, and said where)."""
    if journal is None:
        return
    journal.close(keep=keep)
    if keep and journal.error is None:
        print(f"ws-inspector capture: the capture is kept in {journal.path}", file=sys.stderr)


# ----------------------------------------------------------------------- convert
_CONVERT_KINDS = {".jsonl": "jsonl", ".har": "har"}


def cmd_convert(ns: argparse.Namespace) -> int:
    """Capture format <-> HAR, by extension; exit 2 with one line on any failure."""
    from .capture.formats.har import HarFormatError, read_har, write_har
    from .capture.formats.jsonl import CaptureFormatError, read_jsonl, write_jsonl

    def fail(message: str) -> int:
        print(f"ws-inspector convert: {message}", file=sys.stderr)
        return 2

    kinds = []
    for path in (ns.input, ns.output):
        ext = os.path.splitext(path)[1].lower()
        if ext not in _CONVERT_KINDS:
            return fail(
                f"{path}: unknown extension {ext or '(none)'!r}: use .jsonl (capture "
                "format) or .har (HAR)"
            )
        kinds.append(_CONVERT_KINDS[ext])
    source, target = kinds
    if os.path.abspath(ns.input) == os.path.abspath(ns.output):
        return fail(f"{ns.input}: the input and the output are the same file")
    stores: list[Any] = []
    try:
        if source == "har":
            for session in read_har(ns.input):
                stores.append(session.store)
                for problem in session.problems:
                    print(
                        f"ws-inspector convert: warning: {ns.input}: entry "
                        f"{session.entry_index + 1}: {problem}",
                        file=sys.stderr,
                    )
        else:
            result = read_jsonl(ns.input)
            stores.append(result.store)
            for problem in result.problems:
                print(f"ws-inspector convert: warning: {ns.input}: {problem}", file=sys.stderr)
    except (CaptureFormatError, HarFormatError) as exc:
        return fail(f"{ns.input}: {exc}")
    except OSError as exc:
        return fail(f"cannot read {ns.input}: {exc.strerror or exc}")
    except MemoryError:
        return fail(f"{ns.input}: too large to convert in memory")
    base, ext = os.path.splitext(ns.output)
    if target == "har" or len(stores) == 1:
        outputs = [(ns.output, stores)]
    else:
        outputs = [(f"{base}-{n}{ext}", [store]) for n, store in enumerate(stores, 1)]
    for path, group in outputs:
        try:
            if target == "har":
                write_har(group, path, include_secrets=ns.include_secrets)
            else:
                write_jsonl(group[0], path)
        except OSError as exc:
            return fail(f"cannot write {path}: {exc.strerror or exc}")
        frames = sum(len(store) for store in group)
        print(f"{path}: {len(group)} session(s), {frames} frame(s)")
    return 0
