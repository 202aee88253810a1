"""The proxy: listens, reads each client's opening handshake, connects upstream, and
relays every byte both ways while each side's frames are recorded.

Reverse mode sends every connection to one upstream URL (with the client's own path
and query). Forward mode is an HTTP proxy: ``GET ws://host/path`` (absolute URI) for
plain WebSockets, and ``CONNECT host:port`` for anything, ``wss://`` included, whose
TLS is intercepted with a leaf of the local CA (:mod:`.ca`), unless the host is
excluded (then an opaque tunnel, recorded as such).

Faults reach the client in its own terms: before the 101, an HTTP 502 saying what
failed upstream (a refused connection, a TLS failure, an answer that is not HTTP), or
the server's own refusal passed through; after the 101, a side that vanishes without
a close frame is closed on the other side with 1001 (the client went away) or 1011 /
1014 (the server ended its stream / its connection failed).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import os
import socket
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from ...capture.events import (
    ConnectionState,
    Direction,
    ErrorStep,
    HandshakeCaptured,
    HandshakeLeg,
    Intervention,
    InterventionCaptured,
    ProxyExchange,
)
from ...capture.store import DEFAULT_MAX_CAPTURE_BYTES
from ...protocol.constants import CloseCode, Role
from ...protocol.handshake import (
    HandshakeRequest,
    HandshakeResponse,
    ParseFailure,
    RequestParser,
    ResponseParser,
    build_error_response,
    parse_request,
    split_head,
)
from ...protocol.headers import format_extensions, parse_extensions
from ..client import MAX_REFUSAL_BODY, _tls_info, make_ssl_context
from ..dial import UpstreamProxy, choose_proxy, dial, parse_proxy_url
from ..options import ConnectError, TlsOptions, parse_url
from .ca import LocalCA
from .controls import Controls
from .legs import Leg, upstream_head
from .relay import close_frame, relay
from .session import ProxiedConnection, negotiated_deflate

__all__ = ["ProxyOptions", "ProxyServer"]

log = logging.getLogger(__name__)

_REFUSAL_BODY_WAIT = 1.0


@dataclass(frozen=True, slots=True)
class ProxyOptions:
    """How the proxy works. ``upstream`` (reverse mode) or ``forward``, not both."""

    upstream: str | None = None
    forward: bool = False
    tls: TlsOptions = field(default_factory=TlsOptions)  # verifying upstream servers
    #: The user's proxy for upstream connections: None reads the environment, "" none.
    proxy: str | None = None
    exclude: tuple[str, ...] = ()  # forward mode: hosts passed through as opaque tunnels
    ca_dir: str | None = None
    open_timeout: float = 10.0
    close_timeout: float = 5.0
    max_capture_bytes: int | None = DEFAULT_MAX_CAPTURE_BYTES
    keep_captures: bool = True
    #: Breakpoints, rules and hooks (None: a set of its own, all off).
    controls: Controls | None = field(default=None, compare=False)


DEFLATE_REMOVED = (
    "permessage-deflate was removed from the client's offer: while breakpoints, rules "
    "or hooks are on, both sides talk uncompressed, so that any message can be changed"
)


def without_deflate(
    headers: tuple[tuple[str, str], ...],
) -> tuple[tuple[tuple[str, str], ...], bool]:
    """The request's headers with no permessage-deflate offer, and whether one went."""
    kept: list[tuple[str, str]] = []
    removed = False
    for name, value in headers:
        if name.lower() == "sec-websocket-extensions":
            try:
                offers = parse_extensions(value)
            except ValueError:
                kept.append((name, value))  # unreadable: the server judges it
                continue
            rest = [o for o in offers if o[0].lower() != "permessage-deflate"]
            if len(rest) != len(offers):
                removed = True
                if rest:
                    kept.append((name, format_extensions(rest)))
                continue
        kept.append((name, value))
    return tuple(kept), removed


def _address(peer: object) -> str:
    if isinstance(peer, tuple) and len(peer) >= 2:
        host = str(peer[0])
        return f"[{host}]:{peer[1]}" if ":" in host else f"{host}:{peer[1]}"
    return str(peer)


def _split_authority(authority: str, default_port: int) -> tuple[str, int]:
    parts = urlsplit("//" + authority)
    if not parts.hostname:
        raise ValueError(f"{authority!r} names no host")
    return parts.hostname, parts.port if parts.port is not None else default_port


class ProxyServer:
    """The proxy on ``host:port`` (0: a free port, see :attr:`port`).

    ``on_connection`` is called with each new :class:`ProxiedConnection` before its
    first event, so that a listener subscribed then sees all of it. :attr:`connections`
    holds every connection of the run, by id, in order.
    """

    def __init__(
        self,
        host: str,
        port: int,
        options: ProxyOptions,
        *,
        on_connection: Callable[[ProxiedConnection], None] | None = None,
    ) -> None:
        if options.forward == (options.upstream is not None):
            raise ValueError("a proxy has an upstream URL (reverse mode) or forwards, not both")
        self.host = host
        self.port = port
        self.options = options
        self.on_connection = on_connection
        self.connections: dict[int, ProxiedConnection] = {}
        #: What may hold or change traffic (shared by every connection).
        self.controls = options.controls if options.controls is not None else Controls()
        self._ids = itertools.count(1)
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._legs: set[Leg] = set()
        self._ca: LocalCA | None = None
        self._closing = False
        if options.upstream is not None:
            parse_url(options.upstream)  # a bad URL fails here, not on each connection
        if options.proxy:
            parse_proxy_url(options.proxy)

    @property
    def mode(self) -> str:
        return "forward" if self.options.forward else "reverse"

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"ws://{host}:{self.port}/"

    @property
    def ca(self) -> LocalCA:
        """The local CA (made on first use)."""
        if self._ca is None:
            self._ca = LocalCA(self.options.ca_dir)
        return self._ca

    async def start(self) -> ProxyServer:
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(self._accept, self.host, self.port)
        sock = self._server.sockets[0]
        self.port = sock.getsockname()[1]
        return self

    async def __aenter__(self) -> ProxyServer:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    def forget(self, conn_id: int) -> None:
        """Drop a finished connection (and its capture) from :attr:`connections`."""
        self.connections.pop(conn_id, None)

    async def close(self) -> None:
        """Stop listening and close every connection: open ones get a 1001 close
        frame on both sides, then a moment to answer it."""
        self._closing = True
        if self._server is not None:
            self._server.close()
        for conn in list(self.connections.values()):
            self._shutdown(conn)
        pending = [c.closed for c in self.connections.values() if not c.closed.done()]
        if pending:
            await asyncio.wait(pending, timeout=self.options.close_timeout)
        for leg in list(self._legs):
            leg.abort()
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.wait(list(self._tasks), timeout=self.options.close_timeout)
        for conn in self.connections.values():
            conn.finish("the proxy stopped")
        if self._server is not None:
            await self._server.wait_closed()
            self._server = None

    def _shutdown(self, conn: ProxiedConnection) -> None:
        legs = conn.legs
        if legs is None:
            return
        client, upstream = legs
        if conn.is_open and not conn.tunnel:
            client_close, server_close = conn.close_frames()
            reason = "the proxy is stopping"
            if client_close is None and server_close is None:
                client.write(close_frame(CloseCode.GOING_AWAY, reason, Role.SERVER))
                upstream.write(close_frame(CloseCode.GOING_AWAY, reason, Role.CLIENT))
                # Our own frames are not the ends' and are not among their frames.
                conn.record_error(
                    ErrorStep.CLOSE,
                    "the proxy stopped: both sides were sent a close frame 1001 (going away)",
                    fatal=False,
                )
                return
        client.close()
        upstream.close()

    # ------------------------------------------------------------ accepting
    def _accept(self) -> Leg:
        leg = Leg()
        self._legs.add(leg)
        task = asyncio.get_running_loop().create_task(self._serve(leg))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return leg

    def _new_connection(
        self, client: str, url: str, notes: tuple[str, ...] = ()
    ) -> ProxiedConnection:
        conn = ProxiedConnection(
            next(self._ids),
            client,
            url,
            max_capture_bytes=self.options.max_capture_bytes,
            keep_capture=self.options.keep_captures,
            notes=notes,
        )
        self.connections[conn.conn_id] = conn
        if self.on_connection is not None:
            self.on_connection(conn)
        return conn

    async def _serve(self, leg: Leg) -> None:
        await asyncio.sleep(0)  # connection_made comes after the factory returns
        client = _address(leg.transport.get_extra_info("peername") if leg.transport else None)
        try:
            async with asyncio.timeout(self.options.open_timeout):
                request = await leg.read_head(RequestParser())
        except TimeoutError:
            leg.abort()
            self._legs.discard(leg)
            return
        if not request.raw:  # connected and left without a byte
            leg.close()
            self._legs.discard(leg)
            return
        try:
            if self.options.forward:
                await self._forward(leg, client, request)
            else:
                assert self.options.upstream is not None
                url = self._reverse_url(request)
                await self._proxy(self._new_connection(client, url), leg, request, url)
        except Exception:
            log.exception("proxying a connection from %s failed", client)
            leg.abort()
        finally:
            self._legs.discard(leg)

    def _reverse_url(self, request: HandshakeRequest | ParseFailure) -> str:
        assert self.options.upstream is not None
        base = self.options.upstream.rstrip("/")
        target = request.target if isinstance(request, HandshakeRequest) else "/"
        if not target.startswith("/"):  # an absolute URI sent to a reverse proxy
            split = urlsplit(target)
            target = (split.path or "/") + (f"?{split.query}" if split.query else "")
        scheme_end = base.index("://") + 3
        if "/" not in base[scheme_end:]:
            return base + target
        return base + (target if target != "/" else "")

    # -------------------------------------------------------------- forward
    async def _forward(
        self, leg: Leg, client: str, request: HandshakeRequest | ParseFailure
    ) -> None:
        if isinstance(request, HandshakeRequest) and request.method == "CONNECT":
            await self._connect_method(leg, client, request)
            return
        target = request.target if isinstance(request, HandshakeRequest) else ""
        split = urlsplit(target)
        scheme = {"http": "ws", "ws": "ws", "https": "wss", "wss": "wss"}.get(split.scheme)
        if scheme is None or not split.netloc:
            conn = self._new_connection(client, "ws://proxy/")
            self._client_request(conn, request)
            self._refuse(
                conn,
                leg,
                400,
                "this is a forward proxy: send an absolute URI (GET ws://host/path) or CONNECT",
                ErrorStep.HANDSHAKE,
            )
            return
        resource = (split.path or "/") + (f"?{split.query}" if split.query else "")
        url = f"{scheme}://{split.netloc}{resource}"
        await self._proxy(self._new_connection(client, url), leg, request, url)

    def _excluded(self, host: str) -> bool:
        name = host.lower()
        for item in self.options.exclude:
            pattern = item.lower().lstrip("*").lstrip(".") if item.startswith("*") else item.lower()
            if name == pattern or (item.startswith("*") and name.endswith("." + pattern)):
                return True
        return False

    async def _connect_method(self, leg: Leg, client: str, request: HandshakeRequest) -> None:
        try:
            host, port = _split_authority(request.target, 443)
        except ValueError as exc:
            conn = self._new_connection(client, "ws://proxy/")
            self._client_request(conn, request)
            self._refuse(conn, leg, 400, f"bad CONNECT target: {exc}", ErrorStep.URL)
            return
        authority = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
        if self._excluded(host):
            await self._tunnel(leg, client, request, host, port, authority)
            return
        assert leg.transport is not None
        transport = leg.transport
        # Paused before the 200 goes out, so that the client's first bytes stay in the
        # kernel, where a peek can tell a TLS ClientHello from a plain request.
        transport.pause_reading()
        leg.write(b"HTTP/1.1 200 Connection Established\r\n\r\n")
        first = await self._peek(transport)
        notes = (f"tunnelled with CONNECT {authority}",)
        if first == b"\x16":
            ctx = self.ca.server_context(host)
            loop = asyncio.get_running_loop()
            try:
                tls_transport = await loop.start_tls(
                    transport,
                    leg,
                    ctx,
                    server_side=True,
                    ssl_handshake_timeout=self.options.open_timeout,
                )
            except (ssl.SSLError, OSError, TimeoutError, ConnectionError) as exc:
                conn = self._new_connection(client, f"wss://{authority}/", notes)
                conn.record_error(
                    ErrorStep.TLS,
                    f"the client refused the proxy's certificate for {host} ({exc}); "
                    "trust the proxy's CA (ws-inspector proxy --export-ca FILE)",
                )
                conn.finish("TLS interception failed")
                leg.abort()
                return
            if tls_transport is None:
                leg.abort()
                return
            assert isinstance(tls_transport, asyncio.Transport)
            leg.transport = tls_transport
            scheme = "wss"
            notes = (f"{notes[0]}; TLS intercepted with the proxy's CA",)
        else:
            transport.resume_reading()
            scheme = "ws"
        try:
            async with asyncio.timeout(self.options.open_timeout):
                inner = await leg.read_head(RequestParser())
        except TimeoutError:
            leg.abort()
            return
        if not inner.raw:
            leg.close()
            return
        target = inner.target if isinstance(inner, HandshakeRequest) else "/"
        default = 443 if scheme == "wss" else 80
        shown = authority if port != default else (f"[{host}]" if ":" in host else host)
        url = f"{scheme}://{shown}{target if target.startswith('/') else '/'}"
        await self._proxy(self._new_connection(client, url, notes), leg, inner, url)

    async def _peek(self, transport: asyncio.Transport) -> bytes:
        """The first byte waiting on the (paused) client socket, without reading it."""
        sock = transport.get_extra_info("socket")
        if sock is None:
            return b""
        loop = asyncio.get_running_loop()
        dup = socket.socket(fileno=os.dup(sock.fileno()))
        dup.setblocking(False)
        try:
            ready: asyncio.Future[None] = loop.create_future()

            def readable() -> None:
                if not ready.done():
                    ready.set_result(None)

            loop.add_reader(dup.fileno(), readable)
            try:
                await asyncio.wait_for(ready, self.options.open_timeout)
            except TimeoutError:
                return b""
            finally:
                loop.remove_reader(dup.fileno())
            try:
                return dup.recv(1, socket.MSG_PEEK)
            except OSError:
                return b""
        finally:
            dup.close()

    async def _tunnel(
        self,
        leg: Leg,
        client: str,
        request: HandshakeRequest,
        host: str,
        port: int,
        authority: str,
    ) -> None:
        """An excluded host: its bytes pass untouched, only counted."""
        conn = self._new_connection(
            client,
            f"tcp://{authority}",
            (f"opaque tunnel to {authority}: not intercepted",),
        )
        conn.tunnel = True
        conn.path = authority
        self._client_request(conn, request)
        try:
            dialed = await asyncio.wait_for(
                dial(host, port, proxy=self._upstream_proxy(host, port, True)),
                self.options.open_timeout,
            )
        except (ConnectError, TimeoutError) as exc:
            message = exc.message if isinstance(exc, ConnectError) else "timed out"
            self._refuse(conn, leg, 502, f"cannot reach {authority}: {message}", ErrorStep.TCP)
            return
        upstream = Leg()
        loop = asyncio.get_running_loop()
        await loop.create_connection(lambda: upstream, sock=dialed.sock)
        answer = b"HTTP/1.1 200 Connection Established\r\n\r\n"
        leg.write(answer)
        self._publish(conn, Direction.IN, HandshakeLeg.CLIENT, answer)
        conn.set_state(ConnectionState.OPEN, detail=f"opaque tunnel to {authority}")
        self._relay(conn, leg, upstream)

    # ----------------------------------------------------------- the proxy
    def _upstream_proxy(self, host: str, port: int, secure: bool) -> UpstreamProxy | None:
        return choose_proxy(self.options.proxy, host, port, secure=secure)

    def _publish(
        self,
        conn: ProxiedConnection,
        side: Direction,
        leg: HandshakeLeg,
        raw: bytes,
        **extra: object,
    ) -> None:
        start, headers = split_head(raw)
        conn.publish(
            HandshakeCaptured(conn.now(), side, raw, start, headers, leg=leg, **extra)  # type: ignore[arg-type]
        )

    def _client_request(
        self, conn: ProxiedConnection, request: HandshakeRequest | ParseFailure
    ) -> None:
        self._publish(
            conn, Direction.OUT, HandshakeLeg.CLIENT, request.raw, problems=request.problems
        )

    def _refuse(
        self,
        conn: ProxiedConnection,
        leg: Leg,
        status: int,
        reason: str,
        step: ErrorStep,
    ) -> None:
        """Answer the client with an error of ours and end the connection."""
        response = build_error_response(status, body=reason + "\n")
        leg.write(response)
        leg.close()
        self._publish(conn, Direction.IN, HandshakeLeg.CLIENT, response)
        conn.record_error(step, reason)
        conn.finish(reason)

    async def _proxy(
        self,
        conn: ProxiedConnection,
        leg: Leg,
        request: HandshakeRequest | ParseFailure,
        url: str,
    ) -> None:
        self._client_request(conn, request)
        if isinstance(request, ParseFailure):
            self._refuse(
                conn, leg, 400, f"the request cannot be read: {request.reason}", ErrorStep.HANDSHAKE
            )
            return
        try:
            target = parse_url(url)
        except ConnectError as exc:
            self._refuse(conn, leg, 502, f"bad upstream URL: {exc.message}", ErrorStep.URL)
            return
        conn.path = target.resource
        conn.set_state(ConnectionState.CONNECTING, detail=url)
        upstream = Leg()
        timings: list[tuple[str, float]] = []
        exchange: ProxyExchange | None = None
        step = ErrorStep.TCP
        try:
            async with asyncio.timeout(self.options.open_timeout):
                proxy = self._upstream_proxy(target.host, target.port, target.secure)
                step = ErrorStep.PROXY if proxy is not None else ErrorStep.TCP
                try:
                    dialed = await dial(target.host, target.port, proxy=proxy)
                except ConnectError as exc:
                    if exc.exchange is not None:
                        self._publish_connect(conn, exc.exchange)
                    raise
                exchange = dialed.exchange
                timings.extend(dialed.timings)
                ctx = make_ssl_context(self.options.tls) if target.secure else None
                step = ErrorStep.TLS if ctx else ErrorStep.TCP
                t = time.perf_counter()
                loop = asyncio.get_running_loop()
                try:
                    await loop.create_connection(
                        lambda: upstream,
                        sock=dialed.sock,
                        ssl=ctx,
                        server_hostname=(self.options.tls.server_hostname or target.host)
                        if ctx
                        else None,
                    )
                except ssl.SSLCertVerificationError as exc:
                    dialed.sock.close()
                    raise ConnectError(
                        ErrorStep.TLS,
                        f"the server's certificate was rejected: "
                        f"{exc.verify_message or exc.reason}",
                    ) from None
                except (ssl.SSLError, OSError) as exc:
                    dialed.sock.close()
                    raise ConnectError(step, f"TLS handshake failed: {exc}") from None
                if ctx is not None:
                    timings.append(("tls", time.perf_counter() - t))
                tls = (
                    _tls_info(upstream.transport, not self.options.tls.insecure)
                    if ctx and upstream.transport
                    else None
                )
                host_value = target.netloc if target.explicit_port else target.host
                if ":" in target.host and not target.explicit_port:
                    host_value = f"[{target.host}]"
                headers = request.headers
                if self.controls.armed:
                    headers, removed = without_deflate(headers)
                    if removed:
                        conn.publish(
                            InterventionCaptured(
                                conn.now(),
                                Direction.OUT,
                                Intervention.NOTE,
                                by="controls",
                                detail=DEFLATE_REMOVED,
                            )
                        )
                head = upstream_head(target.resource, headers, host_value)
                upstream.write(head)
                self._publish(conn, Direction.OUT, HandshakeLeg.UPSTREAM, head, via=exchange)
                step = ErrorStep.HANDSHAKE
                t = time.perf_counter()
                sent = parse_request(head)
                assert isinstance(sent, HandshakeRequest)
                response = await upstream.read_head(ResponseParser(sent))
                timings.append(("handshake", time.perf_counter() - t))
        except TimeoutError:
            upstream.abort()
            what = {
                ErrorStep.TCP: "connecting",
                ErrorStep.PROXY: "the upstream proxy",
                ErrorStep.TLS: "the TLS handshake",
                ErrorStep.HANDSHAKE: "the server's handshake response",
            }.get(step, str(step))
            message = f"timed out after {self.options.open_timeout:g} s waiting for {what}"
            self._refuse(conn, leg, 504, f"{url}: {message}", ErrorStep.TIMEOUT)
            return
        except ConnectError as exc:
            upstream.abort()
            self._refuse(conn, leg, 502, f"{url}: {exc.message}", exc.step)
            return
        if isinstance(response, ParseFailure):
            self._publish(
                conn,
                Direction.IN,
                HandshakeLeg.UPSTREAM,
                response.raw,
                problems=response.problems,
                timings=tuple(timings),
                tls=tls,
            )
            upstream.abort()
            self._refuse(conn, leg, 502, f"{url}: {response.reason}", ErrorStep.HANDSHAKE)
            return
        extensions = format_extensions(response.extensions) if response.extensions else None
        details: dict[str, object] = {
            "accept": response.accept_check,
            "problems": response.problems,
            "subprotocol": response.subprotocol,
            "extensions": extensions,
        }
        if response.status_code != 101:
            await self._pass_refusal(conn, leg, upstream, response, timings, tls, details)
            return
        self._publish(
            conn,
            Direction.IN,
            HandshakeLeg.UPSTREAM,
            response.raw,
            timings=tuple(timings),
            tls=tls,
            **details,
        )
        leg.write(response.raw)
        self._publish(conn, Direction.IN, HandshakeLeg.CLIENT, response.raw, **details)
        conn.open(negotiated_deflate(sent.extensions, response.extensions))
        leg.unread(request.trailing)
        upstream.unread(response.trailing)
        self._relay(conn, leg, upstream)

    def _publish_connect(self, conn: ProxiedConnection, exchange: ProxyExchange) -> None:
        """A CONNECT the user's proxy refused: its exchange, on an empty request."""
        conn.publish(
            HandshakeCaptured(
                conn.now(), Direction.OUT, b"", "", (), leg=HandshakeLeg.UPSTREAM, via=exchange
            )
        )

    async def _pass_refusal(
        self,
        conn: ProxiedConnection,
        leg: Leg,
        upstream: Leg,
        response: HandshakeResponse,
        timings: list[tuple[str, float]],
        tls: object,
        details: dict[str, object],
    ) -> None:
        """The server said no: its answer, body and all (bounded), goes to the client."""
        body = bytearray(response.trailing)
        length = response.header("content-length")
        wanted = (
            min(int(length), MAX_REFUSAL_BODY)
            if length is not None and length.strip().isdigit()
            else MAX_REFUSAL_BODY
        )
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(_REFUSAL_BODY_WAIT):
                while len(body) < wanted:
                    chunk = await upstream.read_some()
                    if not chunk:
                        break
                    body += chunk
        raw = response.raw + bytes(body[:MAX_REFUSAL_BODY])
        self._publish(
            conn,
            Direction.IN,
            HandshakeLeg.UPSTREAM,
            raw,
            timings=tuple(timings),
            tls=tls,
            **details,
        )
        leg.write(raw)
        leg.close()
        upstream.close()
        self._publish(conn, Direction.IN, HandshakeLeg.CLIENT, raw)
        status = f"{response.status_code} {response.reason}".strip()
        message = f"the server answered {status}, not 101 Switching Protocols; passed to the client"
        conn.record_error(ErrorStep.HANDSHAKE, message)
        conn.finish(message)

    # --------------------------------------------------------------- relay
    def _relay(self, conn: ProxiedConnection, client: Leg, upstream: Leg) -> None:
        self._legs.add(upstream)

        def done() -> None:
            self._legs.discard(client)
            self._legs.discard(upstream)

        relay(
            conn,
            client,
            upstream,
            close_timeout=self.options.close_timeout,
            done=done,
            controls=self.controls,
        )
