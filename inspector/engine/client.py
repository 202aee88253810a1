"""Client connections: URL -> DNS -> TCP -> TLS -> opening handshake -> frames.

Each step is timed and each failure says which step failed and why, in words a
person can act on (:class:`~inspector.engine.options.ConnectError`). Whatever was
captured before a failure stays in the connection's capture.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import errno
import logging
import os
import socket
import ssl
import tempfile
import time
from collections.abc import Iterable
from typing import Any

from ..capture.events import (
    AcceptCheck,
    ConnectionState,
    Direction,
    HandshakeCaptured,
    TlsInfo,
)
from ..protocol.connection import Protocol
from ..protocol.constants import Role
from ..protocol.deflate import DeflateError, DeflateOffer, PerMessageDeflate, negotiate_client
from ..protocol.handshake import (
    ClientRequest,
    HandshakeResponse,
    ParseFailure,
    ResponseParser,
    build_client_request,
    derive_accept,
    split_head,
)
from ..protocol.headers import format_extensions
from ..protocol.violations import Rule, Violation
from .connection import Connection, Listener
from .options import ConnectError, ConnectOptions, Target, TlsOptions, parse_url

__all__ = ["connect", "make_ssl_context"]

log = logging.getLogger("inspector.engine.client")


def make_ssl_context(options: TlsOptions) -> ssl.SSLContext:
    try:
        ctx = ssl.create_default_context(cafile=options.cafile)
    except (OSError, ssl.SSLError) as exc:
        raise ConnectError("tls", f"cannot load CA file {options.cafile!r}: {exc}") from None
    if options.certfile:
        try:
            ctx.load_cert_chain(options.certfile, options.keyfile)
        except (OSError, ssl.SSLError) as exc:
            raise ConnectError(
                "tls", f"cannot load client certificate {options.certfile!r}: {exc}"
            ) from None
    if options.insecure:
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    return ctx


def _decode_unverified(der: bytes | None) -> dict[str, Any]:
    """The fields of a certificate Python would not decode because it was not verified.

    ``getpeercert()`` is empty without verification, yet someone testing a server with a
    self-signed certificate wants to see its subject and expiry most of all. The
    standard library's decoder is private API, so any failure just shows nothing.
    """
    decode = getattr(getattr(ssl, "_ssl", None), "_test_decode_cert", None)
    if not der or decode is None:
        return {}
    path = None
    try:
        with tempfile.NamedTemporaryFile("w", suffix=".pem", delete=False) as f:
            f.write(ssl.DER_cert_to_PEM_cert(der))
            path = f.name
        decoded = decode(path)
        return decoded if isinstance(decoded, dict) else {}
    except Exception:  # a certificate we cannot read is shown as unknown, nothing worse
        return {}
    finally:
        if path is not None:
            with contextlib.suppress(OSError):
                os.unlink(path)


def _tls_info(transport: asyncio.BaseTransport, verified: bool) -> TlsInfo | None:
    obj = transport.get_extra_info("ssl_object")
    if not isinstance(obj, ssl.SSLObject):
        return None
    cert: dict[str, Any] = dict(obj.getpeercert() or {})
    if not cert:
        cert = _decode_unverified(obj.getpeercert(binary_form=True))

    def name(field: str) -> str:
        parts = cert.get(field, ())
        return ", ".join(f"{k}={v}" for rdn in parts for (k, v) in rdn)

    cipher = obj.cipher()
    return TlsInfo(
        version=obj.version() or "?",
        cipher=cipher[0] if cipher else "?",
        peer_subject=name("subject") or "(unknown)",
        peer_issuer=name("issuer"),
        not_after=str(cert.get("notAfter", "")),
        verified=verified,
        alpn=obj.selected_alpn_protocol(),
    )


def _describe_os_error(exc: OSError, target: Target, address: str) -> str:
    if isinstance(exc, ConnectionRefusedError) or exc.errno == errno.ECONNREFUSED:
        return f"connection to {address} refused: nothing is listening on port {target.port}"
    if exc.errno in (errno.ENETUNREACH, errno.EHOSTUNREACH):
        return f"{address} is unreachable: {exc.strerror}"
    return f"cannot connect to {address}: {exc.strerror or exc}"


async def connect(
    url: str,
    options: ConnectOptions | None = None,
    *,
    listeners: Iterable[Listener] = (),
    connection: Connection | None = None,
) -> Connection:
    """Open a client connection; raise :class:`ConnectError` if any step fails.

    Pass ``connection`` (made with :func:`new_client_connection`) to watch the
    events from the very first one, and to keep its capture if connecting fails.
    """
    options = options or ConnectOptions()
    conn = connection or new_client_connection(url, options)
    for listener in listeners:
        conn.subscribe(listener)
    step = ["url"]
    try:
        async with asyncio.timeout(options.open_timeout):
            await _connect_steps(conn, url, options, step)
    except TimeoutError:
        what = {
            "dns": "resolving the host name",
            "tcp": "the TCP connection",
            "tls": "the TLS handshake",
            "handshake": "the server's handshake response",
        }.get(step[0], step[0])
        message = f"timed out after {options.open_timeout:g} s waiting for {what}"
        conn.record_error("timeout", message)
        # CLOSED first: abort() then finds the state final and publishes no second one.
        conn.set_state(ConnectionState.CLOSED, clean=False, detail=message)
        conn.abort()
        raise ConnectError("timeout", message) from None
    except ConnectError as exc:
        conn.record_error(exc.step, exc.message)
        conn.set_state(ConnectionState.CLOSED, clean=False, detail=exc.message)
        conn.abort()
        raise
    except BaseException:  # cancelled, or a bug: never leave the socket open
        conn.abort()
        raise
    return conn


def new_client_connection(url: str, options: ConnectOptions | None = None) -> Connection:
    options = options or ConnectOptions()
    return Connection(
        Role.CLIENT, url, read_size=options.read_size, close_timeout=options.close_timeout
    )


async def _connect_steps(
    conn: Connection, url: str, options: ConnectOptions, step: list[str]
) -> None:
    loop = asyncio.get_running_loop()
    conn.set_state(ConnectionState.CONNECTING, detail=url)
    target = parse_url(url)
    timings: list[tuple[str, float]] = []
    # Built before connecting, so that options it cannot send fail without a socket.
    offer = DeflateOffer() if options.deflate else None
    try:
        request = build_client_request(
            target.host,
            target.port if target.explicit_port else None,
            target.resource,
            secure=target.secure,
            origin=options.origin,
            subprotocols=tuple(options.subprotocols),
            extensions=[offer.to_extension()] if offer else (),
            extra_headers=tuple(options.headers),
        )
    except ValueError as exc:
        raise ConnectError("handshake", f"cannot build the opening handshake: {exc}") from None
    # Loaded before connecting too: a missing CA or certificate file leaves no socket open.
    ctx = make_ssl_context(options.tls) if target.secure else None

    step[0] = "dns"
    t = time.perf_counter()
    try:
        infos = await loop.getaddrinfo(
            target.host, target.port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP
        )
    except socket.gaierror as exc:
        raise ConnectError("dns", f"cannot resolve host {target.host!r}: {exc.strerror}") from None
    timings.append(("dns", time.perf_counter() - t))
    if not infos:
        raise ConnectError("dns", f"host {target.host!r} has no address")

    step[0] = "tcp"
    t = time.perf_counter()
    sock: socket.socket | None = None
    errors: list[str] = []
    for family, type_, proto, _, sockaddr in infos:
        host = str(sockaddr[0])
        address = (
            f"[{host}]:{target.port}" if family == socket.AF_INET6 else f"{host}:{target.port}"
        )
        candidate = socket.socket(family, type_, proto)
        candidate.setblocking(False)
        try:
            await loop.sock_connect(candidate, sockaddr)
        except OSError as exc:
            candidate.close()
            errors.append(_describe_os_error(exc, target, address))
            continue
        except BaseException:
            candidate.close()
            raise
        sock = candidate
        break
    if sock is None:
        raise ConnectError("tcp", "; ".join(dict.fromkeys(errors)))
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    timings.append(("tcp", time.perf_counter() - t))

    if ctx is not None:
        step[0] = "tls"
    t = time.perf_counter()
    try:
        await loop.create_connection(
            lambda: conn,
            sock=sock,
            ssl=ctx,
            server_hostname=(options.tls.server_hostname or target.host) if ctx else None,
            ssl_handshake_timeout=options.open_timeout if ctx else None,
        )
    except ssl.SSLCertVerificationError as exc:
        sock.close()
        raise ConnectError(
            "tls",
            f"the server's certificate was rejected: {exc.verify_message or exc.reason}"
            " (use a CA file, or skip verification only if you trust this network)",
        ) from None
    except (ssl.SSLError, OSError) as exc:
        sock.close()
        if ctx is not None and "WRONG_VERSION_NUMBER" in str(exc):
            raise ConnectError(
                "tls",
                f"the server did not answer in TLS: it may be a plain ws:// server ({exc})",
            ) from None
        raise ConnectError(
            "tls" if ctx else "tcp", f"{'TLS handshake' if ctx else 'connection'} failed: {exc}"
        ) from None
    if ctx is not None:
        timings.append(("tls", time.perf_counter() - t))
    assert conn.transport is not None
    tls = _tls_info(conn.transport, not options.tls.insecure) if ctx else None

    step[0] = "handshake"
    t = time.perf_counter()
    response = await _exchange(conn, request)
    timings.append(("handshake", time.perf_counter() - t))
    _publish_handshake(conn, request, response, timings, tls)
    if isinstance(response, ParseFailure):
        raise ConnectError("handshake", response.reason)
    if not response.ok:
        status = f"{response.status_code} {response.reason}".strip()
        first = response.problems[0]
        if response.status_code != 101:
            body = response.trailing[:200].decode("utf-8", "replace").strip()
            more = f"; body: {body}" if body else ""
            raise ConnectError("handshake", f"the server answered {status}{more}. {first}")
        raise ConnectError("handshake", "; ".join(response.problems))

    deflate: PerMessageDeflate | None = None
    for name, params in response.extensions:
        if name == "permessage-deflate" and offer is not None:
            try:
                negotiated = negotiate_client(offer, (name, params))
            except DeflateError as exc:
                raise ConnectError("handshake", str(exc)) from None
            deflate = PerMessageDeflate(
                negotiated, Role.CLIENT, max_inflated_size=options.max_message_size
            )
    protocol = Protocol(
        Role.CLIENT,
        strict=options.strict,
        max_frame_size=options.max_frame_size,
        max_message_size=options.max_message_size,
        deflate=deflate,
        auto_pong=options.auto_pong,
        defer_failure_close=True,
    )
    conn.open(protocol, response.trailing)
    if options.keepalive_interval:
        conn.start_keepalive(options.keepalive_interval)


async def _exchange(conn: Connection, request: ClientRequest) -> HandshakeResponse | ParseFailure:
    loop = asyncio.get_running_loop()
    done: asyncio.Future[HandshakeResponse | ParseFailure] = loop.create_future()
    parser = ResponseParser(request)
    # Reads that come after the response but before this coroutine resumes (TLS
    # schedules its next read ahead of our wake-up when a read fills the buffer):
    # frames, which must reach the frame parser like the response's trailing bytes.
    late: list[bytes] = []

    def on_data(data: bytes) -> None:
        if done.done():
            late.append(data)
            return
        result = parser.feed(data)
        if result is not None:
            done.set_result(result)

    def on_eof() -> None:
        if not done.done():
            done.set_result(parser.feed_eof())

    conn._on_handshake_data = on_data
    conn._on_handshake_eof = on_eof
    assert conn.transport is not None
    conn.transport.write(request.raw)
    start, headers = split_head(request.raw)
    conn.publish(HandshakeCaptured(conn.now(), Direction.OUT, request.raw, start, headers))
    try:
        response = await done
    finally:
        conn._on_handshake_data = None
        conn._on_handshake_eof = None
    if late and isinstance(response, HandshakeResponse):
        response = dataclasses.replace(response, trailing=response.trailing + b"".join(late))
    return response


def _publish_handshake(
    conn: Connection,
    request: ClientRequest,
    response: HandshakeResponse | ParseFailure,
    timings: list[tuple[str, float]],
    tls: TlsInfo | None,
) -> None:
    raw = response.raw
    if isinstance(response, ParseFailure):
        start, headers = split_head(raw)
        conn.publish(
            HandshakeCaptured(
                conn.now(),
                Direction.IN,
                raw,
                start,
                headers,
                problems=(Violation(Rule.HANDSHAKE_INVALID, response.reason),),
                timings=tuple(timings),
                tls=tls,
            )
        )
        return
    derivation = derive_accept(request.key)
    check = response.accept_check
    accept = AcceptCheck(
        key=request.key,
        expected=derivation.accept,
        received=check.received,
        ok=check.ok,
        concatenated=derivation.concatenated,
        sha1_hex=derivation.sha1_hex,
    )
    start = f"HTTP/{response.http_version} {response.status_code} {response.reason}".rstrip()
    conn.publish(
        HandshakeCaptured(
            conn.now(),
            Direction.IN,
            raw,
            start,
            tuple(response.headers),
            accept=accept,
            problems=tuple(Violation(Rule.HANDSHAKE_INVALID, p) for p in response.problems),
            subprotocol=response.subprotocol,
            extensions=format_extensions(response.extensions) if response.extensions else None,
            timings=tuple(timings),
            tls=tls,
        )
    )
