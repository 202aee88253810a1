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

Rules change traffic as it passes (:mod:`inspector.engine.proxy.rules`):
``--replace 'client:REGEX=>REPLACEMENT'`` (or ``server:``), ``--drop 'server:REGEX'``,
``--delay 'client:MS'``, ``--close-after N``; ``--script FILE.py`` calls the file's
``on_client_message`` / ``on_server_message`` on each message, which return what is
relayed. A hook's ``conn`` sends toward the sender of the message it was given (it
answers it): in ``on_client_message`` to the client, as the server would; ``conn.data``
is one dict per connection, shared by both hooks. While any of these is on, the proxy
takes permessage-deflate out of the offer it forwards, so that messages can be
changed; each change is an ``intervention`` line in the capture.
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
    InterventionCaptured,
    MessageCaptured,
    SessionRole,
    StateChanged,
)
from ..capture.formats.jsonl import CaptureLineWriter, write_jsonl
from ..engine.options import ConnectError, TlsOptions, parse_listen_address
from ..protocol.constants import Opcode, Role
from ..protocol.events import Message
from ..protocol.frames import FrameSpec
from ..views.text import escape_json_line
from .automation import load_hooks
from .options import UsageError, add_capture_budget, add_logging_options, capture_budget
from .render import ConnectionLines, PayloadRenderer, peer_text

if TYPE_CHECKING:
    from ..automation.hooks import HookConnection, HookRunner
    from ..engine.journal import Journal
    from ..engine.proxy import ProxiedConnection, ProxyServer, Rules
    from ..engine.proxy.controls import Hook

__all__ = ["ConnLines", "register", "run"]


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
    rules = p.add_argument_group("changing traffic (permessage-deflate is then not offered)")
    rules.add_argument(
        "--replace",
        action="append",
        default=[],
        metavar="SIDE:REGEX=>TEXT",
        help="in each text message from SIDE (client or server), replace REGEX's matches "
        "(Python re.sub: \\1 is group 1); repeatable",
    )
    rules.add_argument(
        "--drop",
        action="append",
        default=[],
        metavar="SIDE:REGEX",
        help="drop each text message from SIDE in which REGEX matches; repeatable",
    )
    rules.add_argument(
        "--delay",
        action="append",
        default=[],
        metavar="SIDE:MS",
        help="relay each frame from SIDE MS milliseconds after it came",
    )
    rules.add_argument(
        "--close-after",
        type=int,
        metavar="N",
        help="close each connection (1000) once N data messages went through",
    )
    rules.add_argument(
        "--script",
        metavar="FILE.py",
        help="call this Python file's on_client_message / on_server_message on each "
        "message; what they return is relayed (None drops it); see docs/scripting.md",
    )
    add_capture_budget(p, what="each connection")
    add_logging_options(p)
    p.set_defaults(run=run)


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
    """What a person reads: one line per handshake half, state and error; frames and
    messages as ``capture`` prints them (:class:`ConnectionLines`)."""

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self._registry = PayloadRenderer().registry

    def frame_lines(self) -> ConnectionLines:
        """What prints one connection's frames (each negotiates its own subprotocol)."""
        return ConnectionLines(PayloadRenderer(self._registry), SessionRole.PROXY)

    def lines(
        self, conn: ProxiedConnection, event: CaptureEvent, frames: ConnectionLines
    ) -> list[str]:
        prefix = f"[{conn.conn_id}] "
        if isinstance(event, FramesCaptured):
            arrow = "client->server " if event.dir is Direction.OUT else "server->client "
            return frames.frames(event, prefix + arrow)
        if isinstance(event, MessageCaptured):
            arrow = "client->server " if event.dir is Direction.OUT else "server->client "
            return frames.message(event, prefix + arrow)
        if isinstance(event, HandshakeCaptured):
            frames.handshake(event)
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
        if isinstance(event, InterventionCaptured):
            arrow = "client->server" if event.dir is Direction.OUT else "server->client"
            by = f" by {peer_text(event.by, 200)}" if event.by else ""
            sizes = f" ({len(event.arrived)} bytes came, {len(event.sent)} sent)"
            detail = f": {peer_text(event.detail, 400)}" if event.detail else ""
            if event.action.value == "note":
                return [f"{prefix}~~ note{by}{detail}"]
            return [f"{prefix}~~ {event.action.value} {arrow}{by}{sizes}{detail}"]
        return []

    def listener(self, conn: ProxiedConnection) -> Any:
        frames = self.frame_lines()

        def listen(event: CaptureEvent) -> None:
            found = self.lines(conn, event, frames)
            if found:
                self.out.write("\n".join(found) + "\n")
                self.out.flush()

        return listen


class _Seat:
    """What a proxy hook's ``conn`` sends through: frames toward one side of a
    proxied connection (see :class:`~inspector.automation.hooks.HookConnection`)."""

    def __init__(self, conn: ProxiedConnection, toward: Role) -> None:
        self._conn = conn
        self._toward = toward
        #: The end we play toward that side.
        self.role = Role.SERVER if toward is Role.CLIENT else Role.CLIENT
        self.close_sent = False

    @property
    def url(self) -> str:
        return self._conn.url

    @property
    def is_open(self) -> bool:
        return self._conn.legs is not None and self._conn.state is ConnectionState.OPEN

    def send_frame(self, spec: FrameSpec) -> None:
        self._conn.inject(self._toward, [spec], "script")

    def send_text(self, text: str) -> None:
        self.send_frame(FrameSpec(Opcode.TEXT, text.encode("utf-8")))

    def send_binary(self, data: bytes) -> None:
        self.send_frame(FrameSpec(Opcode.BINARY, bytes(data)))

    def send_ping(self, payload: bytes = b"") -> None:
        self.send_frame(FrameSpec(Opcode.PING, bytes(payload)))

    def send_close(self, code: int = 1000, reason: str = "") -> None:
        self.close_sent = True
        self.send_frame(FrameSpec(Opcode.CLOSE, code.to_bytes(2, "big") + reason.encode()))


def proxy_hook(runner: HookRunner) -> Hook:
    """The proxy's hook for ``runner``'s ``on_client_message`` / ``on_server_message``."""
    from typing import cast

    from ..automation.hooks import HookConnection
    from ..engine.connection import Connection

    seats: dict[int, tuple[HookConnection, HookConnection]] = {}

    def hook(conn: ProxiedConnection, side: Direction, message: Message) -> Message | None:
        pair = seats.get(conn.conn_id)
        if pair is None:
            label = f"[{conn.conn_id}]"
            to_client = HookConnection(cast(Connection, _Seat(conn, Role.CLIENT)), runner, label)
            to_server = HookConnection(cast(Connection, _Seat(conn, Role.SERVER)), runner, label)
            to_server.data = to_client.data
            pair = seats[conn.conn_id] = (to_client, to_server)
            conn.closed.add_done_callback(lambda _: seats.pop(conn.conn_id, None))
        if side is Direction.OUT:
            return runner.transform("on_client_message", pair[0], message)
        return runner.transform("on_server_message", pair[1], message)

    return hook


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
            conn.subscribe(self.console.listener(conn), messages="composite")
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


def _listening_line(server: ProxyServer, ca: str | None, controls: list[str]) -> str:
    return json.dumps(
        {
            "type": "listening",
            "url": server.url,
            "mode": server.mode,
            "ca": ca,
            "controls": controls,
        }
    )


async def _serve(ns: argparse.Namespace, server: ProxyServer, outputs: _Run, rules: Rules) -> int:
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
    controls = rules.describe() + ([f"script {ns.script}"] if ns.script else [])
    if ns.json:
        print(_listening_line(server, ca_path, controls), flush=True)
    else:
        where = f" -> {ns.upstream}" if ns.upstream else " (forward proxy)"
        ca_words = f"; CA {ca_path}" if ca_path else ""
        print(f"proxy listening on {server.url}{where}{ca_words}", flush=True)
        if ca_path:
            # What a browser needs to trust the interception for a test run without
            # touching its certificate store (every leaf shares this key).
            spki = server.ca.spki_sha256()
            print(f"  Chromium: --ignore-certificate-errors-spki-list={spki}", flush=True)
        for line in controls:
            print(f"  {peer_text(line, 300)} (permessage-deflate not offered upstream)", flush=True)
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
        host, port = parse_listen_address(ns.listen)
    except ValueError as exc:
        print(f"ws-inspector proxy: --listen: {exc}", file=sys.stderr)
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
    from ..engine.proxy import Controls, Rules

    try:
        rules = Rules.parse(ns.replace, ns.drop, ns.delay, ns.close_after)
        hooks = load_hooks(ns, "proxy")
    except UsageError as exc:
        print(f"ws-inspector proxy: {exc}", file=sys.stderr)
        return 2
    except ValueError as exc:
        print(f"ws-inspector proxy: {exc}", file=sys.stderr)
        return 2
    hook = None
    if hooks is not None:
        from ..automation.hooks import PROXY_HOOKS

        if not any(hooks.has(name) for name in PROXY_HOOKS):
            hooks.close()
            print(
                f"ws-inspector proxy: --script: {ns.script} defines neither "
                f"{' nor '.join(PROXY_HOOKS)}, the hooks a proxy calls",
                file=sys.stderr,
            )
            return 2
        hook = proxy_hook(hooks)
    controls = Controls(rules=rules, hook=hook)
    options = ProxyOptions(
        upstream=ns.upstream,
        forward=ns.forward,
        tls=TlsOptions(cafile=ns.cacert, insecure=ns.insecure_upstream),
        proxy=ns.proxy,
        exclude=tuple(ns.exclude),
        ca_dir=ns.ca_dir,
        max_capture_bytes=capture_budget(ns),
        controls=controls,
    )
    outputs = _Run(ns)
    try:
        server = ProxyServer(host, port, options, on_connection=outputs.on_connection)
    except ConnectError as exc:
        print(f"ws-inspector proxy: {exc.message}", file=sys.stderr)
        return 2
    outputs.forget = server.forget
    try:
        return asyncio.run(_serve(ns, server, outputs, rules))
    finally:
        if hooks is not None:
            hooks.close()
