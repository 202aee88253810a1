"""The handshake pane: a refused upgrade shows its body (text, or hex), each header
says what it means, problems link their RFC section, and TLS says who vouched for
the certificate; in the window, against real servers that answer 200, 302 and 401."""

from __future__ import annotations

import asyncio
import math
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest
from conftest import Capture
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from inspector.capture.events import Direction, HandshakeCaptured, PeerCertificate, TlsInfo
from inspector.gui.handshake.pane import HandshakePane
from inspector.gui.window.main_window import MainWindow
from inspector.protocol.constants import Opcode
from inspector.protocol.frames import FrameSpec
from inspector.protocol.handshake import check_accept
from inspector.protocol.violations import Rule, Violation

pytestmark = pytest.mark.gui

KEY = "dGhlIHNhbXBsZSBub25jZQ=="


def make_pane(qtbot: QtBot, width: int = 400, height: int = 700) -> HandshakePane:
    pane = HandshakePane()
    qtbot.addWidget(pane)
    pane.resize(width, height)
    pane.show()
    qtbot.waitExposed(pane)
    return pane


def refusal(body: bytes, content_type: str) -> HandshakeCaptured:
    headers = (("Content-Type", content_type), ("Content-Length", str(len(body))))
    head = "HTTP/1.1 200 OK\r\n" + "".join(f"{n}: {v}\r\n" for n, v in headers) + "\r\n"
    return HandshakeCaptured(
        0.1,
        Direction.IN,
        head.encode() + body,
        "HTTP/1.1 200 OK",
        headers,
        accept=check_accept(KEY, None),
        problems=(Violation(Rule.RESPONSE_STATUS, "status 200 OK, expected 101"),),
    )


def test_a_refused_upgrade_opens_on_its_body_as_text(qtbot: QtBot) -> None:
    pane = make_pane(qtbot)
    page = b"<h1>Hello</h1>\n<p>not here</p>"
    pane.set_response(refusal(page, "text/html"))
    view = pane.response_view
    assert pane.halves.currentWidget() is view
    assert view.body is not None and view.currentWidget() is view.body
    assert view.body.stack.currentWidget() is view.body.text
    assert view.body.text.toPlainText() == "<h1>Hello</h1>\n<p>not here</p>"
    assert view.body.note.text() == f"{len(page)} B of text/html"
    # The problem links its RFC section.
    assert f'href="{Rule.RESPONSE_STATUS.url}"' in pane.problems_label.text()
    assert Rule.RESPONSE_STATUS.rfc in pane.problems_label.text()


def test_a_binary_body_is_shown_in_hex(qtbot: QtBot) -> None:
    pane = make_pane(qtbot)
    body = bytes(range(256))
    pane.set_response(refusal(body, "application/octet-stream"))
    view = pane.response_view
    assert view.body is not None and view.body.stack.currentWidget() is view.body.hex
    assert bytes(view.body.hex.data()) == body
    assert "binary: shown in hex" in view.body.note.text()


def test_a_101_has_no_body_tab_and_each_header_says_what_it_means(qtbot: QtBot) -> None:
    pane = make_pane(qtbot)
    accept = check_accept(KEY, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")
    headers = (("Upgrade", "websocket"), ("Sec-WebSocket-Accept", accept.received or ""))
    event = HandshakeCaptured(
        0.1,
        Direction.IN,
        b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
        b"Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n\x81\x02hi",
        "HTTP/1.1 101 Switching Protocols",
        headers,
        accept=accept,
    )
    pane.set_response(event)
    view = pane.response_view
    assert view.body is not None and not view.isTabEnabled(view.indexOf(view.body))
    table = view.table
    # Under each header, a row spanning the table says what it means, wrapped, so
    # it is read whole however narrow the pane.
    names = [item.text() if (item := table.item(r, 0)) else "" for r in range(table.rowCount())]
    accept_row = names.index("Sec-WebSocket-Accept")
    meaning = view.meaning_rows[accept_row + 1]
    assert "base64(SHA-1(key + GUID))" in meaning
    assert table.columnSpan(accept_row + 1, 0) == 2
    rect = table.visualRect(table.model().index(accept_row + 1, 0))
    assert rect.width() >= table.viewport().width() - 2
    width = table.fontMetrics().horizontalAdvance(meaning)
    assert rect.height() > table.fontMetrics().height() or width <= rect.width()
    assert pane.accept_result.accessibleDescription() == "match"


def test_tls_trusted_by_pin_is_said_so(qtbot: QtBot) -> None:
    pane = make_pane(qtbot)
    cert = PeerCertificate("commonName=self", "commonName=self", "Jan 1", "Jun 1", "AB:CD", ())
    tls = TlsInfo("TLSv1.3", "AES", "commonName=self", "commonName=self", "Jun 1", False)
    event = HandshakeCaptured(
        0.1,
        Direction.IN,
        b"HTTP/1.1 101 Switching Protocols\r\n\r\n",
        "HTTP/1.1 101 Switching Protocols",
        (),
        accept=check_accept(KEY, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="),
        tls=replace(tls, certificate=cert, pinned=True),
    )
    pane.set_response(event)
    assert pane.tls_labels["verified"].text().startswith("✓ trusted by pin")
    assert pane.tls_labels["sha256"].text() == "AB:CD"


# ------------------------------------------------------------ long values
#: A key whose accept value has no character a line may break after.
UNBREAKABLE_KEY = "AAAAAAAAAAAAAAAAAAAAAA=="


def _accepted(key: str = UNBREAKABLE_KEY) -> HandshakeCaptured:
    accept = check_accept(key, None)
    accept = check_accept(key, accept.expected)
    return HandshakeCaptured(
        0.1,
        Direction.IN,
        b"HTTP/1.1 101 Switching Protocols\r\n\r\n",
        "HTTP/1.1 101 Switching Protocols",
        (("Sec-WebSocket-Accept", accept.expected),),
        accept=accept,
    )


def test_long_values_wrap_inside_a_narrow_pane_and_copy_whole(qtbot: QtBot) -> None:
    pane = make_pane(qtbot, width=240)
    event = _accepted()
    pane.set_response(event)
    assert event.accept is not None and " " not in event.accept.expected
    # Laid out: each value as tall as its text is at its width.
    labels = (pane.key_label, pane.sha1_label, pane.expected_label, pane.received_label)
    qtbot.waitUntil(lambda: all(v.height() == v.heightForWidth(v.width()) for v in labels))
    assert not pane.overview.horizontalScrollBar().isVisible()
    viewport = pane.overview.viewport()
    values = {
        pane.key_label: event.accept.key,
        pane.sha1_label: event.accept.sha1_hex,
        pane.expected_label: event.accept.expected,
        pane.received_label: event.accept.received,
    }
    for label, value in values.items():
        right = label.mapTo(viewport, label.rect().topRight()).x()
        assert right < viewport.width(), f"{label.objectName()} is cut off at the right"
        assert label.text() == value
        # Room for all of it: as many lines as the value needs at this width.
        fm = label.fontMetrics()
        lines = math.ceil(fm.horizontalAdvance(value) / label.contentsRect().width())
        assert label.height() >= lines * fm.lineSpacing(), f"{label.objectName()} is cut off"
    for label, value in values.items():
        # What is selected and copied is the value, without anything added to wrap it.
        label.selectAll()
        label.copy()
        assert QApplication.clipboard().text() == value
    assert pane.sha1_label.height() > pane.sha1_label.fontMetrics().lineSpacing()
    summary = pane.overview.widget()
    assert summary is not None and summary.width() <= viewport.width()


def test_one_scrollbar_beside_the_handshake_in_a_small_window(
    window: MainWindow, qtbot: QtBot, capture: Callable[..., Capture]
) -> None:
    window.resize(1024, 640)
    window.show()
    qtbot.waitExposed(window)
    panel = window.current_panel()
    assert panel is not None
    panel.notes_banner.show_notes(["a note, as the demo has one, takes height too"])
    # A frame of a message in fragments: the detail's pages (its Message page the
    # tallest) are all filled, as after a click on the timeline.
    c = capture()
    c.receive(FrameSpec(Opcode.TEXT, b"frag", fin=False), FrameSpec(Opcode.CONT, b"ment"))
    panel.detail.show_frame(c.store, 1)
    panel.handshake.set_response(_accepted())
    side = panel.side_scroll
    # The side scrolls as a whole only when the page shown needs it: the handshake's
    # overview scrolls by itself, and the frame detail's header page too.
    pages = side.widget()
    assert pages is panel.side_tabs
    for page in (panel.handshake, panel.detail):
        pages.setCurrentWidget(page)
        assert pages.minimumSizeHint().height() <= side.viewport().height()
        qtbot.waitUntil(lambda: pages.height() <= side.viewport().height())
        assert side.verticalScrollBar().maximum() == 0


# ------------------------------------------------------------ in the window
PAGE = b"<html><head><title>Welcome</title></head><h1>Hi</h1></html>"
_ANSWERS = {
    "200": (
        b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: %d\r\n\r\n%s"
        % (len(PAGE), PAGE),
        f"body ({len(PAGE)} B, text/html): “Welcome”",
    ),
    "302": (
        b"HTTP/1.1 302 Found\r\nLocation: https://example.test/login\r\nContent-Length: 0\r\n\r\n",
        "it redirects to https://example.test/login",
    ),
    "401": (
        b"HTTP/1.1 401 Unauthorized\r\nContent-Type: text/plain\r\nContent-Length: 13\r\n\r\n"
        b"token expired",
        "body (13 B, text/plain): “token expired”",
    ),
}


@pytest.mark.parametrize("status", list(_ANSWERS))
def test_the_window_shows_the_reason_in_the_banner_and_the_body_in_the_pane(
    status: str, window: MainWindow, arun: Any, until: Any
) -> None:
    answer, words = _ANSWERS[status]

    async def refuse(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(answer)
        await writer.drain()
        writer.close()

    server = arun(asyncio.start_server(refuse, "127.0.0.1", 0), 5)
    port = server.sockets[0].getsockname()[1]
    panel = window.current_panel()
    assert panel is not None

    async def scenario() -> None:
        panel.connect_to(f"ws://127.0.0.1:{port}/")
        await until(lambda: not panel.banner.isHidden(), 5, "the error banner")
        await until(lambda: panel.handshake.response is not None, 2, "the response")

    try:
        arun(scenario(), 10)
    finally:
        server.close()
        arun(server.wait_closed(), 5)
    banner = panel.banner
    assert banner.step == "handshake"
    # The engine's one sentence, whole, on one line.
    assert banner.message.startswith(f"the server answered {status} ")
    assert banner.message.endswith(words) and "\n" not in banner.message
    assert banner.certificate_box.isHidden()
    view = panel.handshake.response_view
    body = answer.partition(b"\r\n\r\n")[2]
    assert view.body is not None
    if body:
        assert view.currentWidget() is view.body
        assert view.body.text.toPlainText() == body.decode()
    else:
        assert not view.isTabEnabled(view.indexOf(view.body))
