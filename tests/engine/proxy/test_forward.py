"""Forward mode: an HTTP proxy for ws:// (absolute URI or CONNECT) and wss:// (CONNECT
with TLS interception by the local CA), and excluded hosts as opaque tunnels."""

from __future__ import annotations

import asyncio
import ssl
from pathlib import Path

import pytest
import trustme

from inspector.capture.events import Direction, HandshakeCaptured, HandshakeLeg
from inspector.engine.options import TlsOptions
from inspector.protocol.constants import Opcode, Role
from inspector.protocol.frames import FrameSpec, encode_frame

from .._engine_support import WebsocketsPeer, run_async
from ._proxy_support import forward_proxy, frames_of, store


@pytest.fixture(scope="module")
def server_ca() -> trustme.CA:
    return trustme.CA()


def _server_ssl(ca: trustme.CA) -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ca.issue_cert("127.0.0.1", "localhost").configure_cert(ctx)
    return ctx


def test_plain_ws_through_connect(tmp_path: Path) -> None:
    from websockets.asyncio.client import connect

    async def main() -> None:
        async with WebsocketsPeer() as peer, forward_proxy(ca_dir=str(tmp_path)) as px:
            async with connect(f"{peer.url}room", proxy=f"http://127.0.0.1:{px.port}") as ws:
                await ws.send("through connect")
                assert await ws.recv() == "through connect"
            conn = await px.closed()
        assert conn.url == f"ws://127.0.0.1:{peer.port}/room"
        assert any("CONNECT" in note for note in conn.session.notes)
        texts = [m.message.text for m in store(conn).messages.values()]
        assert texts == ["through connect"] * 2
        assert peer.state.requests[0].path == "/room"

    run_async(main)


def test_plain_ws_with_an_absolute_uri() -> None:
    async def main() -> None:
        async with WebsocketsPeer() as peer, forward_proxy() as px:
            reader, writer = await asyncio.open_connection("127.0.0.1", px.port)
            writer.write(
                f"GET ws://127.0.0.1:{peer.port}/abs?x=1 HTTP/1.1\r\n"
                f"Host: 127.0.0.1:{peer.port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                "Proxy-Connection: keep-alive\r\n"
                "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                "Sec-WebSocket-Version: 13\r\n\r\n".encode()
            )
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
            header, body = encode_frame(FrameSpec(Opcode.CLOSE, b"\x03\xe8"), Role.CLIENT)
            writer.write(header + body)
            await asyncio.wait_for(reader.read(), 5)
            writer.close()
            conn = await px.closed()
        assert head.startswith(b"HTTP/1.1 101")
        assert peer.state.requests[0].path == "/abs?x=1"
        halves = [e for e in store(conn).events if isinstance(e, HandshakeCaptured)]
        upstream_request = halves[1]
        assert upstream_request.start_line == "GET /abs?x=1 HTTP/1.1"
        assert "Proxy-Connection" not in dict(upstream_request.headers)
        assert "Proxy-Connection" in dict(halves[0].headers)

    run_async(main)


def test_wss_is_intercepted_with_the_local_ca(server_ca: trustme.CA, tmp_path: Path) -> None:
    from websockets.asyncio.client import connect

    cafile = tmp_path / "server-ca.pem"
    server_ca.cert_pem.write_to_path(str(cafile))
    keylog = tmp_path / "keys.log"

    async def main() -> None:
        async with (
            WebsocketsPeer(ssl=_server_ssl(server_ca)) as peer,
            forward_proxy(ca_dir=str(tmp_path / "ca"), tls=TlsOptions(cafile=str(cafile))) as px,
        ):
            trust = ssl.create_default_context(cafile=str(px.server.ca.cert_path))
            async with connect(
                f"wss://127.0.0.1:{peer.port}/secure",
                proxy=f"http://127.0.0.1:{px.port}",
                ssl=trust,
            ) as ws:
                await ws.send("secret")
                assert await ws.recv() == "secret"
                cert = ws.transport.get_extra_info("peercert")
            conn = await px.closed()
        issuer = dict(item[0] for item in cert["issuer"])
        assert issuer["commonName"] == "ws-inspector proxy CA"
        assert conn.url == f"wss://127.0.0.1:{peer.port}/secure"
        halves = [e for e in store(conn).events if isinstance(e, HandshakeCaptured)]
        response = next(
            h for h in halves if h.leg is HandshakeLeg.UPSTREAM and h.dir is Direction.IN
        )
        assert response.tls is not None and response.tls.verified
        masks = [f.mask_key for f in frames_of(conn, Direction.OUT)]
        assert masks and all(masks)
        assert keylog.exists() is False  # only when SSLKEYLOGFILE is set

    run_async(main)


def test_sslkeylogfile_gets_the_secrets_of_both_tls_sides(
    server_ca: trustme.CA, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from websockets.asyncio.client import connect

    cafile = tmp_path / "server-ca.pem"
    server_ca.cert_pem.write_to_path(str(cafile))
    keylog = tmp_path / "keys.log"
    monkeypatch.setenv("SSLKEYLOGFILE", str(keylog))

    async def main() -> None:
        async with (
            WebsocketsPeer(ssl=_server_ssl(server_ca)) as peer,
            forward_proxy(ca_dir=str(tmp_path / "ca"), tls=TlsOptions(cafile=str(cafile))) as px,
        ):
            trust = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)  # keeps no key log of its own
            trust.load_verify_locations(str(px.server.ca.cert_path))
            async with connect(
                f"wss://127.0.0.1:{peer.port}/", proxy=f"http://127.0.0.1:{px.port}", ssl=trust
            ) as ws:
                await ws.send("x")
                await ws.recv()
            await px.closed()

    run_async(main)
    # One TLS 1.3 session each way: the proxy's server side and its upstream client side.
    randoms = {
        line.split()[1] for line in keylog.read_text().splitlines() if line.startswith("CLIENT_")
    }
    assert len(randoms) == 2


def test_excluded_host_is_an_opaque_tunnel(server_ca: trustme.CA, tmp_path: Path) -> None:
    from websockets.asyncio.client import connect

    async def main() -> None:
        async with (
            WebsocketsPeer(ssl=_server_ssl(server_ca)) as peer,
            forward_proxy(exclude=("127.0.0.1",)) as px,
        ):
            trust = ssl.create_default_context()
            server_ca.configure_trust(trust)
            async with connect(
                f"wss://127.0.0.1:{peer.port}/", proxy=f"http://127.0.0.1:{px.port}", ssl=trust
            ) as ws:
                await ws.send("opaque")
                assert await ws.recv() == "opaque"
            conn = await px.closed()
        assert conn.tunnel
        assert len(store(conn)) == 0  # TLS bytes: no frames to see
        assert conn.bytes[0] > 0 and conn.bytes[1] > 0
        assert conn.info()["tunnel"] is True

    run_async(main)


def test_a_client_that_distrusts_the_ca_leaves_a_tls_error(tmp_path: Path) -> None:
    async def main() -> None:
        async with WebsocketsPeer() as peer, forward_proxy(ca_dir=str(tmp_path)) as px:
            reader, writer = await asyncio.open_connection("127.0.0.1", px.port)
            target = f"127.0.0.1:{peer.port}"
            writer.write(f"CONNECT {target} HTTP/1.1\r\nHost: {target}\r\n\r\n".encode())
            answer = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
            assert answer.startswith(b"HTTP/1.1 200")
            with pytest.raises(ssl.SSLCertVerificationError):
                await writer.start_tls(ssl.create_default_context(), server_hostname="127.0.0.1")
            writer.close()
            conn = await px.closed()
        assert conn.error is not None and conn.error.step == "tls"
        assert "export-ca" in conn.error.message

    run_async(main)
