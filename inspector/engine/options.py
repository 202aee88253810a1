"""What a user can set on a connection, and the URL it goes to."""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from ..capture.events import ErrorStep, PeerCertificate, ProxyExchange
from ..capture.store import DEFAULT_MAX_CAPTURE_BYTES
from ..protocol.constants import DEFAULT_MAX_FRAME_SIZE, DEFAULT_MAX_MESSAGE_SIZE

if TYPE_CHECKING:
    from .refusal import Refusal

__all__ = [
    "GENERATED_HEADERS",
    "ConnectError",
    "ConnectOptions",
    "Target",
    "TlsOptions",
    "capture_command",
    "options_from_request",
    "parse_listen_address",
    "parse_url",
]


class ConnectError(Exception):
    """A connection could not be made or went wrong: ``step`` says where and the
    message says why, plainly, in one line.

    When the server answered the upgrade with something other than 101, ``status`` is
    its status code, ``body`` the first bytes of the body it sent (bounded) and
    ``refusal`` what it said in parts (the message is its sentence). When the
    server's certificate was rejected (or was not the pinned one), ``certificate`` is
    that certificate, so that the user can see it and pin it. A failed upstream proxy
    ``CONNECT`` keeps its ``exchange``.
    """

    def __init__(
        self,
        step: ErrorStep | str,
        message: str,
        *,
        status: int | None = None,
        body: bytes = b"",
        refusal: Refusal | None = None,
        certificate: PeerCertificate | None = None,
        exchange: ProxyExchange | None = None,
    ) -> None:
        super().__init__(message)
        self.exchange = exchange
        self.step = ErrorStep(step)
        self.message = message
        self.status = status
        self.body = body
        self.refusal = refusal
        self.certificate = certificate

    def __str__(self) -> str:
        return f"{self.step}: {self.message}"


@dataclass(frozen=True, slots=True)
class Target:
    """A parsed ``ws://`` or ``wss://`` URL."""

    url: str
    secure: bool
    host: str  # without brackets for IPv6
    port: int
    resource: str  # path and query, at least "/"
    explicit_port: bool

    @property
    def netloc(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"


def parse_url(url: str) -> Target:
    """Parse and check a WebSocket URL (RFC 6455 section 3); raise ConnectError("url")."""
    text = url.strip()
    if not text:
        raise ConnectError(ErrorStep.URL, "no URL given")
    if "://" not in text:
        raise ConnectError(
            ErrorStep.URL, f"{text!r} has no scheme: write ws://{text} or wss://{text}"
        )
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError as exc:
        raise ConnectError(ErrorStep.URL, f"{text!r} is not a valid URL: {exc}") from None
    scheme = parts.scheme.lower()
    if scheme in ("http", "https"):
        raise ConnectError(
            ErrorStep.URL,
            f"scheme {scheme}:// is HTTP; a WebSocket URL starts with "
            f"{'wss' if scheme == 'https' else 'ws'}://",
        )
    if scheme not in ("ws", "wss"):
        raise ConnectError(ErrorStep.URL, f"unknown scheme {scheme!r}: use ws:// or wss://")
    if parts.fragment or "#" in text:
        raise ConnectError(ErrorStep.URL, "a WebSocket URL must not have a #fragment (RFC 6455 §3)")
    host = parts.hostname
    if not host:
        raise ConnectError(ErrorStep.URL, f"{text!r} has no host")
    if any(ch.isspace() or ord(ch) < 0x20 or ord(ch) == 0x7F for ch in host):
        raise ConnectError(
            ErrorStep.URL,
            f"{host!r} is not a valid host name: it contains white space or control characters",
        )
    if "[" in parts.netloc:
        try:
            ipaddress.IPv6Address(host.split("%", 1)[0])
        except ValueError:
            raise ConnectError(ErrorStep.URL, f"{host!r} is not a valid IPv6 address") from None
    if parts.username or parts.password:
        raise ConnectError(
            ErrorStep.URL,
            "credentials in the URL are not sent by WebSocket clients; "
            "add an Authorization header instead",
        )
    secure = scheme == "wss"
    resource = parts.path or "/"
    if parts.query:
        resource += "?" + parts.query
    if any(ch.isspace() for ch in resource):
        raise ConnectError(ErrorStep.URL, "the path contains white space; percent-encode it")
    if not all(0x21 <= ord(ch) <= 0x7E for ch in resource):
        raise ConnectError(
            ErrorStep.URL, "the path contains non-ASCII or control characters; percent-encode them"
        )
    return Target(
        url=text,
        secure=secure,
        host=host,
        port=port if port is not None else (443 if secure else 80),
        resource=resource,
        explicit_port=port is not None,
    )


def parse_listen_address(text: str) -> tuple[str, int]:
    """Where to listen: ``HOST:PORT``, ``[::1]:PORT``, ``:PORT`` or a bare ``PORT``
    (host 127.0.0.1; port 0 picks a free one). Raises ValueError saying what is
    wrong, in words for a person (the CLI's --listen and the GUI's dialogs both
    read it this way)."""
    text = text.strip()
    if not text:
        raise ValueError("give an address to listen on, such as 127.0.0.1:8080 (port 0: any)")
    if text.isdigit():
        text = f"127.0.0.1:{text}"
    try:
        parts = urlsplit("//" + text)
        port = parts.port
    except ValueError:
        raise ValueError(f"{text!r}: the port must be a number from 0 to 65535") from None
    if port is None:
        raise ValueError(f"{text!r} has no port (HOST:PORT; port 0 picks a free one)")
    return parts.hostname or "127.0.0.1", port


@dataclass(frozen=True, slots=True)
class TlsOptions:
    cafile: str | None = None  # trust this CA bundle instead of the system store
    certfile: str | None = None  # client certificate (PEM)
    keyfile: str | None = None  # its key, when not in certfile
    insecure: bool = False  # skip certificate and host name verification (dangerous)
    server_hostname: str | None = None  # SNI / name to verify, when not the URL's host
    #: Accept exactly the certificate with this SHA-256 fingerprint (hex, colons
    #: optional) instead of verifying it: "trust this certificate for this
    #: connection". Any other certificate fails the connection.
    pinned_sha256: str | None = None


@dataclass(frozen=True, slots=True)
class ConnectOptions:
    headers: Sequence[tuple[str, str]] = ()  # extra request headers, in the user's order
    subprotocols: Sequence[str] = ()
    deflate: bool = True  # offer permessage-deflate
    origin: str | None = None
    open_timeout: float = 10.0  # DNS + TCP + TLS + handshake
    close_timeout: float = 5.0
    max_message_size: int | None = DEFAULT_MAX_MESSAGE_SIZE
    max_frame_size: int | None = DEFAULT_MAX_FRAME_SIZE
    #: Payload bytes one session's capture keeps in full; past it, frames keep their
    #: headers and the first 4 KiB (None: no budget).
    max_capture_bytes: int | None = DEFAULT_MAX_CAPTURE_BYTES
    #: Pong policy: answer each ping at once (the default), never (auto_pong off),
    #: or ``pong_delay`` seconds late (tests a server's idle timeout and ping deadline).
    auto_pong: bool = True
    #: On a connection an Engine.IO server opened (Socket.IO), answer its pings ("2")
    #: with pongs ("3"), or it drops the client after its ping timeout. An application
    #: protocol's, so not the engine's: the window's session does it (gui.session).
    engineio_pongs: bool = True
    pong_delay: float | None = None
    keepalive_interval: float | None = None  # seconds between pings that measure RTT
    #: A keepalive ping's pong later than this is late: it fails the connection when
    #: ``ping_late_fails``, else it is noted in the capture (None: no deadline).
    ping_timeout: float | None = None
    ping_late_fails: bool = True
    ping_payload: bytes = b""  # every keepalive ping's payload (empty: ka-1, ka-2...)
    strict: bool = False  # fail the connection on the first violation
    tls: TlsOptions = field(default_factory=TlsOptions)
    read_size: int = 64 * 1024  # bytes per socket read; smaller keeps a GUI smoother
    #: The user's proxy for the connection (http:// CONNECT or socks5://): None reads
    #: https_proxy/http_proxy/all_proxy/no_proxy from the environment, "" goes direct.
    proxy: str | None = None


# ------------------------------------------------- the same connection, again
#: Request headers a client makes itself (and a browser adds): never given as ``-H``.
GENERATED_HEADERS = frozenset(
    {
        "host",
        "upgrade",
        "connection",
        "sec-websocket-key",
        "sec-websocket-version",
        "sec-websocket-protocol",
        "sec-websocket-extensions",
        "origin",
        "content-length",
        "user-agent",
    }
)

_MIB = 2**20


def _option(flag: str, value: str) -> list[str]:
    # A value that starts with "-" would be read as an option: glue it to its flag.
    return [f"{flag}={value}"] if value.startswith("-") else [flag, value]


def capture_command(url: str, options: ConnectOptions | None = None) -> list[str]:
    """The arguments of ``ws-inspector capture`` that make the same connection as
    ``options`` do: headers, subprotocols, deflate, Origin, proxy, TLS files, timeout,
    strictness, automatic pongs and the capture budget, each only when it is not the
    default. Options the command line has no flag for (frame and message limits,
    keepalive, close timeout, the TLS server name) are left out. Quote the list with
    :func:`shlex.join` to show it as a shell command."""
    o = options or ConnectOptions()
    default = ConnectOptions()
    args = ["ws-inspector", "capture", url]
    for name, value in o.headers:
        header = f"{name}: {value}"
        args += [f"--header={header}"] if header.startswith("-") else ["-H", header]
    for protocol in o.subprotocols:
        args += _option("--subprotocol", protocol)
    if not o.deflate:
        args.append("--no-deflate")
    if o.origin is not None:
        args += _option("--origin", o.origin)
    if o.proxy is not None:
        args += _option("--proxy", o.proxy)
    tls = o.tls
    if tls.insecure:
        args.append("--insecure")
    for flag, path in (("--cacert", tls.cafile), ("--cert", tls.certfile), ("--key", tls.keyfile)):
        if path:
            args += _option(flag, path)
    if o.open_timeout != default.open_timeout:
        args += ["--timeout", repr(float(o.open_timeout))]
    if o.strict:
        args.append("--strict")
    if not o.auto_pong:
        args.append("--no-auto-pong")
    if o.max_capture_bytes is not None and o.max_capture_bytes != default.max_capture_bytes:
        args += ["--max-capture", repr(o.max_capture_bytes / _MIB)]
    return args


def options_from_request(headers: Sequence[tuple[str, str]]) -> ConnectOptions:
    """How a captured opening request connected, as far as its headers say: the
    extra headers, the offered subprotocols, Origin, and whether permessage-deflate
    was offered (for a capture read from a file, whose options are not known)."""
    extra: list[tuple[str, str]] = []
    protocols: list[str] = []
    origin: str | None = None
    deflate = False
    for name, value in headers:
        low = name.lower()
        if low == "sec-websocket-protocol":
            protocols += [p.strip() for p in value.split(",") if p.strip()]
        elif low == "sec-websocket-extensions":
            deflate = deflate or "permessage-deflate" in value.lower()
        elif low == "origin":
            origin = value
        elif low not in GENERATED_HEADERS:
            extra.append((name, value))
    return ConnectOptions(
        headers=tuple(extra), subprotocols=tuple(protocols), deflate=deflate, origin=origin
    )
