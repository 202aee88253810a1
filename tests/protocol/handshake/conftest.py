"""Samples the handshake tests share: the RFC 6455 example key, requests and responses."""

from __future__ import annotations

from inspector.protocol.handshake import (
    ClientRequest,
    HandshakeRequest,
    HandshakeResponse,
    build_client_request,
    parse_request,
    parse_response,
)
from inspector.protocol.violations import Rule

RFC_KEY = "dGhlIHNhbXBsZSBub25jZQ=="
RFC_ACCEPT = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
PMD = ("permessage-deflate", (("client_max_window_bits", None),))
FRAME = b"\x81\x05hello"  # an unmasked text frame, as a server sends it

BROWSER_REQUEST = (
    b"GET /chat?room=42 HTTP/1.1\r\n"
    b"Host: server.example.com:8080\r\n"
    b"Connection: keep-alive, Upgrade\r\n"
    b"Pragma: no-cache\r\n"
    b"User-Agent: Mozilla/5.0\r\n"
    b"Upgrade: websocket\r\n"
    b"Origin: http://example.com\r\n"
    b"Sec-WebSocket-Version: 13\r\n"
    b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
    b"Sec-WebSocket-Protocol: chat\r\n"
    b"Sec-WebSocket-Protocol: superchat\r\n"
    b"Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n"
    b"\r\n"
)


def client(**kwargs: object) -> ClientRequest:
    """Our request to server.example.com/chat with the RFC's example key."""
    options: dict[str, object] = {"key": RFC_KEY}
    options.update(kwargs)
    return build_client_request("server.example.com", None, "/chat", **options)  # type: ignore[arg-type]


def response_bytes(
    headers: list[tuple[str, str]], status: bytes = b"101 Switching Protocols"
) -> bytes:
    lines = [b"HTTP/1.1 " + status] + [f"{n}: {v}".encode("latin-1") for n, v in headers]
    return b"\r\n".join([*lines, b"", b""])


def good_headers(accept: str = RFC_ACCEPT) -> list[tuple[str, str]]:
    return [("Upgrade", "websocket"), ("Connection", "Upgrade"), ("Sec-WebSocket-Accept", accept)]


def parsed_response(request: ClientRequest | HandshakeRequest, data: bytes) -> HandshakeResponse:
    result = parse_response(request, data)
    assert isinstance(result, HandshakeResponse), result
    return result


def parsed_request(data: bytes) -> HandshakeRequest:
    result = parse_request(data)
    assert isinstance(result, HandshakeRequest), result
    return result


def rules(result: HandshakeRequest | HandshakeResponse) -> list[Rule]:
    return [problem.rule for problem in result.problems]
