"""Outgoing connections directly and through the user's proxy: HTTP CONNECT (the
exchange kept for the handshake pane) and SOCKS5, chosen by --proxy or the
environment."""

from __future__ import annotations

import asyncio
import struct
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest

from inspector.capture.events import Direction, ErrorStep, HandshakeCaptured, HandshakeLeg
from inspector.engine.client import connect
from inspector.engine.dial import dial, parse_proxy_url, proxy_from_env
from inspector.engine.options import ConnectError, ConnectOptions

from ._engine_support import WebsocketsPeer, free_port, run_async
from .proxy._proxy_support import forward_proxy, reverse_proxy, store


def test_proxy_urls() -> None:
    p = parse_proxy_url("http://user:p%40ss@proxy.example:3128")
    assert (p.scheme, p.host, p.port, p.username, p.password) == (
        "http", "proxy.example", 3128, "user", "p@ss"
    )  # fmt: skip
    assert parse_proxy_url("proxy.example").port == 8080
    assert parse_proxy_url("socks5h://127.0.0.1").port == 1080
    with pytest.raises(ConnectError, match="unknown proxy scheme"):
        parse_proxy_url("ftp://x")


def test_environment_chooses_by_scheme_and_honours_no_proxy() -> None:
    env = {
        "https_proxy": "http://secure:1",
        "HTTP_PROXY": "http://plain:2",
        "all_proxy": "socks5://all:3",
        "no_proxy": ".internal.example,10.0.0.0/8",
    }
    secure = proxy_from_env("api.example", 443, secure=True, environ=env)
    plain = proxy_from_env("api.example", 80, secure=False, environ=env)
    assert secure is not None and secure.host == "secure"
    assert plain is not None and plain.host == "plain"
    assert proxy_from_env("a.internal.example", 80, secure=False, environ=env) is None
    assert proxy_from_env("10.1.2.3", 80, secure=False, environ=env) is None
    assert proxy_from_env("127.0.0.1", 80, secure=False, environ=env) is None  # loopback
    fallback = proxy_from_env("x.example", 80, secure=False, environ={"ALL_PROXY": "socks5://s:9"})
    assert fallback is not None and fallback.scheme == "socks5"


@asynccontextmanager
async def socks5_server() -> AsyncIterator[tuple[int, list[tuple[str, int]]]]:
    """A minimal SOCKS5 proxy (RFC 1928, no authentication, CONNECT only)."""
    asked: list[tuple[str, int]] = []

    async def pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
        writer.close()

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        _, n = await reader.readexactly(2)
        await reader.readexactly(n)
        writer.write(b"\x05\x00")
        _, _, _, atyp = await reader.readexactly(4)
        if atyp == 1:
            host = ".".join(str(b) for b in await reader.readexactly(4))
        else:
            (length,) = await reader.readexactly(1)
            host = (await reader.readexactly(length)).decode()
        (port,) = struct.unpack("!H", await reader.readexactly(2))
        asked.append((host, port))
        up_reader, up_writer = await asyncio.open_connection(host, port)
        writer.write(b"\x05\x00\x00\x01\x00\x00\x00\x00\x00\x00")
        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    try:
        yield server.sockets[0].getsockname()[1], asked
    finally:
        server.close()
        await server.wait_closed()


def test_a_client_connection_through_an_http_connect_proxy_keeps_the_exchange() -> None:
    async def main() -> None:
        async with WebsocketsPeer() as peer, forward_proxy(exclude=("127.0.0.1",)) as px:
            options = ConnectOptions(proxy=f"http://127.0.0.1:{px.port}")
            conn = await connect(peer.url, options)
            conn.send_text("via http")
            await asyncio.sleep(0.05)
            await conn.close()
        request = conn.store.handshake(Direction.OUT) if conn.store else None
        assert request is not None and request.via is not None
        assert request.via.kind == "http"
        assert request.via.request.startswith(f"CONNECT 127.0.0.1:{peer.port} HTTP/1.1".encode())
        assert request.via.response.startswith(b"HTTP/1.1 200")
        assert peer.state.received == ["via http"]
        tunnel = await px.closed()
        assert tunnel.tunnel

    run_async(main)


def test_a_proxy_that_refuses_the_tunnel_is_a_proxy_error() -> None:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HTTP/1.1 407 Proxy Authentication Required\r\nContent-Length: 0\r\n\r\n")
        await writer.drain()
        writer.close()

    async def main() -> None:
        server = await asyncio.start_server(handle, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        with pytest.raises(ConnectError) as failed:
            await dial("example.invalid", 443, proxy=parse_proxy_url(f"127.0.0.1:{port}"))
        server.close()
        await server.wait_closed()
        assert failed.value.step is ErrorStep.PROXY
        assert "407" in failed.value.message
        assert failed.value.exchange is not None
        assert failed.value.exchange.response.startswith(b"HTTP/1.1 407")

    run_async(main)


def test_an_absent_proxy_is_a_proxy_error() -> None:
    async def main() -> None:
        proxy = parse_proxy_url(f"http://127.0.0.1:{free_port()}")
        with pytest.raises(ConnectError) as failed:
            await dial("example.invalid", 80, proxy=proxy)
        assert failed.value.step is ErrorStep.PROXY
        assert "refused" in failed.value.message

    run_async(main)


def test_socks5_for_a_client_and_for_the_proxys_upstream() -> None:
    async def main() -> None:
        async with socks5_server() as (socks_port, asked), WebsocketsPeer() as peer:
            socks = f"socks5://127.0.0.1:{socks_port}"
            conn = await connect(peer.url, ConnectOptions(proxy=socks))
            await conn.close()
            request = conn.store.handshake(Direction.OUT) if conn.store else None
            assert request is not None and request.via is not None
            assert request.via.kind == "socks5"
            async with reverse_proxy(peer.url, proxy=socks) as px:
                other = await connect(f"{px.url}/up", ConnectOptions(proxy=""))
                await other.close()
                proxied = await px.closed()
        assert asked == [("127.0.0.1", peer.port)] * 2
        upstream_request = next(
            e
            for e in store(proxied).events
            if isinstance(e, HandshakeCaptured) and e.leg is HandshakeLeg.UPSTREAM
        )
        assert upstream_request.via is not None and upstream_request.via.kind == "socks5"

    run_async(main)
