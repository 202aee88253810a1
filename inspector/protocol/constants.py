"""Names for the numbers RFC 6455 puts on the wire: opcodes, close codes, roles, states."""

from __future__ import annotations

import enum

__all__ = [
    "DEFAULT_MAX_FRAME_SIZE",
    "DEFAULT_MAX_MESSAGE_SIZE",
    "GUID",
    "CloseCode",
    "ConnectionState",
    "Opcode",
    "Role",
    "close_code_meaning",
    "close_code_name",
    "describe_close",
    "is_valid_close_code",
    "opcode_name",
]

#: Limits on what one frame, and one reassembled (inflated) message, may hold; past
#: them the rest is skipped and recorded, never buffered. One definition for the
#: protocol, the engine, the command line and the window.
DEFAULT_MAX_FRAME_SIZE = 64 * 2**20
DEFAULT_MAX_MESSAGE_SIZE = 64 * 2**20

#: The GUID RFC 6455 section 1.3 appends to the key to compute Sec-WebSocket-Accept.
GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


class Role(enum.Enum):
    """Which end of the connection an endpoint is; it decides who masks (section 5.1)."""

    CLIENT = "client"
    SERVER = "server"

    @property
    def peer(self) -> Role:
        return Role.SERVER if self is Role.CLIENT else Role.CLIENT


class ConnectionState(enum.Enum):
    """Where a connection is in its life (RFC 6455 sections 4 and 7): the one state
    name of the protocol, the engine and the capture. The protocol object exists only
    once the handshake succeeded, so it is never CONNECTING; a connection is."""

    CONNECTING = "connecting"
    OPEN = "open"
    CLOSING = "closing"
    CLOSED = "closed"


class Opcode(enum.IntEnum):
    """Frame opcodes (RFC 6455 section 5.2 and 11.8); 3-7 and 11-15 are reserved."""

    CONT = 0x0
    TEXT = 0x1
    BINARY = 0x2
    RESERVED_3 = 0x3
    RESERVED_4 = 0x4
    RESERVED_5 = 0x5
    RESERVED_6 = 0x6
    RESERVED_7 = 0x7
    CLOSE = 0x8
    PING = 0x9
    PONG = 0xA
    RESERVED_B = 0xB
    RESERVED_C = 0xC
    RESERVED_D = 0xD
    RESERVED_E = 0xE
    RESERVED_F = 0xF

    @property
    def is_control(self) -> bool:
        return self >= 0x8

    @property
    def is_reserved(self) -> bool:
        return self not in _DEFINED_OPCODES


_DEFINED_OPCODES = frozenset({0x0, 0x1, 0x2, 0x8, 0x9, 0xA})
_OPCODE_NAMES = {
    0x0: "CONT",
    0x1: "TEXT",
    0x2: "BINARY",
    0x8: "CLOSE",
    0x9: "PING",
    0xA: "PONG",
}
_OPCODE_NAME_TABLE = tuple(_OPCODE_NAMES.get(i, f"RESERVED_{i:X}") for i in range(16))


def opcode_name(opcode: int) -> str:
    """``1`` -> ``"TEXT"``, ``3`` -> ``"RESERVED_3"``; cheaper than building an Opcode."""
    return _OPCODE_NAME_TABLE[opcode & 0xF]


class CloseCode(enum.IntEnum):
    """Close status codes (RFC 6455 section 7.4.1 and the IANA registry, section 11.7)."""

    NORMAL_CLOSURE = 1000
    GOING_AWAY = 1001
    PROTOCOL_ERROR = 1002
    UNSUPPORTED_DATA = 1003
    RESERVED = 1004
    NO_STATUS_RCVD = 1005
    ABNORMAL_CLOSURE = 1006
    INVALID_FRAME_PAYLOAD_DATA = 1007
    POLICY_VIOLATION = 1008
    MESSAGE_TOO_BIG = 1009
    MANDATORY_EXTENSION = 1010
    INTERNAL_ERROR = 1011
    SERVICE_RESTART = 1012
    TRY_AGAIN_LATER = 1013
    BAD_GATEWAY = 1014
    TLS_HANDSHAKE = 1015


_CLOSE_MEANINGS = {
    1000: "Normal closure: the purpose of the connection was fulfilled",
    1001: "Going away: the endpoint is leaving (server shutdown, page navigated away)",
    1002: "Protocol error: the endpoint saw a frame that breaks RFC 6455",
    1003: "Unsupported data: the endpoint cannot accept this type of data",
    1004: "Reserved: must not be sent",
    1005: "No status received: set locally when a close frame had no code; never sent",
    1006: "Abnormal closure: the connection dropped without a close frame; never sent",
    1007: "Invalid frame payload data: e.g. a text message that is not UTF-8",
    1008: "Policy violation: the message breaks the endpoint's policy",
    1009: "Message too big: the endpoint cannot process a message this large",
    1010: "Mandatory extension: the client expected the server to negotiate an extension",
    1011: "Internal error: the server met an unexpected condition",
    1012: "Service restart: the server is restarting (IANA registry)",
    1013: "Try again later: the server is overloaded (IANA registry)",
    1014: "Bad gateway: a gateway received an invalid response (IANA registry)",
    1015: "TLS handshake failure: set locally; never sent",
}

# Section 7.4.1 says 1004, 1005, 1006 and 1015 must not appear on the wire; 1016-2999
# are reserved for future RFCs and the IANA registry holds nothing there yet.
_WIRE_VALID = frozenset({1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014})


def is_valid_close_code(code: int) -> bool:
    """True for a code that may be sent in a close frame (sections 7.4.1, 7.4.2)."""
    return code in _WIRE_VALID or 3000 <= code <= 4999


def close_code_meaning(code: int) -> str:
    """Human explanation of any close code, registered or not."""
    if code in _CLOSE_MEANINGS:
        return _CLOSE_MEANINGS[code]
    if 0 <= code <= 999:
        return "Invalid: codes 0-999 are not used (RFC 6455 section 7.4.2)"
    if 1016 <= code <= 2999:
        return "Reserved for RFC 6455 extensions and future revisions; not registered"
    if 3000 <= code <= 3999:
        return "Registered with IANA for libraries, frameworks and applications"
    if 4000 <= code <= 4999:
        return "Private use: meaning agreed between the application's endpoints"
    return "Invalid: outside the range a close code may have"


def close_code_name(code: int) -> str:
    """The short name of a close code: ``"Normal closure"``, ``"Protocol error"``..."""
    return close_code_meaning(code).split(":", 1)[0]


def describe_close(code: int | None, reason: str | None = None) -> str:
    """A close frame in words: ``1000 (normal closure) "done"``; ``no status code``
    for a close frame without one. The reason is quoted with :func:`repr`, so a
    peer's control characters stay escaped."""
    if code is None:
        return "no status code"
    text = f"{code} ({close_code_name(code).lower()})"
    if reason:
        shown = reason if len(reason) <= 60 else reason[:57] + "..."
        text += f" {shown!r}"
    return text
