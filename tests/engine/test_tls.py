"""wss:// against a TLS server (the websockets library's, with certificates made by
trustme): verification with and without the CA, insecure mode, host name checks,
client certificates, and wss:// to a plain server."""

from __future__ import annotations

import asyncio
import datetime
import ssl
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from inspector.capture.events import Direction
from inspector.engine.client import connect, make_ssl_context, new_client_connection
from inspector.engine.options import ConnectError, ConnectOptions, TlsOptions
from inspector.protocol.constants import Opcode

from ._engine_support import (
    HostileConn,
    HostileServer,
    OurPeer,
    Recorder,
    WebsocketsPeer,
    connected,
    eventually,
    finish,
    run_async,
    until_reset,
)

if TYPE_CHECKING:
    import trustme
else:
    trustme = pytest.importorskip("trustme")


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture(scope="module")
def server_ssl(ca: trustme.CA) -> ssl.SSLContext:
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1", "localhost").configure_cert(ctx)
    return ctx


@pytest.fixture(scope="module")
def ca_file(ca: trustme.CA, tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("tls") / "ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return str(path)


def self_signed_context(tmp: Path) -> ssl.SSLContext:
    """A server context with a genuinely self-signed certificate for 127.0.0.1."""
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "self-signed test")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    cert_path = tmp / "self.pem"
    key_path = tmp / "self.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(str(cert_path), str(key_path))
    return ctx


def tls(**kwargs: object) -> ConnectOptions:
    return ConnectOptions(open_timeout=5, close_timeout=2, tls=TlsOptions(**kwargs))  # type: ignore[arg-type]


def test_frames_right_behind_the_101_are_all_kept(server_ssl: ssl.SSLContext, ca_file: str) -> None:
    # TLS hands the client a full read buffer and schedules the next read before the
    # handshake's waiter resumes: bytes of that read must still reach the frame
    # parser, not be dropped between the response and the switch to frames.
    big = bytes(range(256)) * 800  # 200 KiB, several reads' worth
    first = HostileConn.frame(Opcode.BINARY, big) + HostileConn.frame(Opcode.TEXT, b"after")

    async def script(hs: HostileConn) -> None:
        await hs.handshake(first=first)
        await hs.read_client()

    async def main() -> None:
        async with HostileServer(script, ssl=server_ssl) as server:
            rec = Recorder()
            options = ConnectOptions(deflate=False, tls=TlsOptions(cafile=ca_file))
            conn = await connect(server.url, options, listeners=[rec])
            await eventually(lambda: len(rec.messages()) == 2, what="both messages")
            assert [m.data for m in rec.messages()] == [big, b"after"]
            assert conn.store is not None and not conn.store.violations
            await conn.close()
            await finish(conn)

    run_async(main)


def test_wss_to_a_plain_server() -> None:
    async def main() -> None:
        async with OurPeer() as peer:
            url = peer.url.replace("ws://", "wss://")
            conn = new_client_connection(url)
            with pytest.raises(ConnectError) as info:
                await connect(url, tls(), connection=conn)
            assert info.value.step == "tls"
            assert "did not answer in TLS" in info.value.message
            assert "plain ws:// server" in info.value.message
            assert conn.final_state is not None and conn.final_state.clean is False

    run_async(main)


def test_certificate_from_an_unknown_ca_is_rejected(server_ssl: ssl.SSLContext) -> None:
    async def main() -> None:
        async with WebsocketsPeer(ssl=server_ssl) as peer:
            with pytest.raises(ConnectError) as info:
                await connect(peer.url, tls())
            assert info.value.step == "tls"
            assert "the server's certificate was rejected" in info.value.message
            assert "unable to get local issuer certificate" in info.value.message
            assert "use a CA file" in info.value.message

    run_async(main)


def test_self_signed_certificate_is_rejected(tmp_path: Path) -> None:
    async def main() -> None:
        async with WebsocketsPeer(ssl=self_signed_context(tmp_path)) as peer:
            with pytest.raises(ConnectError) as info:
                await connect(peer.url, tls())
            assert info.value.step == "tls"
            assert "certificate was rejected" in info.value.message
            assert "self-signed certificate" in info.value.message

    run_async(main)


def test_cacert_verifies_and_works(server_ssl: ssl.SSLContext, ca_file: str) -> None:
    async def main() -> None:
        async with WebsocketsPeer(ssl=server_ssl) as peer:
            assert peer.url.startswith("wss://")
            async with connected(peer.url, tls(cafile=ca_file)) as (conn, rec):
                response = rec.handshake(Direction.IN)
                info = response.tls
                assert info is not None and info.verified is True
                assert info.version in ("TLSv1.2", "TLSv1.3")
                assert info.cipher and info.not_after
                assert "organizationName=trustme" in info.peer_issuer
                assert [name for name, _ in response.timings] == ["dns", "tcp", "tls", "handshake"]
                conn.send_text("secret")
                await eventually(lambda: rec.messages(), what="the echo")
                assert rec.messages()[0].text == "secret"
                await conn.close()
            assert conn.final_state is not None and conn.final_state.clean

    run_async(main)


def test_insecure_skips_verification(server_ssl: ssl.SSLContext) -> None:
    async def main() -> None:
        async with (
            WebsocketsPeer(ssl=server_ssl) as peer,
            connected(peer.url, tls(insecure=True)) as (conn, rec),
        ):
            info = rec.handshake(Direction.IN).tls
            assert info is not None and info.verified is False
            # Unverified, the certificate is still read: what a tester of a
            # self-signed server most wants to see is who it claims to be and when
            # it expires.
            assert "organizationName=trustme" in info.peer_issuer
            assert info.peer_subject and info.peer_subject != "(unknown)"
            assert info.not_after
            conn.send_binary(b"\x01\x02")
            await eventually(lambda: rec.messages(), what="the echo")
            await conn.close()

    run_async(main)


def test_host_name_mismatch(server_ssl: ssl.SSLContext, ca_file: str) -> None:
    async def main() -> None:
        async with WebsocketsPeer(ssl=server_ssl) as peer:
            options = tls(cafile=ca_file, server_hostname="other.example.test")
            with pytest.raises(ConnectError) as info:
                await connect(peer.url, options)
            assert info.value.step == "tls"
            assert "certificate was rejected" in info.value.message
            assert "mismatch" in info.value.message.lower()
            assert "other.example.test" in info.value.message

    run_async(main)


def test_client_certificate(ca: trustme.CA, ca_file: str, tmp_path: Path) -> None:
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(server_ctx)
    ca.configure_trust(server_ctx)
    server_ctx.verify_mode = ssl.CERT_REQUIRED
    client_pem = tmp_path / "client.pem"
    ca.issue_cert("client@example.test").private_key_and_cert_chain_pem.write_to_path(
        str(client_pem)
    )

    async def main() -> None:
        async with WebsocketsPeer(ssl=server_ctx) as peer:
            options = tls(cafile=ca_file, certfile=str(client_pem))
            async with connected(peer.url, options) as (conn, rec):
                conn.send_text("mutual")
                await eventually(lambda: rec.messages(), what="the echo")
                await conn.close()

    run_async(main)


@pytest.mark.parametrize(
    ("options", "words"),
    [
        (TlsOptions(cafile="/nonexistent/ca.pem"), "cannot load CA file '/nonexistent/ca.pem'"),
        (
            TlsOptions(certfile="/nonexistent/client.pem"),
            "cannot load client certificate '/nonexistent/client.pem'",
        ),
    ],
)
def test_unreadable_tls_files(options: TlsOptions, words: str) -> None:
    with pytest.raises(ConnectError) as info:
        make_ssl_context(options)
    assert info.value.step == "tls" and words in info.value.message

    async def main() -> None:
        async with OurPeer() as peer:
            url = peer.url.replace("ws://", "wss://")
            with pytest.raises(ConnectError) as info:
                await connect(url, ConnectOptions(tls=options, open_timeout=5))
            assert info.value.step == "tls" and words in info.value.message

    run_async(main)


def test_a_close_frame_left_in_the_socket_when_a_write_fails_is_read_over_tls(
    server_ssl: ssl.SSLContext, ca_file: str
) -> None:
    """Issue 9 item 2 over TLS: the bytes left in the raw socket after a failed write
    go through the TLS layer before the loss is reported."""
    ready = asyncio.Event()

    async def script(hs: HostileConn) -> None:
        await hs.handshake()
        await asyncio.wait_for(ready.wait(), 5)
        await hs.send(hs.close(1002, "bad frame"))
        hs.reset()

    async def main() -> None:
        async with HostileServer(script, ssl=server_ssl) as server:
            rec = Recorder()
            options = ConnectOptions(deflate=False, tls=TlsOptions(cafile=ca_file))
            conn = await connect(server.url, options, listeners=[rec])
            assert conn.transport is not None
            # The raw transport under TLS stops reading: the write comes first.
            conn.transport._ssl_protocol._transport.pause_reading()  # type: ignore[attr-defined]
            ready.set()
            await server.done()
            await until_reset(conn.transport.get_extra_info("socket"))
            conn.send_text("too late")
            await finish(conn)
        closes = [f for f in rec.frames(Direction.IN) if f.opcode == Opcode.CLOSE]
        assert [(f.close_code, f.close_reason) for f in closes] == [(1002, "bad frame")]

    run_async(main)


# ------------------------------------------------ a rejected certificate, shown and pinned
def _der(pem_path: Path) -> bytes:
    return ssl.PEM_cert_to_DER_cert(pem_path.read_text("ascii"))


def test_a_rejected_self_signed_certificate_comes_with_the_error(tmp_path: Path) -> None:
    """Issue 9 item 16: who the certificate names, who issued it, when it is valid,
    its fingerprint and names, although verification failed."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes

    server = self_signed_context(tmp_path)
    pem = x509.load_pem_x509_certificate((tmp_path / "self.pem").read_bytes())

    async def main() -> None:
        async with WebsocketsPeer(ssl=server) as peer:
            with pytest.raises(ConnectError) as info:
                await connect(peer.url, tls())
        cert = info.value.certificate
        assert cert is not None
        assert cert.subject == cert.issuer == "commonName=self-signed test"
        assert cert.sha256 == pem.fingerprint(hashes.SHA256()).hex(":").upper()
        assert cert.sans == ("IP:127.0.0.1",)
        assert str(pem.not_valid_after_utc.year) in cert.not_after
        assert cert.not_before and cert.not_before != cert.not_after
        assert "trust this certificate for this connection" in info.value.message

    run_async(main)


def test_a_certificate_for_another_host_comes_with_the_error(
    server_ssl: ssl.SSLContext, ca_file: str
) -> None:
    async def main() -> None:
        async with WebsocketsPeer(ssl=server_ssl) as peer:
            options = tls(cafile=ca_file, server_hostname="other.example.test")
            with pytest.raises(ConnectError) as info:
                await connect(peer.url, options)
        assert "mismatch" in info.value.message.lower()
        cert = info.value.certificate
        assert cert is not None and cert.sans == ("IP:127.0.0.1", "DNS:localhost")
        assert "organizationName=trustme" in cert.issuer

    run_async(main)


def test_an_expired_certificate_comes_with_the_error(ca: trustme.CA, ca_file: str) -> None:
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    year = datetime.datetime.now(datetime.UTC).year - 2
    ca.issue_cert(
        "127.0.0.1",
        not_before=datetime.datetime(year, 1, 1, tzinfo=datetime.UTC),
        not_after=datetime.datetime(year, 6, 1, tzinfo=datetime.UTC),
    ).configure_cert(server)

    async def main() -> None:
        async with WebsocketsPeer(ssl=server) as peer:
            with pytest.raises(ConnectError) as info:
                await connect(peer.url, tls(cafile=ca_file))
        assert "certificate has expired" in info.value.message
        cert = info.value.certificate
        assert cert is not None
        assert cert.not_before.startswith("Jan  1") and str(year) in cert.not_before
        assert cert.not_after.startswith("Jun  1") and str(year) in cert.not_after

    run_async(main)


def test_trusting_the_certificate_by_its_fingerprint_accepts_exactly_it(tmp_path: Path) -> None:
    """Connect again with the rejected certificate's fingerprint: accepted, shown as
    trusted by pin (not as verified), and the conversation works."""
    server = self_signed_context(tmp_path)
    from inspector.engine.certificates import fingerprint

    pin = fingerprint(_der(tmp_path / "self.pem"))

    async def main() -> None:
        async with WebsocketsPeer(ssl=server) as peer:
            async with connected(peer.url, tls(pinned_sha256=pin.lower())) as (conn, rec):
                info = rec.handshake(Direction.IN).tls
                assert info is not None
                assert (info.pinned, info.verified) == (True, False)
                assert info.certificate is not None and info.certificate.sha256 == pin
                conn.send_text("pinned")
                await eventually(lambda: rec.messages(), what="the echo")
                assert rec.messages()[0].text == "pinned"
                await conn.close()
            assert conn.final_state is not None and conn.final_state.clean

    run_async(main)


def test_a_pin_refuses_any_other_certificate(server_ssl: ssl.SSLContext) -> None:
    other = "AB:" * 31 + "AB"

    async def main() -> None:
        async with WebsocketsPeer(ssl=server_ssl) as peer:
            conn = new_client_connection(peer.url)
            with pytest.raises(ConnectError) as info:
                await connect(peer.url, tls(pinned_sha256=other), connection=conn)
        assert info.value.step == "tls"
        assert info.value.message.startswith(
            "the server's certificate is not the one trusted for this connection"
        )
        cert = info.value.certificate
        assert cert is not None and cert.sha256 in info.value.message
        assert conn.final_state is not None and conn.final_state.clean is False

    run_async(main)
