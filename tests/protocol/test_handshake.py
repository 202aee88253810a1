"""Tests of the opening handshake (inspector.protocol.handshake), RFC 6455 section 4."""

from __future__ import annotations

import base64
import hashlib
import itertools

import pytest
import websockets.utils
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from websockets.client import ClientProtocol
from websockets.extensions.permessage_deflate import (
    ClientPerMessageDeflateFactory,
    ServerPerMessageDeflateFactory,
)
from websockets.protocol import State as WsState
from websockets.server import ServerProtocol
from websockets.uri import parse_uri
from wsproto import ConnectionType, WSConnection
from wsproto.connection import ConnectionState
from wsproto.events import AcceptConnection
from wsproto.events import Request as WsprotoRequest
from wsproto.extensions import PerMessageDeflate

from inspector.protocol.constants import GUID
from inspector.protocol.handshake import (
    DEFAULT_MAX_HEADER_SIZE,
    ClientRequest,
    FailureKind,
    HandshakeRequest,
    HandshakeResponse,
    ParseFailure,
    RequestParser,
    ResponseParser,
    build_client_request,
    build_error_response,
    build_server_response,
    check_accept,
    compute_accept,
    derive_accept,
    generate_key,
    parse_request,
    parse_response,
    validate_response,
)
from inspector.protocol.violations import LocalProtocolError

RFC_KEY = "dGhlIHNhbXBsZSBub25jZQ=="
RFC_ACCEPT = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
PMD = ("permessage-deflate", (("client_max_window_bits", None),))
FRAME = b"\x81\x05hello"  # an unmasked text frame, as a server sends it


def _client(**kwargs: object) -> ClientRequest:
    options: dict[str, object] = {"key": RFC_KEY}
    options.update(kwargs)
    return build_client_request("server.example.com", None, "/chat", **options)  # type: ignore[arg-type]


def _response(headers: list[tuple[str, str]], status: bytes = b"101 Switching Protocols") -> bytes:
    lines = [b"HTTP/1.1 " + status] + [f"{n}: {v}".encode("latin-1") for n, v in headers]
    return b"\r\n".join([*lines, b"", b""])


def _good_headers(accept: str = RFC_ACCEPT) -> list[tuple[str, str]]:
    return [("Upgrade", "websocket"), ("Connection", "Upgrade"), ("Sec-WebSocket-Accept", accept)]


def _parsed_response(request: ClientRequest, data: bytes) -> HandshakeResponse:
    result = parse_response(request, data)
    assert isinstance(result, HandshakeResponse), result
    return result


def _parsed_request(data: bytes) -> HandshakeRequest:
    result = parse_request(data)
    assert isinstance(result, HandshakeRequest), result
    return result


# --- Sec-WebSocket-Accept ------------------------------------------------------------


def test_rfc_6455_section_1_3_example_step_by_step() -> None:
    derivation = derive_accept(RFC_KEY)
    assert derivation.key == RFC_KEY
    assert derivation.guid == GUID == "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
    assert derivation.concatenated == RFC_KEY + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
    # The SHA-1 bytes RFC 6455 section 1.3 prints for this key.
    rfc_sha1 = bytes.fromhex("b3 7a 4f 2c c0 62 4f 16 90 f6 46 06 cf 38 59 45 b2 be c4 ea")
    assert derivation.sha1_digest == rfc_sha1
    assert derivation.sha1_hex == "b37a4f2cc0624f1690f64606cf385945b2bec4ea"
    assert derivation.accept == RFC_ACCEPT
    assert compute_accept(RFC_KEY) == RFC_ACCEPT


def test_check_accept_reports_match_mismatch_and_absence() -> None:
    good = check_accept(RFC_KEY, RFC_ACCEPT)
    assert good.ok and good.expected == RFC_ACCEPT and good.received == RFC_ACCEPT
    assert good.derivation.sha1_hex.startswith("b37a4f2c")
    bad = check_accept(RFC_KEY, RFC_ACCEPT.lower())
    assert not bad.ok and bad.expected == RFC_ACCEPT
    missing = check_accept(RFC_KEY, None)
    assert not missing.ok and missing.received is None


def test_generate_key_is_base64_of_16_fresh_bytes() -> None:
    keys = {generate_key() for _ in range(8)}
    assert len(keys) == 8
    for key in keys:
        assert len(base64.b64decode(key, validate=True)) == 16


@given(st.binary(min_size=16, max_size=16))
def test_any_16_byte_key_round_trips_and_matches_an_independent_implementation(
    raw_key: bytes,
) -> None:
    key = base64.b64encode(raw_key).decode("ascii")
    derivation = derive_accept(key)
    assert derivation.accept == websockets.utils.accept_key(key)
    assert base64.b64decode(derivation.accept) == derivation.sha1_digest
    assert derivation.sha1_digest == hashlib.sha1((key + GUID).encode()).digest()
    assert check_accept(key, derivation.accept).ok
    request = _parsed_request(build_client_request("h", key=key).raw)
    assert request.ok
    response = _parsed_response(build_client_request("h", key=key), build_server_response(request))
    assert response.ok and response.accept_check.received == derivation.accept


# --- building the client request -----------------------------------------------------


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
    request = _client(
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
    request = _client(
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
    parsed = _parsed_request(request.raw)
    assert any("appears 2 times" in p and "§11.3.1" in p for p in parsed.problems)
    assert any("Sec-WebSocket-Version header" in p for p in parsed.problems)


def test_overridden_offers_describe_what_is_on_the_wire() -> None:
    request = _client(
        subprotocols=["chat"],
        extra_headers=[("Sec-WebSocket-Protocol", "v2.json, v1.json")],
    )
    assert request.subprotocols == ("v2.json", "v1.json")
    broken = _client(extensions="permessage-deflate; =", subprotocols=["chat"])
    assert broken.extensions == ()
    assert broken.header("Sec-WebSocket-Extensions") == "permessage-deflate; ="


def test_extensions_given_as_a_string_are_sent_verbatim() -> None:
    value = "permessage-deflate; client_max_window_bits, x-webkit-deflate-frame"
    request = _client(extensions=value)
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


# --- reading the server's response -----------------------------------------------------


def test_good_response_all_at_once_keeps_trailing_frame_bytes() -> None:
    request = _client(subprotocols=["chat"], extensions=[PMD])
    head = _response(
        [
            *_good_headers(),
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


def test_response_fed_one_byte_at_a_time_completes_on_the_blank_line() -> None:
    request = _client()
    head = _response(_good_headers())
    parser = ResponseParser(request)
    results = [parser.feed(head[i : i + 1]) for i in range(len(head))]
    assert all(result is None for result in results[:-1])
    last = results[-1]
    assert isinstance(last, HandshakeResponse) and last.ok
    assert last.raw == head and last.trailing == b""
    assert last == parse_response(request, head)


def test_response_split_anywhere_gives_same_result_and_keeps_trailing() -> None:
    request = _client()
    data = _response(_good_headers()) + FRAME + b"\x88\x02\x03\xe8"
    expected = _parsed_response(request, data)
    assert expected.trailing == FRAME + b"\x88\x02\x03\xe8"
    for split in range(1, len(data)):
        parser = ResponseParser(request)
        first = parser.feed(data[:split])
        result = first if first is not None else parser.feed(data[split:])
        assert isinstance(result, HandshakeResponse)
        assert result.raw + result.trailing == data[: len(result.raw) + len(result.trailing)]
        assert result.raw == expected.raw and result.ok


def test_response_keeps_original_header_case_and_memoryview_input_works() -> None:
    head = (
        b"HTTP/1.1 101 Switching Protocols\r\n"
        b"UPGRADE: WebSocket\r\n"
        b"connection: keep-alive, upgrade\r\n"
        b"sec-websocket-accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"
        b"\r\n"
    )
    response = ResponseParser(_client()).feed(memoryview(head))
    assert isinstance(response, HandshakeResponse) and response.ok
    assert [name for name, _ in response.headers] == [
        "UPGRADE",
        "connection",
        "sec-websocket-accept",
    ]
    assert response.header("Sec-WebSocket-Accept") == RFC_ACCEPT


def test_status_other_than_101_is_the_one_problem_and_body_is_trailing() -> None:
    data = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"
    response = _parsed_response(_client(), data)
    assert not response.ok
    assert response.problems == ("status 200 OK, expected 101 Switching Protocols (RFC 6455 §4.1)",)
    assert response.trailing == b"hello"
    assert not response.accept_check.ok


def test_426_problem_names_the_versions_the_server_supports() -> None:
    data = build_error_response(426, headers=[("Sec-WebSocket-Version", "13, 8, 7")])
    response = _parsed_response(_client(), data)
    (problem,) = response.problems
    assert "426 Upgrade Required" in problem
    assert "supports Sec-WebSocket-Version 13, 8, 7" in problem and "§4.4" in problem


@pytest.mark.parametrize(
    ("offer", "headers", "expected"),
    [
        ({}, [("Connection", "Upgrade"), ("Sec-WebSocket-Accept", RFC_ACCEPT)], "no Upgrade"),
        (
            {},
            [("Upgrade", "h2c"), ("Connection", "Upgrade"), ("Sec-WebSocket-Accept", RFC_ACCEPT)],
            "Upgrade is 'h2c', expected 'websocket'",
        ),
        ({}, [("Upgrade", "websocket"), ("Sec-WebSocket-Accept", RFC_ACCEPT)], "no Connection"),
        (
            {},
            [
                ("Upgrade", "websocket"),
                ("Connection", "close"),
                ("Sec-WebSocket-Accept", RFC_ACCEPT),
            ],
            "must contain the token 'Upgrade'",
        ),
        ({}, _good_headers("d3JvbmcgYWNjZXB0IHZhbHVlIQ=="), f"expected {RFC_ACCEPT!r}"),
        ({}, _good_headers()[:2], "no Sec-WebSocket-Accept"),
        (
            {},
            [*_good_headers(), ("Sec-WebSocket-Accept", RFC_ACCEPT)],
            "Sec-WebSocket-Accept appears 2 times",
        ),
        (
            {"subprotocols": ["chat"]},
            [*_good_headers(), ("Sec-WebSocket-Protocol", "superchat")],
            "server chose subprotocol 'superchat', which the client did not offer",
        ),
        (
            {},
            [*_good_headers(), ("Sec-WebSocket-Protocol", "chat")],
            "server chose subprotocol 'chat' but the client offered none",
        ),
        (
            {"subprotocols": ["chat", "superchat"]},
            [*_good_headers(), ("Sec-WebSocket-Protocol", "chat, superchat")],
            "must choose exactly one subprotocol",
        ),
        (
            {"subprotocols": ["chat"]},
            [
                *_good_headers(),
                ("Sec-WebSocket-Protocol", "chat"),
                ("Sec-WebSocket-Protocol", "chat"),
            ],
            "Sec-WebSocket-Protocol appears 2 times",
        ),
        (
            {"extensions": [PMD]},
            [*_good_headers(), ("Sec-WebSocket-Extensions", "x-custom; a=1")],
            "server accepted extension 'x-custom', which the client did not offer",
        ),
        (
            {},
            [*_good_headers(), ("Sec-WebSocket-Extensions", "permessage-deflate")],
            "server accepted extension 'permessage-deflate' but the client offered no extensions",
        ),
        (
            {"extensions": [PMD]},
            [*_good_headers(), ("Sec-WebSocket-Extensions", "permessage-deflate; ;")],
            "Sec-WebSocket-Extensions 'permessage-deflate; ;' does not parse",
        ),
    ],
)
def test_each_response_problem_is_reported_with_its_rfc_section(
    offer: dict[str, object], headers: list[tuple[str, str]], expected: str
) -> None:
    request = _client(**offer)
    response = _parsed_response(request, _response(headers))
    assert not response.ok
    assert len(response.problems) == 1, response.problems
    assert expected in response.problems[0]
    assert "RFC 6455 §" in response.problems[0]
    assert validate_response(request, response) == list(response.problems)


def test_http_1_0_response_is_a_problem() -> None:
    data = _response(_good_headers()).replace(b"HTTP/1.1", b"HTTP/1.0", 1)
    response = _parsed_response(_client(), data)
    assert response.http_version == "1.0"
    assert response.problems and "HTTP/1.0 response" in response.problems[0]


def test_validate_response_against_another_request_catches_the_wrong_key() -> None:
    response = _parsed_response(_client(), _response(_good_headers()))
    other = build_client_request("server.example.com", key="AAAAAAAAAAAAAAAAAAAAAA==")
    problems = validate_response(other, response)
    assert len(problems) == 1 and RFC_ACCEPT in problems[0]
    assert compute_accept("AAAAAAAAAAAAAAAAAAAAAA==") in problems[0]


def test_response_can_be_checked_against_a_captured_request() -> None:
    captured = _parsed_request(_client(subprotocols=["chat"]).raw)
    data = _response([*_good_headers(), ("Sec-WebSocket-Protocol", "chat")])
    response = ResponseParser(captured).feed(data)
    assert isinstance(response, HandshakeResponse) and response.ok


def test_oversized_header_block_fails_instead_of_buffering_forever() -> None:
    parser = ResponseParser(_client(), max_header_size=256)
    data = b"HTTP/1.1 101 Switching Protocols\r\nX-Pad: " + b"a" * 300
    result = None
    for i in range(0, len(data), 7):
        result = parser.feed(data[i : i + 7])
        if result is not None:
            break
    assert isinstance(result, ParseFailure)
    assert result.kind is FailureKind.TOO_LARGE and not result.ok
    assert "over 256 bytes" in result.reason
    assert data.startswith(result.raw) and len(result.raw) > 256
    assert result.problems == (result.reason,)


def test_complete_but_oversized_header_block_fails_the_same_way() -> None:
    data = _response([*_good_headers(), ("X-Pad", "a" * 300)])
    result = parse_response(_client(), data, max_header_size=256)
    assert isinstance(result, ParseFailure) and result.kind is FailureKind.TOO_LARGE


def test_default_limit_is_64_kib() -> None:
    assert DEFAULT_MAX_HEADER_SIZE == 65536
    parser = ResponseParser(_client())
    assert parser.feed(b"HTTP/1.1 101 Switching Protocols\r\nX-Pad: " + b"a" * 65000) is None
    result = parser.feed(b"a" * 1000)
    assert isinstance(result, ParseFailure) and result.kind is FailureKind.TOO_LARGE


@pytest.mark.parametrize(
    ("data", "kind", "fragment"),
    [
        (b"\x00\x01\x02garbage\r\n\r\n", FailureKind.NOT_HTTP, "not HTTP"),
        (b"SSH-2.0-OpenSSH_9.6\r\n", FailureKind.NOT_HTTP, "SSH-2.0"),
        (b"\x15\x03\x03\x00\x02\x02\x46", FailureKind.NOT_HTTP, "looks like TLS"),
        (b"HTTP/1.1 abc\r\n\r\n", FailureKind.MALFORMED, "illegal status line"),
        (b"HTTP/1.1 101 OK\r\nno colon here\r\n\r\n", FailureKind.MALFORMED, "header"),
    ],
)
def test_bytes_that_are_not_a_response_give_a_reason_and_keep_raw(
    data: bytes, kind: FailureKind, fragment: str
) -> None:
    result = ResponseParser(_client()).feed(data)
    assert isinstance(result, ParseFailure)
    assert result.kind is kind and fragment in result.reason
    assert result.raw == data and not result.ok


def test_garbage_is_detected_from_its_first_byte() -> None:
    parser = ResponseParser(_client())
    assert parser.feed(b"H") is None
    result = parser.feed(b"X")
    assert isinstance(result, ParseFailure) and result.kind is FailureKind.NOT_HTTP
    assert result.raw == b"HX"


def test_eof_before_headers_end() -> None:
    partial = b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: webs"
    parser = ResponseParser(_client())
    assert parser.feed(partial) is None
    result = parser.feed_eof()
    assert isinstance(result, ParseFailure) and result.kind is FailureKind.EOF
    assert f"after {len(partial)} bytes" in result.reason and "§4.1" in result.reason
    assert result.raw == partial
    assert parser.feed_eof() is result


def test_eof_before_any_byte() -> None:
    result = ResponseParser(_client()).feed_eof()
    assert isinstance(result, ParseFailure) and result.kind is FailureKind.EOF
    assert "before any response byte" in result.reason and result.raw == b""


def test_empty_feed_is_not_eof_and_feeding_after_the_result_raises() -> None:
    parser = ResponseParser(_client())
    assert parser.feed(b"") is None
    response = parser.feed(_response(_good_headers()))
    assert isinstance(response, HandshakeResponse) and response.ok
    assert parser.feed_eof() is response
    with pytest.raises(LocalProtocolError):
        parser.feed(FRAME)


def test_max_header_size_must_be_positive() -> None:
    with pytest.raises(ValueError):
        ResponseParser(_client(), max_header_size=0)
    with pytest.raises(ValueError):
        RequestParser(max_header_size=-1)


# --- server side -------------------------------------------------------------------------

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


def test_round_trip_client_request_server_response_client_check() -> None:
    client = build_client_request(
        "localhost", 8765, "/echo", subprotocols=["v1.json", "v2.json"], extensions=[PMD]
    )
    server_view = _parsed_request(client.raw)
    assert server_view.ok and server_view.key == client.key
    chosen = ("permessage-deflate", (("client_max_window_bits", "12"),))
    answer = build_server_response(server_view, subprotocol="v2.json", extensions=[chosen])
    assert answer.startswith(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n")
    assert f"Sec-WebSocket-Accept: {compute_accept(client.key)}\r\n".encode() in answer
    response = _parsed_response(client, answer + FRAME)
    assert response.ok, response.problems
    assert response.subprotocol == "v2.json" and response.extensions == (chosen,)
    assert response.trailing == FRAME


def test_server_response_extra_headers_override_in_place() -> None:
    request = _parsed_request(BROWSER_REQUEST)
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
    client = build_client_request("server.example.com", 8080, key=RFC_KEY, subprotocols=["chat"])
    response = _parsed_response(client, answer)
    assert response.problems == (
        f"Sec-WebSocket-Accept is 'wrong', expected {RFC_ACCEPT!r} = "
        "base64(SHA-1(key + GUID)) (RFC 6455 §4.1)",
    )


def test_server_response_needs_a_key_unless_the_accept_is_supplied() -> None:
    request = _parsed_request(_client(extra_headers=[("Sec-WebSocket-Key", None)]).raw)
    assert request.key is None
    with pytest.raises(ValueError):
        build_server_response(request)
    answer = build_server_response(request, extra_headers=[("Sec-WebSocket-Accept", "x")])
    assert b"Sec-WebSocket-Accept: x\r\n" in answer


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (_client().raw.replace(b"GET", b"POST", 1), "method is 'POST'"),
        (_client(extra_headers=[("Sec-WebSocket-Key", None)]).raw, "no Sec-WebSocket-Key"),
        (
            _client(extra_headers=[("Sec-WebSocket-Version", "8")]).raw,
            "Sec-WebSocket-Version is '8', expected 13",
        ),
        (
            _client(extra_headers=[("Sec-WebSocket-Version", None)]).raw,
            "no Sec-WebSocket-Version",
        ),
        (
            _client(extra_headers=[("Sec-WebSocket-Key", "c2hvcnQ=")]).raw,
            "decodes to 5 bytes, not 16",
        ),
        (
            _client(extra_headers=[("Sec-WebSocket-Key", "not base64!!")]).raw,
            "is not valid base64",
        ),
        (_client(extra_headers=[("Upgrade", "h2c")]).raw, "Upgrade is 'h2c'"),
        (_client(extra_headers=[("Upgrade", None)]).raw, "no Upgrade header"),
        (_client(extra_headers=[("Connection", "keep-alive")]).raw, "token 'Upgrade'"),
        (
            _client(
                extra_headers=[("Sec-WebSocket-Version", "13"), ("Sec-WebSocket-Version", "13")]
            ).raw,
            "Sec-WebSocket-Version appears 2 times",
        ),
        (
            _client(extra_headers=[("Sec-WebSocket-Protocol", "a b")]).raw,
            "Sec-WebSocket-Protocol 'a b' is not a list of tokens",
        ),
        (
            _client(extensions="permessage-deflate; ;").raw,
            "Sec-WebSocket-Extensions 'permessage-deflate; ;' does not parse",
        ),
    ],
)
def test_bad_requests_are_recorded_not_raised(data: bytes, expected: str) -> None:
    request = _parsed_request(data)
    assert not request.ok
    assert len(request.problems) == 1, request.problems
    assert expected in request.problems[0] and "RFC 6455 §" in request.problems[0]


def test_http_1_0_request_without_host_has_both_problems() -> None:
    data = _client(extra_headers=[("Host", None)]).raw.replace(b"HTTP/1.1", b"HTTP/1.0", 1)
    request = _parsed_request(data)
    assert request.http_version == "1.0"
    assert [p.split(" (")[0] for p in request.problems] == [
        "HTTP/1.0 request, the opening handshake needs HTTP/1.1 or higher",
        "no Host header",
    ]


def test_http_1_1_request_without_host_is_malformed_with_the_rfc_reason() -> None:
    data = _client(extra_headers=[("Host", None)]).raw
    result = parse_request(data)
    assert isinstance(result, ParseFailure) and result.kind is FailureKind.MALFORMED
    assert "Host" in result.reason and "RFC 7230 §5.4" in result.reason
    assert result.raw == data


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        (b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", "TLS ClientHello"),
        (b"\r\nGET / HTTP/1.1\r\n", "not an HTTP request"),
        (b"G\x00T / HTTP/1.1\r\n", "not an HTTP request"),
    ],
)
def test_request_garbage_is_not_http(data: bytes, fragment: str) -> None:
    result = RequestParser().feed(data)
    assert isinstance(result, ParseFailure) and result.kind is FailureKind.NOT_HTTP
    assert fragment in result.reason and result.raw == data


def test_request_eof_and_size_limit() -> None:
    parser = RequestParser()
    assert parser.feed(b"GET /chat HTTP/1.1\r\nHost: x\r\n") is None
    eof = parser.feed_eof()
    assert isinstance(eof, ParseFailure) and eof.kind is FailureKind.EOF and "§4.2.1" in eof.reason
    big = parse_request(b"GET / HTTP/1.1\r\nX: " + b"a" * 200, max_header_size=100)
    assert isinstance(big, ParseFailure) and big.kind is FailureKind.TOO_LARGE


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


def test_error_response_is_read_by_the_client_as_a_refusal_with_its_body() -> None:
    body = "no Sec-WebSocket-Key header (RFC 6455 §4.2.1)"
    response = _parsed_response(_client(), build_error_response(400, body=body))
    assert response.status_code == 400 and response.reason == "Bad Request"
    assert response.trailing == body.encode()
    assert response.problems[0].startswith("status 400 Bad Request, expected 101")


# --- cross-checks with independent implementations -----------------------------------


def test_websockets_client_request_parses_cleanly_and_accepts_our_response() -> None:
    client = ClientProtocol(
        parse_uri("ws://[::1]:9000/path?q=1"),
        origin="http://example.com",  # type: ignore[arg-type]
        subprotocols=["chat"],  # type: ignore[list-item]
        extensions=[ClientPerMessageDeflateFactory()],
    )
    client.send_request(client.connect())
    request = _parsed_request(b"".join(client.data_to_send()))
    assert request.ok, request.problems
    assert request.header("Host") == "[::1]:9000" and request.target == "/path?q=1"
    assert request.key == client.key and request.subprotocols == ("chat",)
    assert [name for name, _ in request.extensions] == ["permessage-deflate"]

    accepted = ("permessage-deflate", (("client_max_window_bits", "15"),))
    client.receive_data(build_server_response(request, subprotocol="chat", extensions=[accepted]))
    client.receive_data(FRAME)
    assert client.handshake_exc is None
    assert client.state is WsState.OPEN
    assert client.subprotocol == "chat"
    events = client.events_received()
    assert events[0].status_code == 101  # type: ignore[union-attr]
    assert events[1].data == b"hello"  # type: ignore[union-attr]


def test_websockets_client_rejects_what_our_validator_rejects() -> None:
    client = ClientProtocol(parse_uri("ws://example.com/"), subprotocols=["chat"])  # type: ignore[list-item]
    client.send_request(client.connect())
    request = _parsed_request(b"".join(client.data_to_send()))
    answer = build_server_response(request, subprotocol="superchat")
    client.receive_data(answer)
    assert client.handshake_exc is not None
    ours = build_client_request("example.com", key=client.key, subprotocols=["chat"])
    response = _parsed_response(ours, answer)
    assert response.problems and "'superchat'" in response.problems[0]


def test_websockets_server_accepts_our_request_and_its_response_validates() -> None:
    ours = build_client_request(
        "::1", 9000, "/ws", subprotocols=["chat"], extensions=[PMD], origin="http://a.example"
    )
    server = ServerProtocol(
        subprotocols=["chat"],  # type: ignore[list-item]
        extensions=[ServerPerMessageDeflateFactory()],
    )
    server.receive_data(ours.raw)
    (event,) = server.events_received()
    assert server.handshake_exc is None
    answer = server.accept(event)  # type: ignore[arg-type]
    assert answer.status_code == 101
    server.send_response(answer)
    response = _parsed_response(ours, b"".join(server.data_to_send()))
    assert response.ok, response.problems
    assert response.subprotocol == "chat"
    assert [name for name, _ in response.extensions] == ["permessage-deflate"]


def test_wsproto_server_accepts_our_request_and_its_response_validates() -> None:
    ours = build_client_request(
        "example.com", 8080, "/chat?x=1", subprotocols=["chat", "superchat"], extensions=[PMD]
    )
    server = WSConnection(ConnectionType.SERVER)
    server.receive_data(ours.raw)
    (event,) = list(server.events())
    assert isinstance(event, WsprotoRequest)
    assert (event.host, event.target) == ("example.com:8080", "/chat?x=1")
    assert event.subprotocols == ["chat", "superchat"]
    answer = server.send(
        AcceptConnection(subprotocol="superchat", extensions=[PerMessageDeflate()])
    )
    assert server.state is ConnectionState.OPEN
    response = _parsed_response(ours, answer)
    assert response.ok, response.problems
    assert response.subprotocol == "superchat"
    assert [name for name, _ in response.extensions] == ["permessage-deflate"]


def test_wsproto_client_request_parses_cleanly_and_accepts_our_response() -> None:
    client = WSConnection(ConnectionType.CLIENT)
    data = client.send(WsprotoRequest(host="example.com", target="/chat", subprotocols=["chat"]))
    request = _parsed_request(data)
    assert request.ok, request.problems
    client.receive_data(build_server_response(request, subprotocol="chat"))
    (event,) = list(client.events())
    assert isinstance(event, AcceptConnection) and event.subprotocol == "chat"
    assert client.state is ConnectionState.OPEN


# --- robustness --------------------------------------------------------------------------

_VALID_RESPONSE = _response([*_good_headers(), ("Sec-WebSocket-Protocol", "chat")]) + FRAME


@st.composite
def _wire_bytes(draw: st.DrawFn, valid: bytes) -> bytes:
    """Random bytes, or a valid message with a random slice replaced."""
    if draw(st.booleans()):
        return draw(st.binary(max_size=200))
    start = draw(st.integers(0, len(valid)))
    end = draw(st.integers(start, len(valid)))
    return valid[:start] + draw(st.binary(max_size=12)) + valid[end:]


def _chunks(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({c % (len(data) + 1) for c in cuts} | {0, len(data)})
    return [data[a:b] for a, b in itertools.pairwise(points)]


_FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@_FUZZ
@given(_wire_bytes(_VALID_RESPONSE), st.lists(st.integers(0, 400), max_size=6))
def test_response_parser_never_raises_and_keeps_every_byte(data: bytes, cuts: list[int]) -> None:
    parser = ResponseParser(_client(subprotocols=["chat"]), max_header_size=1024)
    result = None
    fed = b""
    for chunk in _chunks(data, cuts):
        fed += chunk
        result = parser.feed(chunk)
        if result is not None:
            break
    if result is None:
        result = parser.feed_eof()
    assert isinstance(result, HandshakeResponse | ParseFailure)
    assert result.ok == (not result.problems)
    if isinstance(result, HandshakeResponse):
        assert result.raw + result.trailing == fed
        assert result.raw.endswith(b"\n\n") or result.raw.endswith(b"\n\r\n")
    else:
        assert result.raw == fed and result.reason


@_FUZZ
@given(_wire_bytes(BROWSER_REQUEST), st.lists(st.integers(0, 400), max_size=6))
def test_request_parser_never_raises_and_keeps_every_byte(data: bytes, cuts: list[int]) -> None:
    parser = RequestParser(max_header_size=1024)
    result = None
    fed = b""
    for chunk in _chunks(data, cuts):
        fed += chunk
        result = parser.feed(chunk)
        if result is not None:
            break
    if result is None:
        result = parser.feed_eof()
    assert isinstance(result, HandshakeRequest | ParseFailure)
    assert result.ok == (not result.problems)
    if isinstance(result, HandshakeRequest):
        assert result.raw + result.trailing == fed
    else:
        assert result.raw == fed and result.reason


_FIELD_TEXT = (
    st.text(
        alphabet=st.characters(min_codepoint=0x20, max_codepoint=0xFF, exclude_characters="\x7f"),
        min_size=1,
        max_size=30,
    )
    .map(str.strip)
    .filter(bool)
)


@_FUZZ
@given(
    st.lists(
        st.tuples(st.from_regex(r"X-[A-Za-z0-9-]{1,10}", fullmatch=True), _FIELD_TEXT), max_size=5
    )
)
def test_extra_headers_survive_a_trip_through_the_request_parser(
    extra: list[tuple[str, str]],
) -> None:
    sent = _client(extra_headers=extra)
    received = _parsed_request(sent.raw)
    assert received.ok
    assert received.headers == sent.headers
    assert received.raw == sent.raw


def test_split_head_shows_any_head_as_sent() -> None:
    from inspector.protocol.handshake import split_head

    raw = b"HTTP/1.1 200 OK\r\nX-A:  1 \r\nbad line\r\n\r\nbody: not a header"
    assert split_head(raw) == ("HTTP/1.1 200 OK", (("X-A", "1"), ("bad line", "")))
    assert split_head(b"") == ("", ())
    assert split_head(b"\xff\xfe") == ("\xff\xfe", ())
