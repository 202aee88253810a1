"""Header fields as both sides of the handshake read and write them.

Header values are decoded as ISO-8859-1 (RFC 7230 section 3.2.4), which maps each byte
to one character, so nothing a peer sent is lost and ``value.encode("latin-1")`` gives
the bytes back. Problems are :class:`~inspector.protocol.violations.Violation` records
whose ``offset`` is the position of the header line in the raw header block.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..headers import (
    ExtensionOffer,
    HeaderParseError,
    is_token,
    parse_extensions,
    parse_token_list,
)
from ..violations import Rule, Violation

__all__ = [
    "HeaderList",
    "HeaderLookup",
    "HeaderOverrides",
    "check_name",
    "check_value",
    "comma_items",
    "connection_problem",
    "header_offset",
    "merge_headers",
    "parse_extension_values",
    "parse_subprotocols",
    "serialize",
    "split_head",
    "upgrade_problem",
    "values",
    "version_tuple",
]

#: Header fields in wire order, as ``(name, value)`` with the name's original case.
HeaderList = tuple[tuple[str, str], ...]
#: Caller-supplied headers; a value of ``None`` removes a generated header.
HeaderOverrides = Sequence[tuple[str, str | None]]


def values(headers: HeaderList, name: str) -> tuple[str, ...]:
    lname = name.lower()
    return tuple(value for hname, value in headers if hname.lower() == lname)


class HeaderLookup:
    """Case-insensitive header lookup for the messages that have ``headers``."""

    __slots__ = ()
    headers: HeaderList

    def header(self, name: str) -> str | None:
        """The first value of header ``name`` (case-insensitive), or ``None``."""
        found = values(self.headers, name)
        return found[0] if found else None

    def header_values(self, name: str) -> tuple[str, ...]:
        """Every value of header ``name`` (case-insensitive), in order."""
        return values(self.headers, name)


def header_offset(raw: bytes, name: str, occurrence: int = 0) -> int | None:
    """Where the ``occurrence``-th (from 0) header line called ``name`` starts in the
    raw header block, or ``None`` if there is no such line."""
    lowered = raw.lower()
    needle = b"\n" + name.lower().encode("latin-1") + b":"
    at = -1
    for _ in range(occurrence + 1):
        at = lowered.find(needle, at + 1)
        if at < 0:
            return None
    return at + 1


def comma_items(found: Sequence[str]) -> list[str]:
    # Upgrade values are "protocol[/version]" and '/' is not a token character, so
    # parse_token_list would reject legal values; a plain comma split is all the
    # "does it contain X" checks need.
    return [item.strip() for value in found for item in value.split(",") if item.strip()]


def upgrade_problem(raw: bytes, headers: HeaderList, rule: Rule) -> Violation | None:
    found = values(headers, "upgrade")
    if not found:
        return Violation(rule, "no Upgrade header, expected 'Upgrade: websocket'")
    if not any(item.lower() == "websocket" for item in comma_items(found)):
        return Violation(
            rule,
            f"Upgrade is {', '.join(found)!r}, expected 'websocket'",
            header_offset(raw, "upgrade"),
        )
    return None


def connection_problem(raw: bytes, headers: HeaderList, rule: Rule) -> Violation | None:
    found = values(headers, "connection")
    if not found:
        return Violation(rule, "no Connection header, expected 'Connection: Upgrade'")
    if not any(item.lower() == "upgrade" for item in comma_items(found)):
        return Violation(
            rule,
            f"Connection is {', '.join(found)!r}, it must contain the token 'Upgrade'",
            header_offset(raw, "connection"),
        )
    return None


def parse_subprotocols(raw: bytes, headers: HeaderList) -> tuple[tuple[str, ...], list[Violation]]:
    protocols: list[str] = []
    errors: list[Violation] = []
    for index, value in enumerate(values(headers, "sec-websocket-protocol")):
        try:
            protocols.extend(parse_token_list(value))
        except HeaderParseError as exc:
            errors.append(
                Violation(
                    Rule.SUBPROTOCOL_SYNTAX,
                    f"Sec-WebSocket-Protocol {value!r} is not a list of tokens: {exc} "
                    "(RFC 6455 §11.3.4)",
                    header_offset(raw, "sec-websocket-protocol", index),
                )
            )
    return tuple(protocols), errors


def parse_extension_values(
    raw: bytes, headers: HeaderList
) -> tuple[tuple[ExtensionOffer, ...], list[Violation]]:
    offers: list[ExtensionOffer] = []
    errors: list[Violation] = []
    for index, value in enumerate(values(headers, "sec-websocket-extensions")):
        try:
            offers.extend(parse_extensions(value))
        except HeaderParseError as exc:
            errors.append(
                Violation(
                    Rule.EXTENSIONS_SYNTAX,
                    f"Sec-WebSocket-Extensions {value!r} does not parse: {exc}",
                    header_offset(raw, "sec-websocket-extensions", index),
                )
            )
    return tuple(offers), errors


def version_tuple(version: str) -> tuple[int, int]:
    major, _, minor = version.partition(".")
    try:
        return int(major), int(minor or "0")
    except ValueError:
        return (0, 0)


def check_name(name: str) -> None:
    if not name.isascii() or not is_token(name):
        raise ValueError(f"header name {name!r} is not an HTTP token (RFC 7230 §3.2)")


def check_value(what: str, value: str) -> None:
    # CR or LF would end the field early and let the value inject headers of its own;
    # a deliberately broken request needs raw bytes, not this builder.
    if any(ch in value for ch in "\r\n\0"):
        raise ValueError(f"{what} {value!r} contains CR, LF or NUL")
    try:
        value.encode("latin-1")
    except UnicodeEncodeError:
        raise ValueError(f"{what} {value!r} has characters outside ISO-8859-1") from None


def merge_headers(
    generated: Sequence[tuple[str, str]], extra: HeaderOverrides
) -> list[tuple[str, str]]:
    """Apply the caller's headers to the generated ones.

    The first extra header whose name (case-insensitively) matches a generated one
    takes that header's place, spelled as the caller spelled it, or removes it if its
    value is ``None``; any other extra header, including a second one of the same
    name, is appended in the caller's order.
    """
    merged: list[tuple[str, str] | None] = list(generated)
    slots = {name.lower(): index for index, (name, _) in enumerate(generated)}
    for name, value in extra:
        check_name(name)
        if value is not None:
            check_value(f"header {name}", value)
        index = slots.pop(name.lower(), None)
        if index is not None:
            merged[index] = None if value is None else (name, value)
        elif value is not None:
            merged.append((name, value))
    return [item for item in merged if item is not None]


def serialize(start_line: str, headers: Sequence[tuple[str, str]]) -> bytes:
    lines = [start_line, *(f"{name}: {value}" for name, value in headers), "", ""]
    return "\r\n".join(lines).encode("latin-1")


def split_head(raw: bytes) -> tuple[str, HeaderList]:
    """The start line and the headers of a raw header block, as they are, for display.

    Unlike the parsers this never judges: it is for showing any bytes that were sent or
    received (even a malformed head) as a start line and name/value pairs.
    """
    if not raw:
        return "", ()
    lines = raw.decode("latin-1").split("\r\n")
    headers = []
    for line in lines[1:]:
        if not line:
            break
        name, _, value = line.partition(":")
        headers.append((name.strip(), value.strip()))
    return lines[0], tuple(headers)
