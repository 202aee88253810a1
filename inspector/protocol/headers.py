"""Parsing and formatting of the header values the opening handshake uses.

The grammars come from RFC 6455 section 4.3 (``Sec-WebSocket-Extensions``,
``Sec-WebSocket-Protocol``) and RFC 7230 section 3.2.6 (tokens and quoted strings).
Parsing is tolerant where it can be: a malformed value raises
:class:`HeaderParseError` with the position where it broke, so that a caller can
record *why* a peer's header is wrong instead of crashing.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

__all__ = [
    "TCHARS",
    "ExtensionOffer",
    "HeaderParseError",
    "format_extension",
    "format_extensions",
    "is_token",
    "parse_extensions",
    "parse_token_list",
]

# RFC 7230 section 3.2.6: tchar = "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" / "."
#  / "^" / "_" / "`" / "|" / "~" / DIGIT / ALPHA
TCHARS = frozenset("!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")


def is_token(text: str) -> bool:
    """True for a non-empty HTTP token (RFC 7230 section 3.2.6): a header name, a
    subprotocol name, a request method."""
    return bool(text) and all(ch in TCHARS for ch in text)


ExtensionParams = tuple[tuple[str, str | None], ...]
#: One extension as offered or accepted: its name and its parameters in order.
ExtensionOffer = tuple[str, ExtensionParams]


class HeaderParseError(ValueError):
    """A header value does not follow its grammar."""

    def __init__(self, value: str, pos: int, expected: str) -> None:
        super().__init__(f"{expected} at position {pos} in {value!r}")
        self.value = value
        self.pos = pos
        self.expected = expected


def _skip_ows(value: str, pos: int) -> int:
    while pos < len(value) and value[pos] in " \t":
        pos += 1
    return pos


def _token(value: str, pos: int) -> tuple[str, int]:
    start = pos
    while pos < len(value) and value[pos] in TCHARS:
        pos += 1
    if pos == start:
        raise HeaderParseError(value, pos, "expected a token")
    return value[start:pos], pos


def _quoted_string(value: str, pos: int) -> tuple[str, int]:
    # Caller has checked value[pos] == '"'.
    pos += 1
    out: list[str] = []
    while pos < len(value):
        ch = value[pos]
        if ch == '"':
            return "".join(out), pos + 1
        if ch == "\\":
            pos += 1
            if pos >= len(value):
                break
            ch = value[pos]
        out.append(ch)
        pos += 1
    raise HeaderParseError(value, pos, "unterminated quoted string")


def parse_token_list(value: str) -> list[str]:
    """Parse a comma-separated list of tokens such as ``Connection`` or
    ``Sec-WebSocket-Protocol`` (empty elements are allowed, RFC 7230 section 7)."""
    tokens: list[str] = []
    pos = 0
    while pos < len(value):
        pos = _skip_ows(value, pos)
        if pos < len(value) and value[pos] == ",":
            pos += 1
            continue
        if pos >= len(value):
            break
        token, pos = _token(value, pos)
        tokens.append(token)
        pos = _skip_ows(value, pos)
        if pos < len(value):
            if value[pos] != ",":
                raise HeaderParseError(value, pos, "expected ','")
            pos += 1
    return tokens


def parse_extensions(value: str) -> list[ExtensionOffer]:
    """Parse a ``Sec-WebSocket-Extensions`` value (RFC 6455 section 9.1).

    ``"permessage-deflate; client_max_window_bits, x-foo; a=1"`` gives
    ``[("permessage-deflate", (("client_max_window_bits", None),)), ("x-foo", (("a", "1"),))]``.
    Parameter values may be tokens or quoted strings; quotes are removed.
    """
    result: list[ExtensionOffer] = []
    pos = 0
    while pos < len(value):
        pos = _skip_ows(value, pos)
        if pos < len(value) and value[pos] == ",":
            pos += 1
            continue
        if pos >= len(value):
            break
        name, pos = _token(value, pos)
        params: list[tuple[str, str | None]] = []
        pos = _skip_ows(value, pos)
        while pos < len(value) and value[pos] == ";":
            pos = _skip_ows(value, pos + 1)
            pname, pos = _token(value, pos)
            pos = _skip_ows(value, pos)
            pvalue: str | None = None
            if pos < len(value) and value[pos] == "=":
                pos = _skip_ows(value, pos + 1)
                if pos < len(value) and value[pos] == '"':
                    pvalue, pos = _quoted_string(value, pos)
                else:
                    pvalue, pos = _token(value, pos)
                pos = _skip_ows(value, pos)
            params.append((pname, pvalue))
        result.append((name, tuple(params)))
        if pos < len(value):
            if value[pos] != ",":
                raise HeaderParseError(value, pos, "expected ',' or ';'")
            pos += 1
    return result


def format_extension(name: str, params: Iterable[tuple[str, str | None]] = ()) -> str:
    """Format one extension offer: ``format_extension("permessage-deflate",
    [("client_max_window_bits", None)])`` -> ``"permessage-deflate; client_max_window_bits"``."""
    parts = [name]
    for pname, pvalue in params:
        parts.append(pname if pvalue is None else f"{pname}={pvalue}")
    return "; ".join(parts)


def format_extensions(offers: Sequence[ExtensionOffer]) -> str:
    """Format several extension offers as one header value."""
    return ", ".join(format_extension(name, params) for name, params in offers)
