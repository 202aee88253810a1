"""Opening an outgoing TCP connection, directly or through the user's own proxy.

One function, :func:`dial`, is the way every outgoing connection starts (client
connections, ``capture``, and the proxy's upstream side): it resolves the host,
connects, and when a proxy is configured, asks it for a tunnel, with an HTTP
``CONNECT`` (the exchange is kept byte for byte so the handshake pane can show it) or
with SOCKS5 (the ``python-socks`` package). The proxy comes from ``--proxy URL`` or the
usual environment variables (:func:`proxy_from_env`).

:func:`tls_keylog` makes a TLS context honour ``SSLKEYLOGFILE`` so that Wireshark can
decrypt the same traffic; :func:`ssl.create_default_context` already does, a server
context made by hand does not.
"""

from __future__ import annotations

import asyncio
import base64
import errno
import ipaddress
import os
import socket
import ssl
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from ..capture.events import ErrorStep, ProxyExchange
from .options import ConnectError

__all__ = [
    "MAX_CONNECT_RESPONSE",
    "Dialed",
    "UpstreamProxy",
    "choose_proxy",
    "dial",
    "parse_proxy_url",
    "proxy_from_env",
    "tls_keylog",
]

#: The largest answer to a CONNECT we read (a proxy's error page is cut there).
MAX_CONNECT_RESPONSE = 64 * 1024

_SCHEMES = {"http": 8080, "socks5": 1080, "socks5h": 1080}


@dataclass(frozen=True, slots=True)
class UpstreamProxy:
    """The user's proxy for outgoing connections: ``http`` (CONNECT) or ``socks5``."""

    scheme: str  # "http", "socks5" or "socks5h" (the proxy resolves the name)
    host: str
    port: int
    username: str | None = None
    password: str | None = None

    @property
    def address(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"

    @property
    def url(self) -> str:
        return f"{self.scheme}://{self.address}"


@dataclass(frozen=True, slots=True)
class Dialed:
    """A connected, non-blocking socket, the proxy exchange that made it, and how long
    the steps took (``dns``, ``proxy``, ``tcp``)."""

    sock: socket.socket
    exchange: ProxyExchange | None
    timings: tuple[tuple[str, float], ...]


def parse_proxy_url(url: str) -> UpstreamProxy:
    """``http://[user:pass@]host:port`` or ``socks5://...``; raise ConnectError(proxy)."""
    text = url.strip()
    if "://" not in text:
        text = "http://" + text  # what curl and the environment variables assume
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError as exc:
        raise ConnectError(ErrorStep.PROXY, f"proxy {url!r} is not a valid URL: {exc}") from None
    scheme = parts.scheme.lower()
    if scheme == "https":
        raise ConnectError(
            ErrorStep.PROXY, "an https:// proxy (TLS to the proxy itself) is not supported"
        )
    if scheme == "socks":
        scheme = "socks5"
    if scheme not in _SCHEMES:
        raise ConnectError(
            ErrorStep.PROXY,
            f"unknown proxy scheme {scheme!r}: use http://, socks5:// or socks5h://",
        )
    if not parts.hostname:
        raise ConnectError(ErrorStep.PROXY, f"proxy {url!r} has no host")
    return UpstreamProxy(
        scheme,
        parts.hostname,
        port if port is not None else _SCHEMES[scheme],
        unquote(parts.username) if parts.username else None,
        unquote(parts.password) if parts.password else None,
    )


def _bypassed(host: str, port: int, no_proxy: str) -> bool:
    """``no_proxy`` names the host (a suffix match, as curl does), or is ``*``; loopback
    is never proxied (as browsers do): a local test server stays local."""
    try:
        if ipaddress.ip_address(host).is_loopback:
            return True
    except ValueError:
        if host.lower() == "localhost":
            return True
    name = host.lower().strip("[]")
    for item in (part.strip().lower() for part in no_proxy.split(",")):
        if not item:
            continue
        if item == "*":
            return True
        entry, _, entry_port = item.partition(":") if item.count(":") == 1 else (item, "", "")
        if entry_port and entry_port != str(port):
            continue
        entry = entry.lstrip(".")
        if name == entry or name.endswith("." + entry):
            return True
        try:
            if ipaddress.ip_address(name) in ipaddress.ip_network(entry, strict=False):
                return True
        except ValueError:
            pass
    return False


def proxy_from_env(
    host: str, port: int, *, secure: bool, environ: Mapping[str, str] | None = None
) -> UpstreamProxy | None:
    """The proxy the environment asks for to reach ``host``: ``https_proxy`` for
    wss://, ``http_proxy`` for ws://, else ``all_proxy``; none when ``no_proxy``
    names the host (lower-case names first, as curl reads them)."""
    env = os.environ if environ is None else environ

    def get(name: str) -> str:
        return env.get(name) or env.get(name.upper()) or ""

    url = get("https_proxy" if secure else "http_proxy") or get("all_proxy")
    if not url or _bypassed(host, port, get("no_proxy")):
        return None
    return parse_proxy_url(url)


def tls_keylog(ctx: ssl.SSLContext) -> ssl.SSLContext:
    """Log the context's TLS secrets to ``SSLKEYLOGFILE``, when it is set (Wireshark's
    key log format), as :func:`ssl.create_default_context` does for its own."""
    path = os.environ.get("SSLKEYLOGFILE")
    if path and not sys.flags.ignore_environment and hasattr(ctx, "keylog_filename"):
        ctx.keylog_filename = path
    return ctx


def _describe(exc: OSError, what: str, port: int) -> str:
    if isinstance(exc, ConnectionRefusedError) or exc.errno == errno.ECONNREFUSED:
        return f"connection to {what} refused: nothing is listening on port {port}"
    if exc.errno in (errno.ENETUNREACH, errno.EHOSTUNREACH):
        return f"{what} is unreachable: {exc.strerror}"
    return f"cannot connect to {what}: {exc.strerror or exc}"


async def _open_tcp(
    host: str, port: int, step: ErrorStep, progress: list[ErrorStep]
) -> tuple[socket.socket, float, float]:
    """A connected socket to the first address of ``host`` that answers, and the
    seconds resolving and connecting took."""
    loop = asyncio.get_running_loop()
    progress[0] = ErrorStep.DNS if step is ErrorStep.TCP else step
    t = time.perf_counter()
    try:
        infos = await loop.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP
        )
    except socket.gaierror as exc:
        dns_step = ErrorStep.DNS if step is ErrorStep.TCP else step
        raise ConnectError(dns_step, f"cannot resolve host {host!r}: {exc.strerror}") from None
    dns = time.perf_counter() - t
    if not infos:
        raise ConnectError(ErrorStep.DNS, f"host {host!r} has no address")
    progress[0] = step
    t = time.perf_counter()
    errors: list[str] = []
    for family, type_, proto, _, sockaddr in infos:
        addr = str(sockaddr[0])
        shown = f"[{addr}]:{port}" if family == socket.AF_INET6 else f"{addr}:{port}"
        sock = socket.socket(family, type_, proto)
        sock.setblocking(False)
        try:
            await loop.sock_connect(sock, sockaddr)
        except OSError as exc:
            sock.close()
            errors.append(
                _describe(exc, shown if step is ErrorStep.TCP else f"proxy {shown}", port)
            )
            continue
        except BaseException:
            sock.close()
            raise
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return sock, dns, time.perf_counter() - t
    raise ConnectError(step, "; ".join(dict.fromkeys(errors)))


def _connect_request(target: str, proxy: UpstreamProxy) -> bytes:
    lines = [f"CONNECT {target} HTTP/1.1", f"Host: {target}"]
    if proxy.username is not None:
        token = f"{proxy.username}:{proxy.password or ''}".encode()
        lines.append(f"Proxy-Authorization: Basic {base64.b64encode(token).decode('ascii')}")
    return ("\r\n".join([*lines, "", ""])).encode("latin-1")


async def _http_connect(sock: socket.socket, target: str, proxy: UpstreamProxy) -> ProxyExchange:
    loop = asyncio.get_running_loop()
    request = _connect_request(target, proxy)
    await loop.sock_sendall(sock, request)
    answer = bytearray()
    while b"\r\n\r\n" not in answer:
        if len(answer) > MAX_CONNECT_RESPONSE:
            break
        chunk = await loop.sock_recv(sock, 4096)
        if not chunk:
            break
        answer += chunk
    head, sep, rest = bytes(answer).partition(b"\r\n\r\n")
    exchange = ProxyExchange("http", proxy.address, target, request, head + sep)
    status_line = head.split(b"\r\n", 1)[0].decode("latin-1")
    parts = status_line.split(" ", 2)
    if not sep or len(parts) < 2 or not parts[0].startswith("HTTP/"):
        shown = status_line[:80] or "nothing"
        raise ConnectError(
            ErrorStep.PROXY,
            f"proxy {proxy.address} did not answer the CONNECT in HTTP (it sent {shown!r})",
            exchange=exchange,
        )
    if not parts[1].startswith("2"):
        raise ConnectError(
            ErrorStep.PROXY,
            f"proxy {proxy.address} refused the tunnel to {target}: {status_line}",
            exchange=exchange,
        )
    if rest:
        # Bytes after a 2xx answer would be the server's, but the server speaks only
        # after our request: a proxy that sends any is broken.
        raise ConnectError(
            ErrorStep.PROXY,
            f"proxy {proxy.address} sent {len(rest)} bytes after its CONNECT answer",
            exchange=exchange,
        )
    return exchange


async def _socks_connect(
    host: str, port: int, proxy: UpstreamProxy, timeout: float
) -> tuple[socket.socket, ProxyExchange]:
    from python_socks import ProxyError, ProxyTimeoutError, ProxyType
    from python_socks.async_.asyncio import Proxy

    socks = Proxy(
        ProxyType.SOCKS5,
        proxy.host,
        proxy.port,
        username=proxy.username,
        password=proxy.password,
        rdns=proxy.scheme == "socks5h",
    )
    target = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    exchange = ProxyExchange("socks5", proxy.address, target)
    try:
        sock = await socks.connect(host, port, timeout=timeout)
    except ProxyTimeoutError:
        raise ConnectError(
            ErrorStep.PROXY, f"SOCKS5 proxy {proxy.address} did not answer in time"
        ) from None
    except ProxyError as exc:
        raise ConnectError(
            ErrorStep.PROXY, f"SOCKS5 proxy {proxy.address} refused {target}: {exc}"
        ) from None
    except OSError as exc:
        raise ConnectError(
            ErrorStep.PROXY, _describe(exc, f"SOCKS5 proxy {proxy.address}", proxy.port)
        ) from None
    sock.setblocking(False)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock, exchange


def choose_proxy(
    setting: str | None, host: str, port: int, *, secure: bool
) -> UpstreamProxy | None:
    """The proxy for a connection: ``setting`` (a URL; "" for none) or, when it is
    None, the environment's (:func:`proxy_from_env`)."""
    if setting == "":
        return None
    if setting:
        return parse_proxy_url(setting)
    return proxy_from_env(host, port, secure=secure)


async def dial(
    host: str,
    port: int,
    *,
    proxy: UpstreamProxy | None = None,
    timeout: float = 10.0,
    step: list[ErrorStep] | None = None,
) -> Dialed:
    """A TCP connection to ``host:port``, through ``proxy`` when given. Raises
    :class:`ConnectError` naming the step that failed (``dns``, ``tcp``, ``proxy``);
    a failed CONNECT keeps its exchange on the error's ``exchange``. ``step[0]`` is
    kept at the step in progress (what a timeout interrupted)."""
    progress = step if step is not None else [ErrorStep.DNS]
    if proxy is None:
        sock, dns, tcp = await _open_tcp(host, port, ErrorStep.TCP, progress)
        return Dialed(sock, None, (("dns", dns), ("tcp", tcp)))
    t = time.perf_counter()
    progress[0] = ErrorStep.PROXY
    if proxy.scheme.startswith("socks"):
        sock, exchange = await _socks_connect(host, port, proxy, timeout)
        return Dialed(sock, exchange, (("proxy", time.perf_counter() - t),))
    sock, dns, tcp = await _open_tcp(proxy.host, proxy.port, ErrorStep.PROXY, progress)
    target = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    try:
        exchange = await _http_connect(sock, target, proxy)
    except BaseException:
        sock.close()
        raise
    return Dialed(sock, exchange, (("dns", dns), ("tcp", tcp), ("proxy", time.perf_counter() - t)))
