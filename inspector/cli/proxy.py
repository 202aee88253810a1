"""``ws-inspector proxy``: see what the user's own client and server exchange.

Reverse mode (``--upstream URL``) takes ``ws://HOST:PORT/any/path`` and connects to the
upstream URL with the same path and query; forward mode (``--forward``) is an HTTP
proxy (``CONNECT`` with ``wss://`` interception by a local CA). With ``--json`` the
first line on stdout is ``{"type": "listening", "url": ..., "mode": ..., "ca": ...}``,
then every capture line of every connection, each with ``"conn"`` (the connection's
number in this run) and, on lines that went one way, ``"from"``: ``"client"`` or
``"server"``. Without it, one line per event for a person. ``-o DIR`` writes one
capture file per connection as it ends. Ctrl+C (or SIGTERM) closes every connection
with a close frame and writes what is left; exit status 0 (1 when it cannot listen,
2 for a bad command line).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import signal
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from ..capture.events import (
    CaptureEvent,
    ConnectionState,
    Direction,
    ErrorCaptured,
    FramesCaptured,
    HandshakeCaptured,
    StateChanged,
)
from ..capture.formats.jsonl import CaptureLineWriter, write_jsonl
from ..engine.options import ConnectError, TlsOptions
from ..views.text import escape_json_line
from .options import add_capture_budget, add_logging_options, capture_budget
from .render import format_frame, peer_text

if TYPE_CHECKING:
    from ..engine.journal import Journal
    from ..engine.proxy import ProxiedConnection, ProxyServer

__all__ = ["ConnLines", "parse_listen", "register", "run"]


def register(commands: Any) -> None:
    p = commands.add_parser(
        "proxy",
        help="relay and record a client and a server, frame by frame",
        description="A proxy between your client and your server that records every "
        "frame of both sides, bytes forwarded exactly as they arrived.",
    )
    p.add_argument(
        "--listen", required=True, metavar="HOST:PORT", help="where to listen (:0 picks a port)"
    )
    mode = p.add_mutually_exclusive_group()
    mode.add_argument(
        "--upstream", metavar="URL", help="reverse mode: connect every client to this ws(s):// URL"
    )
    mode.add_argument(
        "--forward", action="store_true", help="forward mode: an HTTP proxy (CONNECT for wss://)"
    )
    p.add_argument("--json", action="store_true", help="print every capture line as JSON Lines")
    p.add_argument("-o", "--output", metavar="DIR", help="write one capture file per connection")
    p.add_argument("--ca-dir", metavar="DIR", help="where the interception CA lives")
    p.add_argument("--export-ca", metavar="FILE", help="write the CA's certificate (PEM)")
    p.add_argument(
        "--exclude",
        action="append",
        default=[],
        metavar="HOST",
        help="forward mode: pass this host through as an opaque tunnel (repeatable; *.example.com)",
    )
    p.add_argument(
        "--insecure-upstream",
        action="store_true",
        help="do not verify the upstream server's certificate",
    )
    p.add_argument("--cacert", metavar="FILE", help="trust this CA bundle for upstream servers")
    p.add_argument(
        "--proxy",
        metavar="URL",
        help="reach servers through this proxy (http:// CONNECT or socks5://); default: "
        "https_proxy / http_proxy / all_proxy, unless no_proxy names the host",
    )
    p.add_argument(
        "--journal", metavar="DIR", help="where crash journals go (default: the data folder)"
    )
    p.add_argument("--no-journal", action="store_true", help="keep no crash journal")
    add_capture_budget(p, what="each connection")
    add_logging_options(p)
    p.set_defaults(run=run)


def parse_listen(text: str) -> tuple[str, int]:
    host, sep, port = text.rpartition(":")
    if not sep:
        host, port = "127.0.0.1", text
    host = host.strip("[]") or "127.0.0.1"
    if not port.isdigit() or int(port) > 65535:
        raise ValueError(f"--listen {text!r}: the port must be a number from 0 to 65535")
    return host, int(port)


class _Injecting:
    """A text sink that adds ``"conn"`` (and ``"from"``) to each capture line."""

    def __init__(self, out: TextIO, conn_id: int) -> None:
        self.out = out
        self.prefix = f'{{"conn":{conn_id},'

    def write(self, text: str, /) -> int:
        lines = text.split("\n")
        done = []
        for line in lines:
            if not line:
                continue
            head = line[:80]
            if '"dir":"out"' in head:
                line = self.prefix + '"from":"client",' + line[1:]
            elif '"dir":"in"' in head:
                line = self.prefix + '"from":"server",' + line[1:]
            else:
                line = self.prefix + line[1:]
            done.append(escape_json_line(line))
        self.out.write("\n".join(done) + "\n" if done else "")
        return len(text)

    def flush(self) -> None:
        self.out.flush()


class ConnLines:
    """What a person reads: one line per handshake half, frame, state and error."""

    def __init__(self, out: TextIO) -> None:
        self.out = out

    def lines(self, conn: ProxiedConnection, event: CaptureEvent) -> list[str]:
        prefix = f"[{conn.conn_id}] "
        if isinstance(event, FramesCaptured):
            arrow = "client->server " if event.dir is Direction.OUT else "server->client "
            return [prefix + format_frame(frame, arrow) for frame in event.frames]
        if isinstance(event, HandshakeCaptured):
            who = "client" if event.dir is Direction.OUT else "server"
            leg = event.leg.value if event.leg is not None else "?"
            return [f"{prefix}{who} ({leg} leg): {peer_text(event.start_line, 200)}"]
        if isinstance(event, StateChanged):
            extra = (
                f" code={event.code} clean={event.clean}"
                if event.state is ConnectionState.CLOSED
                else ""
            )
            detail = f" ({peer_text(event.detail, 200)})" if event.detail else ""
            return [f"{prefix}** {event.state.value}{extra}{detail}"]
        if isinstance(event, ErrorCaptured):
            return [f"{prefix}!! {event.step}: {peer_text(event.message, 400)}"]
        return []

    def listener(self, conn: ProxiedConnection) -> Any:
        def listen(event: CaptureEvent) -> None:
            found = self.lines(conn, event)
            if found:
                self.out.write("\n".join(found) + "\n")
                self.out.flush()

        return listen


class _Run:
    """The outputs of one proxy run: lines, files, journals."""

    def __init__(self, ns: argparse.Namespace) -> None:
        self.ns = ns
        self.console = None if ns.json else ConnLines(sys.stdout)
        self.journals: dict[int, Journal] = {}
        self.writers: dict[int, CaptureLineWriter] = {}
        self.written: set[int] = set()
        self.failed_output = False
        #: Called with a connection's id once its outputs are written: the proxy then
        #: lets go of its capture, so that a long run does not keep them all.
        self.forget: Callable[[int], None] | None = None

    def on_connection(self, conn: ProxiedConnection) -> None:
        if self.ns.json:
            writer = CaptureLineWriter(_Injecting(sys.stdout, conn.conn_id), flush=True)
            writer.session(conn.session)
            conn.subscribe(writer.add, messages="composite")
            self.writers[conn.conn_id] = writer
        elif self.console is not None:
            conn.subscribe(self.console.listener(conn), messages=False)
        if not self.ns.no_journal:
            from ..engine.journal import Journal

            try:
                self.journals[conn.conn_id] = Journal(conn, directory=self.ns.journal)
            except OSError as exc:
                print(
                    f"ws-inspector proxy: warning: no crash journal: {exc.strerror or exc}",
                    file=sys.stderr,
                )
        conn.closed.add_done_callback(lambda _: self.finished(conn))

    def finished(self, conn: ProxiedConnection) -> None:
        if conn.conn_id in self.written:
            return
        self.written.add(conn.conn_id)
        writer = self.writers.pop(conn.conn_id, None)
        if writer is not None:
            writer.end()
        ok = True
        if self.ns.output and conn.store is not None:
            path = Path(self.ns.output) / f"conn-{conn.conn_id}.jsonl"
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                write_jsonl(conn.store, path)
            except OSError as exc:
                ok = False
                self.failed_output = True
                print(f"ws-inspector proxy: cannot write {path}: {exc}", file=sys.stderr)
        journal = self.journals.pop(conn.conn_id, None)
        if journal is not None:
            journal.close(keep=not ok)
        if self.forget is not None:
            self.forget(conn.conn_id)


def _listening_line(server: ProxyServer, ca: str | None) -> str:
    return json.dumps({"type": "listening", "url": server.url, "mode": server.mode, "ca": ca})


async def _serve(ns: argparse.Namespace, server: ProxyServer, outputs: _Run) -> int:
    try:
        await server.start()
    except OSError as exc:
        print(
            f"ws-inspector proxy: cannot listen on {ns.listen}: {exc.strerror or exc}",
            file=sys.stderr,
        )
        return 1
    ca_path: str | None = None
    if ns.forward:
        ca_path = str(server.ca.cert_path)
    if ns.export_ca:
        server.ca.export(ns.export_ca)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    if ns.json:
        print(_listening_line(server, ca_path), flush=True)
    else:
        where = f" -> {ns.upstream}" if ns.upstream else " (forward proxy)"
        ca_words = f"; CA {ca_path}" if ca_path else ""
        print(f"proxy listening on {server.url}{where}{ca_words}", flush=True)
    try:
        await stop.wait()
    finally:
        await server.close()
        for conn in list(server.connections.values()):
            outputs.finished(conn)
    return 1 if outputs.failed_output else 0


def run(ns: argparse.Namespace) -> int:
    from ..engine.proxy import LocalCA, ProxyOptions, ProxyServer

    try:
        host, port = parse_listen(ns.listen)
    except ValueError as exc:
        print(f"ws-inspector proxy: {exc}", file=sys.stderr)
        return 2
    if not ns.upstream and not ns.forward:
        if ns.export_ca:  # only the CA was asked for
            try:
                LocalCA(ns.ca_dir).export(ns.export_ca)
            except (OSError, ValueError) as exc:
                print(f"ws-inspector proxy: cannot export the CA: {exc}", file=sys.stderr)
                return 1
            return 0
        print("ws-inspector proxy: give --upstream URL or --forward", file=sys.stderr)
        return 2
    options = ProxyOptions(
        upstream=ns.upstream,
        forward=ns.forward,
        tls=TlsOptions(cafile=ns.cacert, insecure=ns.insecure_upstream),
        proxy=ns.proxy,
        exclude=tuple(ns.exclude),
        ca_dir=ns.ca_dir,
        max_capture_bytes=capture_budget(ns),
    )
    outputs = _Run(ns)
    try:
        server = ProxyServer(host, port, options, on_connection=outputs.on_connection)
    except ConnectError as exc:
        print(f"ws-inspector proxy: {exc.message}", file=sys.stderr)
        return 2
    outputs.forget = server.forget
    return asyncio.run(_serve(ns, server, outputs))
