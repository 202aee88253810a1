"""Tests of the header helpers both sides of the handshake share
(protocol.handshake.fields)."""

from __future__ import annotations

import pytest

from inspector.protocol.handshake import split_head
from inspector.protocol.handshake.fields import header_offset, merge_headers, values


def test_header_offset_finds_the_line_of_any_occurrence() -> None:
    raw = b"GET / HTTP/1.1\r\nHost: a\r\nX-K: 1\r\nx-k: 2\r\n\r\n"
    assert header_offset(raw, "host") == raw.index(b"Host")
    assert header_offset(raw, "X-K") == raw.index(b"X-K")
    assert header_offset(raw, "x-k", 1) == raw.index(b"x-k")
    assert header_offset(raw, "x-k", 2) is None
    assert header_offset(raw, "origin") is None
    # A value that looks like a header name is not a header line.
    assert header_offset(b"GET / HTTP/1.1\r\nX: Host: no\r\n\r\n", "host") is None


def test_values_are_found_case_insensitively_in_order() -> None:
    headers = (("A", "1"), ("b", "2"), ("a", "3"))
    assert values(headers, "a") == ("1", "3") and values(headers, "C") == ()


def test_merge_headers_replaces_in_place_removes_and_appends() -> None:
    generated = [("Host", "h"), ("Upgrade", "websocket")]
    merged = merge_headers(generated, [("upgrade", "h2c"), ("Host", None), ("X", "1")])
    assert merged == [("upgrade", "h2c"), ("X", "1")]
    with pytest.raises(ValueError):
        merge_headers(generated, [("Bad Name", "1")])


def test_split_head_shows_any_head_as_sent() -> None:
    raw = b"HTTP/1.1 200 OK\r\nX-A:  1 \r\nbad line\r\n\r\nbody: not a header"
    assert split_head(raw) == ("HTTP/1.1 200 OK", (("X-A", "1"), ("bad line", "")))
    assert split_head(b"") == ("", ())
    assert split_head(b"\xff\xfe") == ("\xff\xfe", ())
