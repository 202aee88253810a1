"""The error banner: what failed, and for a rejected certificate, the certificate and
the two ways forward (the TLS options, or trusting exactly it for this connection);
in the window, against a real TLS server with a self-signed certificate."""

from __future__ import annotations

import datetime
import ipaddress
import ssl
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from inspector.capture.events import ConnectionState, Direction, PeerCertificate
from inspector.gui.window.error_banner import ErrorBanner
from inspector.gui.window.main_window import MainWindow

pytestmark = pytest.mark.gui

CERT = PeerCertificate(
    subject="commonName=<b>evil</b>",
    issuer="commonName=<b>evil</b>",
    not_before="Jan  1 00:00:00 2026 GMT",
    not_after="Jan  1 00:00:00 2027 GMT",
    sha256="AB:" * 31 + "AB",
    sans=("DNS:localhost", "IP:127.0.0.1"),
)


def test_a_certificate_error_shows_the_certificate_and_two_ways_forward(qtbot: QtBot) -> None:
    banner = ErrorBanner()
    qtbot.addWidget(banner)
    banner.show_error("tls", "the server's certificate was rejected: self-signed", certificate=CERT)
    assert not banner.isHidden() and not banner.certificate_box.isHidden()
    # One line names it (peer text shown, not interpreted); the tooltip has it all.
    text = banner.certificate_label.text()
    assert "for &lt;b&gt;evil&lt;/b&gt; (self-signed)" in text and "<b>evil</b>" not in text
    assert f"valid until {CERT.not_after}" in text and "SHA-256 AB:AB:AB:AB…AB:AB:AB" in text
    tip = banner.certificate_label.toolTip()
    for value in (CERT.not_before, CERT.not_after, CERT.sha256, "DNS:localhost, IP:127.0.0.1"):
        assert value in tip
    assert CERT.sha256 in banner.accessibleDescription()
    assert banner.trust_button.accessibleName() == "Trust this certificate for this connection"
    with qtbot.waitSignal(banner.trustRequested, timeout=1000) as trusted:
        qtbot.mouseClick(banner.trust_button, Qt.MouseButton.LeftButton)
    assert trusted.args == [CERT.sha256]
    with qtbot.waitSignal(banner.tlsOptionsRequested, timeout=1000):
        qtbot.mouseClick(banner.tls_button, Qt.MouseButton.LeftButton)
    # Another error has no certificate; clearing forgets it.
    banner.show_error("tcp", "refused")
    assert banner.certificate_box.isHidden() and banner.certificate is None
    banner.show_error("tls", "rejected", certificate=CERT)
    banner.clear()
    assert banner.isHidden() and banner.certificate is None


def _self_signed(tmp: Path) -> ssl.SSLContext:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "self-signed window test")])
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
    (tmp / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (tmp / "key.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(str(tmp / "cert.pem"), str(tmp / "key.pem"))
    return ctx


def test_trusting_a_rejected_certificate_connects_with_it_pinned_once(
    window: MainWindow, arun: Any, until: Any, qtbot: QtBot, tmp_path: Path
) -> None:
    """Issue 9 item 16 in the window: the certificate in the banner; Trust connects
    again accepting exactly it (shown as trusted by pin); the tab still verifies."""
    from websockets.asyncio.server import ServerConnection, serve

    async def echo(ws: ServerConnection) -> None:
        async for message in ws:
            await ws.send(message)

    async def start() -> Any:
        return await serve(echo, "127.0.0.1", 0, ssl=_self_signed(tmp_path))

    server = arun(start(), 5)
    url = f"wss://127.0.0.1:{next(iter(server.sockets)).getsockname()[1]}/"
    window.resize(1280, 800)
    window.show()
    qtbot.waitExposed(window)
    panel = window.current_panel()
    assert panel is not None

    def state() -> ConnectionState | None:
        return panel.bar.state.state if panel.bar.state is not None else None

    async def scenario() -> None:
        panel.connect_to(url)
        await until(lambda: not panel.banner.certificate_box.isHidden(), 5, "the certificate")
        assert panel.banner.step == "tls"
        assert "self-signed certificate" in panel.banner.message
        cert = panel.banner.certificate
        assert cert is not None and cert.subject == "commonName=self-signed window test"
        assert cert.sans == ("IP:127.0.0.1",)
        # The handshake pane shows the whole certificate, as rejected.
        hs = panel.handshake
        assert panel.side_tabs.currentWidget() is hs
        assert not hs.tls_box.isHidden() and hs.accept_box.isHidden()
        assert hs.tls_labels["verified"].text() == "✗ rejected — self-signed certificate"
        assert hs.tls_labels["sha256"].text().replace("\n", ":") == cert.sha256
        assert hs.tls_labels["names"].text() == "IP:127.0.0.1"
        await until(lambda: state() is ConnectionState.CLOSED, 2, "closed")

        trust = panel.banner.trust_button
        await until(lambda: trust.isVisible() and trust.width() > 0, 2, "laid out")
        qtbot.mouseClick(trust, Qt.MouseButton.LeftButton)
        await until(lambda: state() is ConnectionState.OPEN, 5, "open with the pin")
        assert panel.banner.isHidden()
        await until(lambda: hs.response is not None, 2, "the handshake")
        assert not hs.accept_box.isHidden()
        assert hs.tls_labels["verified"].text().startswith("✓ trusted by pin")
        assert hs.tls_labels["sha256"].text().replace("\n", ":") == cert.sha256
        # For this connection only: the tab's options still verify.
        assert panel.controller.options.tls.pinned_sha256 is None
        panel.controller.send_text("over the pin")
        store = panel.controller.store
        assert store is not None
        await until(lambda: store.counters(Direction.IN).frames >= 1, 5, "the echo")
        panel.close_connection()
        await until(lambda: state() is ConnectionState.CLOSED, 5, "closed")

        # Connecting again from the bar verifies again, and is refused again.
        panel.connect_to(url)
        await until(lambda: not panel.banner.certificate_box.isHidden(), 5, "refused again")

        button = panel.banner.tls_button
        await until(lambda: button.isVisible() and button.width() > 0, 2, "laid out")
        qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
        await until(lambda: panel._options_dialog is not None, 2, "the options dialog")
        dialog = panel._options_dialog
        assert dialog is not None
        assert dialog.tabs.tabText(dialog.tabs.currentIndex()).replace("&", "") == "TLS"
        dialog.reject()

    try:
        arun(scenario(), 20)
    finally:
        server.close()
        arun(server.wait_closed(), 5)
