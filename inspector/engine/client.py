"""Client connections: URL -> DNS -> TCP -> TLS -> opening handshake -> frames.

Each step is timed and each failure says which step failed and why, in words a
person can act on (:class:`~inspector.engine.options.ConnectError`). Whatever was
captured before a failure stays in the connection's capture.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import ssl
import time
from collections.abc import Iterable

from ..capture.events import (
    ConnectionState,
    Direction,
    ErrorStep,
    HandshakeCaptured,
    ProxyExchange,
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
    split_head,
)
from ..protocol.headers import format_extensions
from ..protocol.violations import Rule, Violation
from .certificates import (
    FETCH_TIMEOUT,
    decode_certificate,
    fetch_unverified_certificate,
    peer_certificate,
    same_fingerprint,
)
from .connection import Connection
from .dial import UpstreamProxy, choose_proxy, dial
from .options import ConnectError, ConnectOptions, Target, TlsOptions, parse_url
from .publishing import Listener
from .refusal import Refusal

__all__ = ["MAX_REFUSAL_BODY", "connect", "make_ssl_context", "new_client_connection"]

log = logging.getLogger(__name__)

#: How much of the body of a refused upgrade (a status other than 101) is kept.
MAX_REFUSAL_BODY = 64 * 1024
#: How long to wait for the rest of that body once the status line is in.
_REFUSAL_BODY_WAIT = 1.0


def make_ssl_context(options: TlsOptions) -> ssl.SSLContext:
    try:
        ctx = ssl.create_default_context(cafile=options.cafile)
    except (OSError, ssl.SSLError) as exc:
        raise ConnectError(
            ErrorStep.TLS, f"cannot load CA file {options.cafile!r}: {exc}"
        ) from None
    if options.certfile:
        try:
            ctx.load_cert_chain(options.certfile, options.keyfile)
        except (OSError, ssl.SSLError) as exc:
            raise ConnectError(
                ErrorStep.TLS, f"cannot load client certificate {options.certfile!r}: {exc}"
            ) from None
    if options.insecure or options.pinned_sha256:
        # A pin replaces verification: the fingerprint is checked once the handshake
        # is done (_check_pin), and nothing else is accepted.
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    return ctx


def _tls_info(
    transport: asyncio.BaseTransport, verified: bool, pinned: bool = False
) -> TlsInfo | None:
    obj = transport.get_extra_info("ssl_object")
    if not isinstance(obj, ssl.SSLObject):
        return None
    cert = peer_certificate(obj)
    cipher = obj.cipher()
    return TlsInfo(
        version=obj.version() or "?",
        cipher=cipher[0] if cipher else "?",
        peer_subject=(cert.subject if cert else "") or "(unknown)",
        peer_issuer=cert.issuer if cert else "",
        not_after=cert.not_after if cert else "",
        verified=verified,
        alpn=obj.selected_alpn_protocol(),
        certificate=cert,
        pinned=pinned,
    )


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
    step = [ErrorStep.URL]
    try:
        async with asyncio.timeout(options.open_timeout):
            await _connect_steps(conn, url, options, step)
    except TimeoutError:
        what = {
            ErrorStep.DNS: "resolving the host name",
            ErrorStep.TCP: "the TCP connection",
            ErrorStep.TLS: "the TLS handshake",
            ErrorStep.HANDSHAKE: "the server's handshake response",
        }.get(step[0], str(step[0]))
        message = f"timed out after {options.open_timeout:g} s waiting for {what}"
        conn.record_error(ErrorStep.TIMEOUT, message)
        # CLOSED first: abort() then finds the state final and publishes no second one.
        conn.set_state(ConnectionState.CLOSED, clean=False, detail=message)
        conn.abort()
        raise ConnectError(ErrorStep.TIMEOUT, message) from None
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
    conn = Connection(
        Role.CLIENT,
        url,
        read_size=options.read_size,
        close_timeout=options.close_timeout,
        max_capture_bytes=options.max_capture_bytes,
    )
    if options.auto_pong and options.pong_delay is not None:
        conn.pong_delay = options.pong_delay
    return conn


async def _connect_steps(
    conn: Connection, url: str, options: ConnectOptions, step: list[ErrorStep]
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
        raise ConnectError(
            ErrorStep.HANDSHAKE, f"cannot build the opening handshake: {exc}"
        ) from None
    # Loaded before connecting too: a missing CA or certificate file leaves no socket open.
    ctx = make_ssl_context(options.tls) if target.secure else None

    # DNS, TCP, and the user's proxy if one applies (engine/dial.py).
    proxy = choose_proxy(options.proxy, target.host, target.port, secure=target.secure)
    dialed = await dial(
        target.host, target.port, proxy=proxy, timeout=options.open_timeout, step=step
    )
    sock = dialed.sock
    timings.extend(dialed.timings)

    if ctx is not None:
        step[0] = ErrorStep.TLS
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
        raise await _rejected_certificate(exc, options.tls, target, proxy) from None
    except (ssl.SSLError, OSError) as exc:
        sock.close()
        if ctx is not None and "WRONG_VERSION_NUMBER" in str(exc):
            raise ConnectError(
                ErrorStep.TLS,
                f"the server did not answer in TLS: it may be a plain ws:// server ({exc})",
            ) from None
        raise ConnectError(
            ErrorStep.TLS if ctx else ErrorStep.TCP,
            f"{'TLS handshake' if ctx else 'connection'} failed: {exc}",
        ) from None
    if ctx is not None:
        timings.append(("tls", time.perf_counter() - t))
    assert conn.transport is not None
    pinned = bool(options.tls.pinned_sha256)
    if ctx is not None and options.tls.pinned_sha256:
        _check_pin(conn.transport, options.tls.pinned_sha256)
    verified = not (options.tls.insecure or pinned)
    tls = _tls_info(conn.transport, verified, pinned) if ctx else None

    step[0] = ErrorStep.HANDSHAKE
    t = time.perf_counter()
    parser = ResponseParser(request)
    try:
        response = await _exchange(conn, parser, dialed.exchange)
    except asyncio.CancelledError:
        # Timed out (or cancelled) mid-response: keep what the server sent so far, as
        # for any other handshake failure.
        partial = parser.feed_timeout(time.perf_counter() - t)
        timings.append(("handshake", time.perf_counter() - t))
        _publish_handshake(conn, partial, timings, tls)
        raise
    timings.append(("handshake", time.perf_counter() - t))
    deflate: PerMessageDeflate | None = None
    if isinstance(response, HandshakeResponse) and response.ok:
        deflate, response = _negotiate_deflate(response, offer, options)
    _publish_handshake(conn, response, timings, tls)
    if isinstance(response, ParseFailure):
        raise ConnectError(ErrorStep.HANDSHAKE, response.reason)
    if response.status_code != 101:
        raise _refusal(response)
    if not response.ok:
        raise ConnectError(ErrorStep.HANDSHAKE, "; ".join(p.sentence for p in response.problems))

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
        conn.start_keepalive(
            options.keepalive_interval,
            timeout=options.ping_timeout,
            payload=options.ping_payload,
            fail_late=options.ping_late_fails,
        )


async def _rejected_certificate(
    exc: ssl.SSLCertVerificationError,
    options: TlsOptions,
    target: Target,
    proxy: UpstreamProxy | None,
) -> ConnectError:
    """The error for a certificate verification rejected, with that certificate
    (fetched by a second handshake, the same way there: see :mod:`.certificates`)."""
    why = exc.verify_message or exc.reason or str(exc)
    hostname = options.server_hostname or target.host
    unverified = make_ssl_context(dataclasses.replace(options, insecure=True))
    der = None
    try:
        async with asyncio.timeout(FETCH_TIMEOUT):
            again = await dial(target.host, target.port, proxy=proxy, timeout=FETCH_TIMEOUT)
            der = await fetch_unverified_certificate(again.sock, unverified, hostname)
    except (ConnectError, OSError, TimeoutError):
        log.debug("cannot connect again to fetch the rejected certificate", exc_info=True)
    certificate = decode_certificate(der) if der else None
    return ConnectError(
        ErrorStep.TLS,
        f"the server's certificate was rejected: {why} (use a CA file, trust this "
        "certificate for this connection, or skip verification only if you trust this "
        "network)",
        certificate=certificate,
    )


def _check_pin(transport: asyncio.BaseTransport, pin: str) -> None:
    """Accept the certificate only if it is the pinned one."""
    obj = transport.get_extra_info("ssl_object")
    der = obj.getpeercert(binary_form=True) if isinstance(obj, ssl.SSLObject) else None
    if der and same_fingerprint(pin, der):
        return
    certificate = decode_certificate(der) if der else None
    got = f", got {certificate.sha256}" if certificate else ", and it sent none"
    raise ConnectError(
        ErrorStep.TLS,
        f"the server's certificate is not the one trusted for this connection (SHA-256 {pin}{got})",
        certificate=certificate,
    )


def _negotiate_deflate(
    response: HandshakeResponse, offer: DeflateOffer | None, options: ConnectOptions
) -> tuple[PerMessageDeflate | None, HandshakeResponse]:
    """The permessage-deflate state the response agrees to, or the response with the
    negotiation's problem added (RFC 7692 section 7: the client fails the connection)."""
    for name, params in response.extensions:
        if name == "permessage-deflate" and offer is not None:
            try:
                negotiated = negotiate_client(offer, (name, params))
            except DeflateError as exc:
                problem = Violation(Rule.DEFLATE_NEGOTIATION, exc.reason)
                return None, dataclasses.replace(response, problems=(problem,))
            return PerMessageDeflate(
                negotiated, Role.CLIENT, max_inflated_size=options.max_message_size
            ), response
    return None, response


def _refusal(response: HandshakeResponse) -> ConnectError:
    """The error for an upgrade the server refused: its one-line reason, status and body."""
    refusal = Refusal.from_response(response)
    return ConnectError(
        ErrorStep.HANDSHAKE,
        refusal.sentence,
        status=response.status_code,
        body=response.trailing,
        refusal=refusal,
    )


def _body_wanted(response: HandshakeResponse) -> int:
    """How many body bytes of a refusal to wait for (bounded): its Content-Length, or
    everything until the server closes."""
    length = response.header("content-length")
    if length is not None and length.strip().isdigit():
        return min(int(length), MAX_REFUSAL_BODY)
    return MAX_REFUSAL_BODY


async def _exchange(
    conn: Connection, parser: ResponseParser, via: ProxyExchange | None = None
) -> HandshakeResponse | ParseFailure:
    loop = asyncio.get_running_loop()
    done: asyncio.Future[HandshakeResponse | ParseFailure] = loop.create_future()
    body_done: asyncio.Future[None] = loop.create_future()
    request = parser.request
    assert isinstance(request, ClientRequest)
    # Reads that come after the response but before this coroutine resumes (TLS
    # schedules its next read ahead of our wake-up when a read fills the buffer):
    # frames, which must reach the frame parser like the response's trailing bytes;
    # or, after a refusal, more of its body.
    late: list[bytes] = []
    wanted = [MAX_REFUSAL_BODY]

    def body_complete() -> None:
        if not body_done.done() and sum(map(len, late)) >= wanted[0]:
            body_done.set_result(None)

    def on_data(data: bytes) -> None:
        if done.done():
            late.append(data)
            body_complete()
            return
        result = parser.feed(data)
        if result is not None:
            done.set_result(result)

    def on_eof() -> None:
        if not done.done():
            done.set_result(parser.feed_eof())
        if not body_done.done():
            body_done.set_result(None)

    conn._on_handshake_data = on_data
    conn._on_handshake_eof = on_eof
    assert conn.transport is not None
    conn.transport.write(request.raw)
    start, headers = split_head(request.raw)
    conn.publish(HandshakeCaptured(conn.now(), Direction.OUT, request.raw, start, headers, via=via))
    try:
        response = await done
        if isinstance(response, HandshakeResponse) and response.status_code != 101:
            # A refusal's body says why (an HTML error page, a JSON error): keep it,
            # bounded, waiting a little for the rest of it.
            wanted[0] = max(0, _body_wanted(response) - len(response.trailing))
            body_complete()
            try:
                await asyncio.wait_for(asyncio.shield(body_done), _REFUSAL_BODY_WAIT)
            except TimeoutError:
                log.debug("the refusal's body did not end within %g s", _REFUSAL_BODY_WAIT)
            body = (response.trailing + b"".join(late))[:MAX_REFUSAL_BODY]
            return dataclasses.replace(response, trailing=body)
    finally:
        conn._on_handshake_data = None
        conn._on_handshake_eof = None
    if late and isinstance(response, HandshakeResponse):
        response = dataclasses.replace(response, trailing=response.trailing + b"".join(late))
    return response


def _publish_handshake(
    conn: Connection,
    response: HandshakeResponse | ParseFailure,
    timings: list[tuple[str, float]],
    tls: TlsInfo | None,
) -> None:
    if isinstance(response, ParseFailure):
        start, headers = split_head(response.raw)
        conn.publish(
            HandshakeCaptured(
                conn.now(),
                Direction.IN,
                response.raw,
                start,
                headers,
                problems=response.problems,
                timings=tuple(timings),
                tls=tls,
            )
        )
        return
    start = f"HTTP/{response.http_version} {response.status_code} {response.reason}".rstrip()
    # A refusal's body is kept after its head, so that the capture shows it.
    raw = response.raw + response.trailing if response.status_code != 101 else response.raw
    conn.publish(
        HandshakeCaptured(
            conn.now(),
            Direction.IN,
            raw,
            start,
            tuple(response.headers),
            accept=response.accept_check,
            problems=response.problems,
            subprotocol=response.subprotocol,
            extensions=format_extensions(response.extensions) if response.extensions else None,
            timings=tuple(timings),
            tls=tls,
        )
    )
