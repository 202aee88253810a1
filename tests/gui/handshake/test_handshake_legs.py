"""The four legs of a proxied handshake in the handshake pane: in order, with the
user's own proxy's CONNECT before the upstream request, peer text escaped, and the
tab hidden for a plain client's handshake."""

from __future__ import annotations

from typing import Any

import pytest

from inspector.capture.events import Direction, HandshakeCaptured, HandshakeLeg, ProxyExchange
from inspector.gui.handshake.legs import LEGS, leg_order, leg_text
from inspector.gui.handshake.pane import HandshakePane
from inspector.protocol.handshake import split_head

pytestmark = pytest.mark.gui

REQUEST = (
    b"GET /chat HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nUpgrade: websocket\r\n"
    b"Connection: Upgrade\r\nProxy-Connection: keep-alive\r\n"
    b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
)
UPSTREAM = (
    b"GET /chat HTTP/1.1\r\nHost: server.example\r\nUpgrade: websocket\r\n"
    b"Connection: Upgrade\r\n"
    b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
)
RESPONSE = (
    b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
    b"Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nX-Evil: \x1b[2Jgone\r\n\r\n"
)


def _half(
    t: float, d: Direction, raw: bytes, leg: HandshakeLeg | None, **extra: Any
) -> HandshakeCaptured:
    start, headers = split_head(raw)
    return HandshakeCaptured(t, d, raw, start, headers, leg=leg, **extra)


def _four(via: ProxyExchange | None = None) -> list[HandshakeCaptured]:
    return [
        _half(0.0, Direction.OUT, REQUEST, HandshakeLeg.CLIENT),
        _half(0.1, Direction.OUT, UPSTREAM, HandshakeLeg.UPSTREAM, via=via),
        _half(0.2, Direction.IN, RESPONSE, HandshakeLeg.UPSTREAM),
        _half(0.3, Direction.IN, RESPONSE, HandshakeLeg.CLIENT),
    ]


def test_leg_order_and_text() -> None:
    four = _four(
        ProxyExchange(
            "http",
            "10.0.0.1:3128",
            "server.example:443",
            b"CONNECT server.example:443 HTTP/1.1\r\nHost: server.example:443\r\n\r\n",
            b"HTTP/1.1 200 Connection established\r\n\r\n",
        )
    )
    assert [leg_order(e) for e in four] == [0, 1, 2, 3]
    assert leg_order(_half(0, Direction.OUT, REQUEST, None)) is None
    upstream = leg_text(four[1])
    lines = upstream.splitlines()
    assert lines[0] == "# through the http proxy 10.0.0.1:3128 to server.example:443"
    assert lines[1] == "CONNECT server.example:443 HTTP/1.1"
    assert "GET /chat HTTP/1.1" in lines
    assert "\x1b" not in leg_text(four[2]) and "gone" in leg_text(four[2])
    assert len(LEGS) == 4


def test_pane_shows_the_legs_of_a_proxy_only(qtbot: Any) -> None:
    pane = HandshakePane()
    qtbot.addWidget(pane)
    legs = pane.legs
    index = pane.halves.indexOf(legs)
    assert index >= 0 and not pane.halves.isTabVisible(index)
    pane.show_handshake(_half(0, Direction.OUT, REQUEST, None))  # a client's own
    assert not pane.halves.isTabVisible(index)
    for event in _four():
        pane.show_handshake(event)
    assert pane.halves.isTabVisible(index)
    assert [v.toPlainText().splitlines()[0] for v in legs.views] == [
        "GET /chat HTTP/1.1",
        "GET /chat HTTP/1.1",
        "HTTP/1.1 101 Switching Protocols",
        "HTTP/1.1 101 Switching Protocols",
    ]
    assert "Host: server.example" in legs.views[1].toPlainText()
    assert "4 of 4" in legs.summary.text() and "proxy-connection" in legs.summary.text()
    # The pane's own halves are the last ones of each direction, as before.
    assert pane.request is not None and pane.request.leg is HandshakeLeg.UPSTREAM
    pane.clear()
    assert not pane.halves.isTabVisible(index) and legs.events == [None] * 4
    legs.show_legs(_four()[:2])
    assert "2 of 4" in legs.summary.text() and legs.views[2].toPlainText() == ""
