"""Tests of the client side of the opening handshake (protocol.handshake.client): the
request we build and the checks the server's response must pass, RFC 6455 section 4.1."""

from __future__ import annotations

import base64

import pytest

from inspector.protocol.handshake import (
    HandshakeResponse,
    ResponseParser,
    build_client_request,
    build_error_response,
    build_server_response,
    compute_accept,
    validate_response,
)
from inspector.protocol.violations import Rule

from .conftest import (
    BROWSER_REQUEST,
    FRAME,
    PMD,
    RFC_ACCEPT,
    RFC_KEY,
    client,
    good_headers,
    parsed_request,
    parsed_response,
    response_bytes,
    rules,
)

# --- building the request ------------------------------------------------------------


def test_client_request_has_exact_bytes_in_documented_order() -> None:
    request = build_client_request(
        "server.example.com",
        80,
        "/chat?room=1",
        key=RFC_KEY,
        origin="http://example.com",
        subprotocols=["chat", "superchat"],
        extensions=[PMD],
        extra_headers=[("X-Trace", "1"), ("Cookie", "a=b"), ("X-Another", "z")],
    )
    assert request.raw == (
        b"GET /chat?room=1 HTTP/1.1\r\n"
        b"Host: server.example.com\r\n"
        b"Upgrade: websocket\r\n"
        b"Connection: Upgrade\r\n"
        b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
        b"Sec-WebSocket-Version: 13\r\n"
        b"Origin: http://example.com\r\n"
        b"Sec-WebSocket-Protocol: chat, superchat\r\n"
        b"Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n"
        b"X-Trace: 1\r\n"
        b"Cookie: a=b\r\n"
        b"X-Another: z\r\n"
        b"\r\n"
    )
    assert request.method == "GET" and request.target == "/chat?room=1"
    assert request.key == RFC_KEY
    assert request.subprotocols == ("chat", "superchat")
    assert request.extensions == (PMD,)
    assert request.headers[-3:] == (("X-Trace", "1"), ("Cookie", "a=b"), ("X-Another", "z"))
    assert request.header("sec-websocket-version") == "13"


def test_minimal_request_omits_optional_headers_and_generates_a_key() -> None:
    request = build_client_request("example.com")
    names = [name for name, _ in request.headers]
    assert names == ["Host", "Upgrade", "Connection", "Sec-WebSocket-Key", "Sec-WebSocket-Version"]
    assert request.raw.startswith(b"GET / HTTP/1.1\r\nHost: example.com\r\n")
    assert len(base64.b64decode(request.key)) == 16
    assert request.subprotocols == () and request.extensions == ()


def test_extra_header_replaces_generated_one_in_place_with_callers_spelling() -> None:
    request = client(
        extra_headers=[
            ("X-First", "1"),
            ("sec-websocket-version", "8"),
            ("Sec-WebSocket-Key", "not-a-key"),
            ("X-Last", "2"),
        ]
    )
    assert request.headers == (
        ("Host", "server.example.com"),
        ("Upgrade", "websocket"),
        ("Connection", "Upgrade"),
        ("Sec-WebSocket-Key", "not-a-key"),
        ("sec-websocket-version", "8"),
        ("X-First", "1"),
        ("X-Last", "2"),
    )
    assert b"\r\nsec-websocket-version: 8\r\n" in request.raw
    assert b"Sec-WebSocket-Version: 13" not in request.raw
    # The accept check must use the key the server actually received.
    assert request.key == "not-a-key"


def test_extra_header_none_removes_and_repeat_appends_a_duplicate() -> None:
    request = client(
        extra_headers=[
            ("Sec-WebSocket-Version", None),
            ("Sec-WebSocket-Key", "AAAAAAAAAAAAAAAAAAAAAA=="),
            ("Sec-WebSocket-Key", "BBBBBBBBBBBBBBBBBBBBBB=="),
        ]
    )
    assert request.header("Sec-WebSocket-Version") is None
    assert request.header_values("sec-websocket-key") == (
        "AAAAAAAAAAAAAAAAAAAAAA==",
        "BBBBBBBBBBBBBBBBBBBBBB==",
    )
    assert request.headers[3] == ("Sec-WebSocket-Key", "AAAAAAAAAAAAAAAAAAAAAA==")
    assert request.headers[-1] == ("Sec-WebSocket-Key", "BBBBBBBBBBBBBBBBBBBBBB==")
    assert request.key == "AAAAAAAAAAAAAAAAAAAAAA=="
    parsed = parsed_request(request.raw)
    assert rules(parsed) == [Rule.KEY_REPEATED, Rule.REQUEST_VERSION]
    assert "appears 2 times" in parsed.problems[0].message
    assert "Sec-WebSocket-Version header" in parsed.problems[1].message


def test_overridden_offers_describe_what_is_on_the_wire() -> None:
    request = client(
        subprotocols=["chat"],
        extra_headers=[("Sec-WebSocket-Protocol", "v2.json, v1.json")],
    )
    assert request.subprotocols == ("v2.json", "v1.json")
    broken = client(extensions="permessage-deflate; =", subprotocols=["chat"])
    assert broken.extensions == ()
    assert broken.header("Sec-WebSocket-Extensions") == "permessage-deflate; ="


def test_extensions_given_as_a_string_are_sent_verbatim() -> None:
    value = "permessage-deflate; client_max_window_bits, x-webkit-deflate-frame"
    request = client(extensions=value)
    assert request.header("Sec-WebSocket-Extensions") == value
    assert [name for name, _ in request.extensions] == [
        "permessage-deflate",
        "x-webkit-deflate-frame",
    ]


@pytest.mark.parametrize(
    ("host", "port", "secure", "expected"),
    [
        ("example.com", None, False, "example.com"),
        ("example.com", 80, False, "example.com"),
        ("example.com", 443, True, "example.com"),
        ("example.com", None, True, "example.com"),
        ("example.com", 443, False, "example.com:443"),
        ("example.com", 80, True, "example.com:80"),
        ("example.com", 8080, False, "example.com:8080"),
        ("::1", 9000, False, "[::1]:9000"),
        ("::1", 443, True, "[::1]"),
        ("[2001:db8::1]", 8443, True, "[2001:db8::1]:8443"),
        ("fe80::1%eth0", 80, False, "[fe80::1]"),
        ("127.0.0.1", 8765, False, "127.0.0.1:8765"),
        ("bücher.example", None, False, "xn--bcher-kva.example"),
    ],
)
def test_host_header(host: str, port: int | None, secure: bool, expected: str) -> None:
    request = build_client_request(host, port, secure=secure)
    assert request.headers[0] == ("Host", expected)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"host": "example.com:80"},
        {"host": ""},
        {"host": "a b"},
        {"host": "[::1"},
        {"port": 0},
        {"port": 70000},
        {"resource": "/a b"},
        {"resource": ""},
        {"subprotocols": ["a b"]},
        {"subprotocols": "chat"},
        {"origin": "http://x\r\nX-Injected: 1"},
        {"extra_headers": [("Bad Name", "1")]},
        {"extra_headers": [("X-A", "line1\nline2")]},
        {"extra_headers": [("X-A", "snowman ☃")]},
    ],
)
def test_caller_misuse_raises_value_error(kwargs: dict[str, object]) -> None:
    options: dict[str, object] = {"host": "example.com", "port": None}
    options.update(kwargs)
    with pytest.raises(ValueError):
        build_client_request(**options)  # type: ignore[arg-type]


# --- checking the server's response ---------------------------------------------------


def test_good_response_all_at_once_keeps_trailing_frame_bytes() -> None:
    request = client(subprotocols=["chat"], extensions=[PMD])
    head = response_bytes(
        [
            *good_headers(),
            ("Sec-WebSocket-Protocol", "chat"),
            ("Sec-WebSocket-Extensions", "permessage-deflate; client_max_window_bits=15"),
        ]
    )
    parser = ResponseParser(request)
    response = parser.feed(head + FRAME)
    assert isinstance(response, HandshakeResponse)
    assert response.ok and response.problems == ()
    assert response.raw == head
    assert response.trailing == FRAME
    assert (response.http_version, response.status_code) == ("1.1", 101)
    assert response.reason == "Switching Protocols"
    assert response.accept_check.ok and response.accept_check.received == RFC_ACCEPT
    assert response.subprotocol == "chat"
    assert response.extensions == (("permessage-deflate", (("client_max_window_bits", "15"),)),)
    assert parser.result is response and parser.buffered == len(head + FRAME)
    assert validate_response(request, response) == []


def test_status_other_than_101_is_the_one_problem_and_body_is_trailing() -> None:
    data = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"
    response = parsed_response(client(), data)
    assert not response.ok
    (problem,) = response.problems
    assert problem.rule is Rule.RESPONSE_STATUS and problem.offset == 0
    assert problem.sentence == "status 200 OK, expected 101 Switching Protocols (RFC 6455 §4.1)"
    assert response.trailing == b"hello"
    assert not response.accept_check.ok and response.accept_check.missing


def test_426_problem_names_the_versions_the_server_supports() -> None:
    data = build_error_response(426, headers=[("Sec-WebSocket-Version", "13, 8, 7")])
    response = parsed_response(client(), data)
    (problem,) = response.problems
    assert problem.rule is Rule.RESPONSE_STATUS
    assert "426 Upgrade Required" in problem.message
    assert "supports Sec-WebSocket-Version 13, 8, 7" in problem.message
    assert "§4.4" in problem.message


@pytest.mark.parametrize(
    ("offer", "headers", "rule", "expected"),
    [
        (
            {},
            [("Connection", "Upgrade"), ("Sec-WebSocket-Accept", RFC_ACCEPT)],
            Rule.RESPONSE_UPGRADE,
            "no Upgrade",
        ),
        (
            {},
            [("Upgrade", "h2c"), ("Connection", "Upgrade"), ("Sec-WebSocket-Accept", RFC_ACCEPT)],
            Rule.RESPONSE_UPGRADE,
            "Upgrade is 'h2c', expected 'websocket'",
        ),
        (
            {},
            [("Upgrade", "websocket"), ("Sec-WebSocket-Accept", RFC_ACCEPT)],
            Rule.RESPONSE_CONNECTION,
            "no Connection",
        ),
        (
            {},
            [
                ("Upgrade", "websocket"),
                ("Connection", "close"),
                ("Sec-WebSocket-Accept", RFC_ACCEPT),
            ],
            Rule.RESPONSE_CONNECTION,
            "must contain the token 'Upgrade'",
        ),
        (
            {},
            good_headers("d3JvbmcgYWNjZXB0IHZhbHVlIQ=="),
            Rule.ACCEPT_MISMATCH,
            f"expected {RFC_ACCEPT!r}",
        ),
        ({}, good_headers()[:2], Rule.ACCEPT_MISSING, "Sec-WebSocket-Accept missing"),
        (
            {},
            [*good_headers(), ("Sec-WebSocket-Accept", RFC_ACCEPT)],
            Rule.ACCEPT_REPEATED,
            "Sec-WebSocket-Accept appears 2 times",
        ),
        (
            {"subprotocols": ["chat"]},
            [*good_headers(), ("Sec-WebSocket-Protocol", "superchat")],
            Rule.SUBPROTOCOL_NOT_OFFERED,
            "server chose subprotocol 'superchat', which the client did not offer",
        ),
        (
            {},
            [*good_headers(), ("Sec-WebSocket-Protocol", "chat")],
            Rule.SUBPROTOCOL_NOT_OFFERED,
            "server chose subprotocol 'chat' but the client offered none",
        ),
        (
            {"subprotocols": ["chat", "superchat"]},
            [*good_headers(), ("Sec-WebSocket-Protocol", "chat, superchat")],
            Rule.SUBPROTOCOL_NOT_ONE,
            "must choose exactly one subprotocol",
        ),
        (
            {"subprotocols": ["chat"]},
            [
                *good_headers(),
                ("Sec-WebSocket-Protocol", "chat"),
                ("Sec-WebSocket-Protocol", "chat"),
            ],
            Rule.SUBPROTOCOL_REPEATED,
            "Sec-WebSocket-Protocol appears 2 times",
        ),
        (
            {"extensions": [PMD]},
            [*good_headers(), ("Sec-WebSocket-Extensions", "x-custom; a=1")],
            Rule.EXTENSION_NOT_OFFERED,
            "server accepted extension 'x-custom', which the client did not offer",
        ),
        (
            {},
            [*good_headers(), ("Sec-WebSocket-Extensions", "permessage-deflate")],
            Rule.EXTENSION_NOT_OFFERED,
            "server accepted extension 'permessage-deflate' but the client offered no extensions",
        ),
        (
            {"extensions": [PMD]},
            [*good_headers(), ("Sec-WebSocket-Extensions", "permessage-deflate; ;")],
            Rule.EXTENSIONS_SYNTAX,
            "Sec-WebSocket-Extensions 'permessage-deflate; ;' does not parse",
        ),
    ],
)
def test_each_response_problem_is_reported_with_its_rule(
    offer: dict[str, object], headers: list[tuple[str, str]], rule: Rule, expected: str
) -> None:
    request = client(**offer)
    data = response_bytes(headers)
    response = parsed_response(request, data)
    assert not response.ok
    (problem,) = response.problems
    assert problem.rule is rule and expected in problem.message
    assert problem.rfc.startswith("RFC 6455 §") and not problem.deliberate
    if problem.offset is not None:
        # The offset is the start of the header line the problem is about.
        assert data[problem.offset - 2 : problem.offset] == b"\r\n"
        name = data[problem.offset :].split(b":")[0].decode().lower()
        assert name in {
            "upgrade",
            "connection",
            "sec-websocket-accept",
            "sec-websocket-protocol",
            "sec-websocket-extensions",
        }
    assert validate_response(request, response) == list(response.problems)


def test_a_repeated_header_points_at_its_second_line() -> None:
    data = response_bytes([*good_headers(), ("Sec-WebSocket-Accept", RFC_ACCEPT)])
    (problem,) = parsed_response(client(), data).problems
    assert problem.offset == data.rindex(b"Sec-WebSocket-Accept")


def test_http_1_0_response_is_a_problem() -> None:
    data = response_bytes(good_headers()).replace(b"HTTP/1.1", b"HTTP/1.0", 1)
    response = parsed_response(client(), data)
    assert response.http_version == "1.0"
    assert rules(response) == [Rule.RESPONSE_HTTP_VERSION]
    assert "HTTP/1.0 response" in response.problems[0].message


def test_validate_response_against_another_request_catches_the_wrong_key() -> None:
    response = parsed_response(client(), response_bytes(good_headers()))
    other = build_client_request("server.example.com", key="AAAAAAAAAAAAAAAAAAAAAA==")
    (problem,) = validate_response(other, response)
    assert problem.rule is Rule.ACCEPT_MISMATCH and RFC_ACCEPT in problem.message
    assert compute_accept("AAAAAAAAAAAAAAAAAAAAAA==") in problem.message


def test_response_can_be_checked_against_a_captured_request() -> None:
    captured = parsed_request(client(subprotocols=["chat"]).raw)
    data = response_bytes([*good_headers(), ("Sec-WebSocket-Protocol", "chat")])
    response = ResponseParser(captured).feed(data)
    assert isinstance(response, HandshakeResponse) and response.ok


def test_round_trip_client_request_server_response_client_check() -> None:
    request = build_client_request(
        "localhost", 8765, "/echo", subprotocols=["v1.json", "v2.json"], extensions=[PMD]
    )
    server_view = parsed_request(request.raw)
    assert server_view.ok and server_view.key == request.key
    chosen = ("permessage-deflate", (("client_max_window_bits", "12"),))
    answer = build_server_response(server_view, subprotocol="v2.json", extensions=[chosen])
    assert answer.startswith(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n")
    assert f"Sec-WebSocket-Accept: {compute_accept(request.key)}\r\n".encode() in answer
    response = parsed_response(request, answer + FRAME)
    assert response.ok, response.problems
    assert response.subprotocol == "v2.json" and response.extensions == (chosen,)
    assert response.trailing == FRAME


def test_a_wrong_accept_from_our_own_server_builder() -> None:
    request = parsed_request(BROWSER_REQUEST)
    answer = build_server_response(
        request, subprotocol="chat", extra_headers=[("Sec-WebSocket-Accept", "wrong")]
    )
    ours = build_client_request("server.example.com", 8080, key=RFC_KEY, subprotocols=["chat"])
    (problem,) = parsed_response(ours, answer).problems
    assert problem.rule is Rule.ACCEPT_MISMATCH
    assert problem.sentence == (
        f"Sec-WebSocket-Accept wrong: 'wrong', expected {RFC_ACCEPT!r} = "
        "base64(SHA-1(key + GUID)) (RFC 6455 §4.1)"
    )
    assert problem.offset == answer.index(b"Sec-WebSocket-Accept")


def test_error_response_is_read_by_the_client_as_a_refusal_with_its_body() -> None:
    body = "no Sec-WebSocket-Key header (RFC 6455 §4.2.1)"
    response = parsed_response(client(), build_error_response(400, body=body))
    assert response.status_code == 400 and response.reason == "Bad Request"
    assert response.trailing == body.encode()
    assert response.problems[0].message.startswith("status 400 Bad Request, expected 101")
