"""Tests of the server side of the opening handshake (protocol.handshake.server): the
checks of a client's request (RFC 6455 section 4.2.1) and the answers (4.2.2, 4.4)."""

from __future__ import annotations

import pytest

from inspector.protocol.handshake import (
    FailureKind,
    HandshakeRequest,
    ParseFailure,
    RequestParser,
    build_error_response,
    build_server_response,
    parse_request,
)
from inspector.protocol.violations import Rule

from .conftest import BROWSER_REQUEST, PMD, RFC_KEY, client, parsed_request, rules


def test_parse_a_browser_request() -> None:
    masked_frame = b"\x81\x82\x00\x00\x00\x00hi"
    parser = RequestParser()
    request = parser.feed(BROWSER_REQUEST + masked_frame)
    assert isinstance(request, HandshakeRequest)
    assert request.ok and request.problems == ()
    assert request.raw == BROWSER_REQUEST and request.trailing == masked_frame
    assert (request.method, request.target, request.http_version) == ("GET", "/chat?room=42", "1.1")
    assert request.key == RFC_KEY and request.version == "13"
    assert request.origin == "http://example.com"
    assert request.subprotocols == ("chat", "superchat")
    assert request.extensions == (PMD,)
    assert request.headers[1] == ("Connection", "keep-alive, Upgrade")
    assert request.header("user-agent") == "Mozilla/5.0"


def test_request_fed_one_byte_at_a_time() -> None:
    parser = RequestParser()
    results = [parser.feed(BROWSER_REQUEST[i : i + 1]) for i in range(len(BROWSER_REQUEST))]
    assert all(result is None for result in results[:-1])
    assert results[-1] == parse_request(BROWSER_REQUEST)


def test_server_response_extra_headers_override_in_place() -> None:
    request = parsed_request(BROWSER_REQUEST)
    answer = build_server_response(
        request,
        subprotocol="chat",
        extra_headers=[("Sec-WebSocket-Accept", "wrong"), ("Server", "inspector")],
    )
    assert answer == (
        b"HTTP/1.1 101 Switching Protocols\r\n"
        b"Upgrade: websocket\r\n"
        b"Connection: Upgrade\r\n"
        b"Sec-WebSocket-Accept: wrong\r\n"
        b"Sec-WebSocket-Protocol: chat\r\n"
        b"Server: inspector\r\n"
        b"\r\n"
    )


def test_server_response_needs_a_key_unless_the_accept_is_supplied() -> None:
    request = parsed_request(client(extra_headers=[("Sec-WebSocket-Key", None)]).raw)
    assert request.key is None
    with pytest.raises(ValueError):
        build_server_response(request)
    answer = build_server_response(request, extra_headers=[("Sec-WebSocket-Accept", "x")])
    assert b"Sec-WebSocket-Accept: x\r\n" in answer


@pytest.mark.parametrize(
    ("data", "rule", "expected"),
    [
        (client().raw.replace(b"GET", b"POST", 1), Rule.REQUEST_NOT_GET, "method is 'POST'"),
        (
            client(extra_headers=[("Sec-WebSocket-Key", None)]).raw,
            Rule.REQUEST_KEY,
            "no Sec-WebSocket-Key",
        ),
        (
            client(extra_headers=[("Sec-WebSocket-Version", "8")]).raw,
            Rule.REQUEST_VERSION,
            "Sec-WebSocket-Version is '8', expected 13",
        ),
        (
            client(extra_headers=[("Sec-WebSocket-Version", None)]).raw,
            Rule.REQUEST_VERSION,
            "no Sec-WebSocket-Version",
        ),
        (
            client(extra_headers=[("Sec-WebSocket-Key", "c2hvcnQ=")]).raw,
            Rule.REQUEST_KEY,
            "decodes to 5 bytes, not 16",
        ),
        (
            client(extra_headers=[("Sec-WebSocket-Key", "not base64!!")]).raw,
            Rule.REQUEST_KEY,
            "is not valid base64",
        ),
        (client(extra_headers=[("Upgrade", "h2c")]).raw, Rule.REQUEST_UPGRADE, "Upgrade is 'h2c'"),
        (client(extra_headers=[("Upgrade", None)]).raw, Rule.REQUEST_UPGRADE, "no Upgrade header"),
        (
            client(extra_headers=[("Connection", "keep-alive")]).raw,
            Rule.REQUEST_CONNECTION,
            "token 'Upgrade'",
        ),
        (
            client(
                extra_headers=[("Sec-WebSocket-Version", "13"), ("Sec-WebSocket-Version", "13")]
            ).raw,
            Rule.VERSION_REPEATED,
            "Sec-WebSocket-Version appears 2 times",
        ),
        (
            client(extra_headers=[("Sec-WebSocket-Protocol", "a b")]).raw,
            Rule.SUBPROTOCOL_SYNTAX,
            "Sec-WebSocket-Protocol 'a b' is not a list of tokens",
        ),
        (
            client(extensions="permessage-deflate; ;").raw,
            Rule.EXTENSIONS_SYNTAX,
            "Sec-WebSocket-Extensions 'permessage-deflate; ;' does not parse",
        ),
    ],
)
def test_bad_requests_are_recorded_not_raised(data: bytes, rule: Rule, expected: str) -> None:
    request = parsed_request(data)
    assert not request.ok
    (problem,) = request.problems
    assert problem.rule is rule and expected in problem.message
    assert problem.rfc.startswith("RFC 6455 §")
    if problem.offset:
        assert data[problem.offset - 2 : problem.offset] == b"\r\n"


def test_http_1_0_request_without_host_has_both_problems() -> None:
    data = client(extra_headers=[("Host", None)]).raw.replace(b"HTTP/1.1", b"HTTP/1.0", 1)
    request = parsed_request(data)
    assert request.http_version == "1.0"
    assert rules(request) == [Rule.REQUEST_HTTP_VERSION, Rule.REQUEST_NO_HOST]
    assert [p.message for p in request.problems] == [
        "HTTP/1.0 request, the opening handshake needs HTTP/1.1 or higher",
        "no Host header",
    ]


def test_http_1_1_request_without_host_is_malformed_with_the_rfc_reason() -> None:
    data = client(extra_headers=[("Host", None)]).raw
    result = parse_request(data)
    assert isinstance(result, ParseFailure) and result.kind is FailureKind.MALFORMED
    assert "Host" in result.reason and "RFC 7230 §5.4" in result.reason
    assert result.raw == data
    assert [p.rule for p in result.problems] == [Rule.REQUEST_NO_HOST]


def test_error_response_bytes() -> None:
    assert build_error_response(400, body="Sec-WebSocket-Key is missing") == (
        b"HTTP/1.1 400 Bad Request\r\n"
        b"Content-Type: text/plain; charset=utf-8\r\n"
        b"Content-Length: 28\r\n"
        b"Connection: close\r\n"
        b"\r\n"
        b"Sec-WebSocket-Key is missing"
    )
    assert build_error_response(426) == (
        b"HTTP/1.1 426 Upgrade Required\r\n"
        b"Content-Length: 0\r\n"
        b"Connection: close\r\n"
        b"Sec-WebSocket-Version: 13\r\n"
        b"\r\n"
    )
    assert build_error_response(400, version_header=True).endswith(
        b"Sec-WebSocket-Version: 13\r\n\r\n"
    )
    assert b"Sec-WebSocket-Version" not in build_error_response(426, version_header=False)
    custom = build_error_response(
        403, "Go Away", body="é", headers=[("Connection", "keep-alive"), ("X-Why", "origin")]
    )
    assert custom == (
        b"HTTP/1.1 403 Go Away\r\n"
        b"Content-Type: text/plain; charset=utf-8\r\n"
        b"Content-Length: 2\r\n"
        b"Connection: keep-alive\r\n"
        b"X-Why: origin\r\n"
        b"\r\n"
        b"\xc3\xa9"
    )
    assert build_error_response(599).startswith(b"HTTP/1.1 599 \r\n")
    for status in (101, 99, 1000):
        with pytest.raises(ValueError):
            build_error_response(status)
    with pytest.raises(ValueError):
        build_error_response(400, "Bad\r\nX: 1")
