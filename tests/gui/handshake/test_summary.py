"""What the handshake pane shows, without Qt: header meanings, a refusal's body as
text or hex (bounded), problems with their RFC links, TLS trust words."""

from __future__ import annotations

from dataclasses import replace

from inspector.capture.events import Direction, HandshakeCaptured, PeerCertificate, TlsInfo
from inspector.gui.handshake.summary import (
    BodyKind,
    body_view,
    certificate_summary,
    fingerprint_lines,
    header_meaning,
    problem_rows,
    rejected_tls_values,
    response_body,
    tls_values,
)
from inspector.protocol.violations import Rule, Violation


def response(head: bytes, body: bytes = b"", content_type: str = "") -> HandshakeCaptured:
    headers = (("Content-Type", content_type),) if content_type else ()
    start = head.split(b"\r\n", 1)[0].decode("latin-1")
    return HandshakeCaptured(0.1, Direction.IN, head + b"\r\n\r\n" + body, start, headers)


def test_header_meanings() -> None:
    assert "base64(SHA-1(key + GUID))" in header_meaning("Sec-WebSocket-Accept")
    assert header_meaning("sec-websocket-key") == header_meaning("Sec-WebSocket-Key")
    assert "redirect" in header_meaning("Location")
    assert header_meaning("X-Custom") == ""


def test_a_text_body_is_text_and_a_binary_one_hex() -> None:
    page = response(b"HTTP/1.1 200 OK", b"<h1>hi</h1>\n\x1b[2J", "text/html; charset=utf-8")
    assert response_body(page) == b"<h1>hi</h1>\n\x1b[2J"
    view = body_view(page)
    # A terminal escape makes it binary-looking: shown in hex, not as text.
    assert view.kind is BodyKind.HEX and view.data == response_body(page)
    clean = body_view(response(b"HTTP/1.1 401 Unauthorized", b"line one\nline two"))
    assert (clean.kind, clean.text, clean.note) == (BodyKind.TEXT, "line one\nline two", "17 B")
    png = body_view(response(b"HTTP/1.1 200 OK", b"\x89PNG\r\n\x1a\n\x00\x00", "image/png"))
    assert png.kind is BodyKind.HEX
    assert png.note == "10 B of image/png (binary: shown in hex)"
    assert body_view(response(b"HTTP/1.1 302 Found")).kind is BodyKind.NONE


def test_a_large_body_is_shown_bounded() -> None:
    body = "é".encode() * 40_000  # 80,000 bytes; the limit cuts a character in two
    view = body_view(response(b"HTTP/1.1 500 Oops", body, "text/plain"), limit=1001)
    assert view.kind is BodyKind.TEXT and view.text == "é" * 500
    assert view.note == "78.1 KiB of text/plain, the first 1001 B shown"


def test_a_request_and_a_101_have_no_body() -> None:
    request = HandshakeCaptured(0.0, Direction.OUT, b"GET / HTTP/1.1\r\n\r\nxx", "GET /", ())
    assert response_body(request) == b""
    frames_after = response(b"HTTP/1.1 101 Switching Protocols", b"\x81\x02hi")
    assert response_body(frames_after) == b""


def test_problems_carry_their_rfc_link() -> None:
    rows = problem_rows(
        [Violation(Rule.ACCEPT_MISSING, "Sec-WebSocket-Accept missing"), "an old sentence"]
    )
    assert rows[0].text == "Sec-WebSocket-Accept missing"
    assert rows[0].rfc == Rule.ACCEPT_MISSING.rfc and rows[0].url == Rule.ACCEPT_MISSING.url
    assert rows[0].url.startswith("https://www.rfc-editor.org/rfc/rfc6455#section-4")
    assert (rows[1].text, rows[1].url) == ("an old sentence", "")


def test_tls_trust_says_who_vouched() -> None:
    cert = PeerCertificate("CN=a", "CN=a", "Jan  1 00:00:00 2026 GMT", "Jun  1", "AB:CD", ("IP:1",))
    base = TlsInfo("TLSv1.3", "X", "CN=a", "CN=a", "Jun  1", False, certificate=cert)
    pinned = tls_values(replace(base, pinned=True))
    assert pinned["verified"].startswith("✓ trusted by pin")
    assert (pinned["sha256"], pinned["names"], pinned["not_before"]) == (
        "AB:CD",  # (too short to need a second line)
        "IP:1",
        "Jan  1 00:00:00 2026 GMT",
    )
    assert tls_values(base)["verified"].startswith("✗ NO")
    verified = TlsInfo("TLSv1.3", "X", "CN=a", "CN=a", "Jun  1", True)
    assert tls_values(verified)["verified"].startswith("✓ verified")
    assert tls_values(verified)["sha256"] == "—"


def test_a_certificate_in_one_line_and_its_fingerprint_in_four() -> None:
    sha = ":".join(f"{i:02X}" for i in range(32))
    leaf = PeerCertificate(
        "organizationName=Acme, commonName=dev.local",
        "organizationName=trustme v1.2.1, organizationalUnitName=Testing CA",
        "Jan  1 00:00:00 2000 GMT",
        "Jan  1 00:00:00 3000 GMT",
        sha,
    )
    assert certificate_summary(leaf) == (
        "for dev.local (issued by trustme v1.2.1), valid until Jan  1 00:00:00 3000 GMT, "
        "SHA-256 00:01:02:03…1D:1E:1F"
    )
    lines = fingerprint_lines(sha).split("\n")
    assert len(lines) == 4 and ":".join(lines) == sha
    assert all(len(line) == 23 for line in lines)
    rejected = rejected_tls_values(leaf, "certificate has expired")
    assert rejected["verified"] == "✗ rejected — certificate has expired"
    assert rejected["sha256"].replace("\n", ":") == sha and rejected["names"] == "—"
