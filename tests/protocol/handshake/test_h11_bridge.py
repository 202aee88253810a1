"""Tests of the h11 bridge (protocol.handshake.h11_bridge): reading a request or a
response in any chunks, keeping every byte, and the failures that are not HTTP."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from inspector.protocol.handshake import (
    DEFAULT_MAX_HEADER_SIZE,
    FailureKind,
    HandshakeRequest,
    HandshakeResponse,
    ParseFailure,
    RequestParser,
    ResponseParser,
    parse_request,
    parse_response,
)
from inspector.protocol.violations import LocalProtocolError, Rule

from .conftest import (
    BROWSER_REQUEST,
    FRAME,
    RFC_ACCEPT,
    client,
    good_headers,
    parsed_request,
    parsed_response,
    response_bytes,
)

NOT_HTTP = Rule.HANDSHAKE_NOT_HTTP
MALFORMED = Rule.HANDSHAKE_MALFORMED


# --- responses ---------------------------------------------------------------------------


def test_response_fed_one_byte_at_a_time_completes_on_the_blank_line() -> None:
    request = client()
    head = response_bytes(good_headers())
    parser = ResponseParser(request)
    results = [parser.feed(head[i : i + 1]) for i in range(len(head))]
    assert all(result is None for result in results[:-1])
    last = results[-1]
    assert isinstance(last, HandshakeResponse) and last.ok
    assert last.raw == head and last.trailing == b""
    assert last == parse_response(request, head)


def test_response_split_anywhere_gives_same_result_and_keeps_trailing() -> None:
    request = client()
    data = response_bytes(good_headers()) + FRAME + b"\x88\x02\x03\xe8"
    expected = parsed_response(request, data)
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
    response = ResponseParser(client()).feed(memoryview(head))
    assert isinstance(response, HandshakeResponse) and response.ok
    assert [name for name, _ in response.headers] == [
        "UPGRADE",
        "connection",
        "sec-websocket-accept",
    ]
    assert response.header("Sec-WebSocket-Accept") == RFC_ACCEPT


def test_oversized_header_block_fails_instead_of_buffering_forever() -> None:
    parser = ResponseParser(client(), max_header_size=256)
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
    (problem,) = result.problems
    assert problem.rule is Rule.HEADERS_TOO_LARGE and problem.rfc == "RFC 7230 §3.2.5"
    assert result.reason == f"{problem.message} (max_header_size; RFC 7230 §3.2.5)"


def test_complete_but_oversized_header_block_fails_the_same_way() -> None:
    data = response_bytes([*good_headers(), ("X-Pad", "a" * 300)])
    result = parse_response(client(), data, max_header_size=256)
    assert isinstance(result, ParseFailure) and result.kind is FailureKind.TOO_LARGE


def test_default_limit_is_64_kib() -> None:
    assert DEFAULT_MAX_HEADER_SIZE == 65536
    parser = ResponseParser(client())
    assert parser.feed(b"HTTP/1.1 101 Switching Protocols\r\nX-Pad: " + b"a" * 65000) is None
    result = parser.feed(b"a" * 1000)
    assert isinstance(result, ParseFailure) and result.kind is FailureKind.TOO_LARGE


@pytest.mark.parametrize(
    ("data", "kind", "rule", "fragment"),
    [
        (b"\x00\x01\x02garbage\r\n\r\n", FailureKind.NOT_HTTP, NOT_HTTP, "not HTTP"),
        (b"SSH-2.0-OpenSSH_9.6\r\n", FailureKind.NOT_HTTP, NOT_HTTP, "SSH-2.0"),
        (b"\x15\x03\x03\x00\x02\x02\x46", FailureKind.NOT_HTTP, NOT_HTTP, "looks like TLS"),
        (b"HTTP/1.1 abc\r\n\r\n", FailureKind.MALFORMED, MALFORMED, "illegal status line"),
        (b"HTTP/1.1 101 OK\r\nno colon here\r\n\r\n", FailureKind.MALFORMED, MALFORMED, "header"),
    ],
)
def test_bytes_that_are_not_a_response_give_a_reason_and_keep_raw(
    data: bytes, kind: FailureKind, rule: Rule, fragment: str
) -> None:
    result = ResponseParser(client()).feed(data)
    assert isinstance(result, ParseFailure)
    assert result.kind is kind and fragment in result.reason
    assert result.raw == data and not result.ok
    (problem,) = result.problems
    assert problem.rule is rule and fragment in problem.message


def test_garbage_is_detected_from_its_first_byte() -> None:
    parser = ResponseParser(client())
    assert parser.feed(b"H") is None
    result = parser.feed(b"X")
    assert isinstance(result, ParseFailure) and result.kind is FailureKind.NOT_HTTP
    assert result.raw == b"HX"


def test_eof_before_headers_end() -> None:
    partial = b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: webs"
    parser = ResponseParser(client())
    assert parser.feed(partial) is None
    result = parser.feed_eof()
    assert isinstance(result, ParseFailure) and result.kind is FailureKind.EOF
    assert f"after {len(partial)} bytes" in result.reason and "§4.1" in result.reason
    assert result.raw == partial
    assert [p.rule for p in result.problems] == [Rule.HANDSHAKE_INCOMPLETE]
    assert parser.feed_eof() is result


def test_a_timeout_mid_headers_keeps_the_partial_response() -> None:
    """Issue 9 item 8: a server that sends one header line per second and never ends
    its header block; the caller gives up and the bytes so far are the record."""
    partial = b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
    parser = ResponseParser(client())
    assert parser.feed(partial) is None
    result = parser.feed_timeout(10)
    assert isinstance(result, ParseFailure) and result.kind is FailureKind.TIMEOUT
    assert result.raw == partial
    (problem,) = result.problems
    assert problem.rule is Rule.HANDSHAKE_INCOMPLETE
    assert problem.message == (
        f"{len(partial)} bytes of the response arrived within 10 s, "
        "but not the end of its header block (the blank line)"
    )
    assert parser.feed_timeout(11) is result
    # A measured wait reads as a person would say it.
    measured = ResponseParser(client())
    measured.feed(partial)
    late = measured.feed_timeout(2.49407)
    assert isinstance(late, ParseFailure)
    assert "arrived within 2.5 s, but" in late.problems[0].message
    done = ResponseParser(client())
    response = done.feed(response_bytes(good_headers()))
    assert done.feed_timeout(1) is response


def test_eof_before_any_byte() -> None:
    result = ResponseParser(client()).feed_eof()
    assert isinstance(result, ParseFailure) and result.kind is FailureKind.EOF
    assert "before any response byte" in result.reason and result.raw == b""


def test_empty_feed_is_not_eof_and_feeding_after_the_result_raises() -> None:
    parser = ResponseParser(client())
    assert parser.feed(b"") is None
    response = parser.feed(response_bytes(good_headers()))
    assert isinstance(response, HandshakeResponse) and response.ok
    assert parser.feed_eof() is response
    with pytest.raises(LocalProtocolError):
        parser.feed(FRAME)


def test_max_header_size_must_be_positive() -> None:
    with pytest.raises(ValueError):
        ResponseParser(client(), max_header_size=0)
    with pytest.raises(ValueError):
        RequestParser(max_header_size=-1)


# --- requests ----------------------------------------------------------------------------


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
    assert [p.rule for p in result.problems] == [NOT_HTTP]


def test_request_eof_and_size_limit() -> None:
    parser = RequestParser()
    assert parser.feed(b"GET /chat HTTP/1.1\r\nHost: x\r\n") is None
    eof = parser.feed_eof()
    assert isinstance(eof, ParseFailure) and eof.kind is FailureKind.EOF and "§4.2.1" in eof.reason
    big = parse_request(b"GET / HTTP/1.1\r\nX: " + b"a" * 200, max_header_size=100)
    assert isinstance(big, ParseFailure) and big.kind is FailureKind.TOO_LARGE


# --- robustness --------------------------------------------------------------------------

_VALID_RESPONSE = response_bytes([*good_headers(), ("Sec-WebSocket-Protocol", "chat")]) + FRAME


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
    parser = ResponseParser(client(subprotocols=["chat"]), max_header_size=1024)
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
    sent = client(extra_headers=extra)
    received = parsed_request(sent.raw)
    assert received.ok
    assert received.headers == sent.headers
    assert received.raw == sent.raw
