"""Tests of the handshake's header value grammars (inspector.protocol.headers)."""

from __future__ import annotations

import pytest

from inspector.protocol.headers import (
    TCHARS,
    HeaderParseError,
    format_extensions,
    is_token,
    parse_extensions,
    parse_token_list,
)


def test_tokens() -> None:
    assert is_token("chat.v1") and is_token("x-Custom_1~")
    assert not is_token("") and not is_token("a b") and not is_token("v1/json")
    assert not is_token("caf\u00e9") and "/" not in TCHARS and "~" in TCHARS


def test_token_lists_allow_empty_elements() -> None:
    assert parse_token_list("chat, superchat") == ["chat", "superchat"]
    assert parse_token_list(" , a,,b ,") == ["a", "b"]
    assert parse_token_list("") == []
    with pytest.raises(HeaderParseError) as info:
        parse_token_list("a b")
    assert (info.value.pos, info.value.expected) == (2, "expected ','")


def test_extensions_parse_and_format_back() -> None:
    value = 'permessage-deflate; client_max_window_bits, x-foo; a=1; b="q \\"x\\""'
    offers = parse_extensions(value)
    assert offers == [
        ("permessage-deflate", (("client_max_window_bits", None),)),
        ("x-foo", (("a", "1"), ("b", 'q "x"'))),
    ]
    assert format_extensions(offers[:1]) == "permessage-deflate; client_max_window_bits"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("permessage-deflate; ;", "expected a token"),
        ('x; a="open', "unterminated quoted string"),
        ("x y", "expected ',' or ';'"),
    ],
)
def test_a_malformed_extension_value_says_where(value: str, expected: str) -> None:
    with pytest.raises(HeaderParseError) as info:
        parse_extensions(value)
    assert info.value.expected == expected and info.value.value == value
    assert f"at position {info.value.pos}" in str(info.value)
