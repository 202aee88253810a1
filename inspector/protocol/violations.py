"""Protocol violations: what a peer did wrong, which rule it broke and where the RFC says so.

A peer's violation is *their fault* and is recorded, never raised: the connection
goes on in observe mode, or is failed with :attr:`Rule.close_code` in strict mode.
Misuse of this library by its caller (our fault) raises :class:`LocalProtocolError`.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

__all__ = ["LocalProtocolError", "Rule", "Violation"]


class LocalProtocolError(Exception):
    """The caller asked for something this end cannot do (for example send on a closed
    connection). Frames that are *deliberately* malformed are not this: build them with
    :class:`~inspector.protocol.frames.FrameSpec`."""


class Rule(enum.Enum):
    """Every rule the codec checks. The value is (RFC, section, close code, summary)."""

    UNMASKED_CLIENT_FRAME = ("6455", "5.1", 1002, "a client must mask every frame it sends")
    MASKED_SERVER_FRAME = ("6455", "5.1", 1002, "a server must not mask the frames it sends")
    RESERVED_BIT = (
        "6455",
        "5.2",
        1002,
        "RSV1-3 must be 0 unless a negotiated extension defines them",
    )
    RESERVED_OPCODE = ("6455", "5.2", 1002, "opcodes 0x3-0x7 and 0xB-0xF are reserved")
    NON_MINIMAL_LENGTH = (
        "6455",
        "5.2",
        1002,
        "the payload length must use the minimal number of bytes",
    )
    LENGTH_TOP_BIT = ("6455", "5.2", 1002, "the most significant bit of a 64-bit length must be 0")
    CONTROL_FRAME_TOO_LONG = (
        "6455",
        "5.5",
        1002,
        "control frames must have a payload of 125 bytes or less",
    )
    FRAGMENTED_CONTROL_FRAME = ("6455", "5.5", 1002, "control frames must not be fragmented")
    UNEXPECTED_CONTINUATION = (
        "6455",
        "5.4",
        1002,
        "a continuation frame needs a fragmented message to continue",
    )
    EXPECTED_CONTINUATION = (
        "6455",
        "5.4",
        1002,
        "a new data frame may not start before the fragmented message ends",
    )
    INVALID_UTF8 = ("6455", "8.1", 1007, "text messages must be valid UTF-8")
    CLOSE_PAYLOAD_ONE_BYTE = (
        "6455",
        "5.5.1",
        1002,
        "a close payload is empty or starts with a 2-byte code",
    )
    INVALID_CLOSE_CODE = ("6455", "7.4", 1002, "this close code may not be sent on the wire")
    INVALID_CLOSE_REASON = ("6455", "5.5.1", 1007, "a close reason must be valid UTF-8")
    FRAME_AFTER_CLOSE = ("6455", "5.5.1", 1002, "an endpoint sends no frame after its close frame")
    INCOMPLETE_FRAME = (
        "6455",
        "5.2",
        1006,
        "the stream ended in the middle of a frame (an abnormal closure)",
    )
    FRAME_TOO_LARGE = ("6455", "10.4", 1009, "the frame is larger than the configured limit")
    MESSAGE_TOO_LARGE = ("6455", "10.4", 1009, "the message is larger than the configured limit")
    COMPRESSED_CONTROL_FRAME = (
        "7692",
        "6.1",
        1002,
        "RSV1 (compressed) is not allowed on control frames",
    )
    COMPRESSED_CONTINUATION = (
        "7692",
        "6.1",
        1002,
        "RSV1 is set only on the first frame of a compressed message",
    )
    INFLATE_ERROR = ("7692", "6.2", 1007, "a compressed message must inflate without error")
    INFLATE_TOO_LARGE = (
        "7692",
        "6.2",
        1009,
        "the message inflates past the configured limit (decompression bomb)",
    )
    # Frames we craft may break a rule no received frame can: the header's length
    # does not match the payload that follows it.
    LENGTH_MISMATCH = (
        "6455",
        "5.2",
        1002,
        "the declared payload length must be the number of payload bytes that follow",
    )
    # The opening handshake (section 4). A close code means little before the
    # connection is open; 1002 is what failing it would send. The request, as a server
    # checks it (section 4.2.1):
    REQUEST_NOT_GET = ("6455", "4.2.1", 1002, "the opening handshake is an HTTP GET request")
    REQUEST_HTTP_VERSION = (
        "6455",
        "4.2.1",
        1002,
        "the opening handshake needs HTTP/1.1 or higher",
    )
    REQUEST_NO_HOST = ("6455", "4.2.1", 1002, "the opening handshake needs a Host header")
    REQUEST_UPGRADE = ("6455", "4.2.1", 1002, "the request must carry 'Upgrade: websocket'")
    REQUEST_CONNECTION = (
        "6455",
        "4.2.1",
        1002,
        "the request's Connection header must contain 'Upgrade'",
    )
    REQUEST_KEY = (
        "6455",
        "4.2.1",
        1002,
        "the request must carry a Sec-WebSocket-Key: base64 of 16 bytes",
    )
    KEY_REPEATED = ("6455", "11.3.1", 1002, "Sec-WebSocket-Key must appear only once")
    REQUEST_VERSION = (
        "6455",
        "4.2.1",
        1002,
        "the request must carry 'Sec-WebSocket-Version: 13'",
    )
    VERSION_REPEATED = (
        "6455",
        "11.3.5",
        1002,
        "Sec-WebSocket-Version must appear only once in a request",
    )
    SUBPROTOCOL_SYNTAX = (
        "6455",
        "4.1",
        1002,
        "Sec-WebSocket-Protocol is a comma-separated list of tokens",
    )
    EXTENSIONS_SYNTAX = (
        "6455",
        "9.1",
        1002,
        "Sec-WebSocket-Extensions must follow its grammar",
    )
    # The response, as a client checks it (section 4.1):
    RESPONSE_STATUS = ("6455", "4.1", 1002, "the server must answer 101 Switching Protocols")
    RESPONSE_HTTP_VERSION = ("6455", "4.2.2", 1002, "the upgrade response needs HTTP/1.1")
    RESPONSE_UPGRADE = ("6455", "4.1", 1002, "the response must carry 'Upgrade: websocket'")
    RESPONSE_CONNECTION = (
        "6455",
        "4.1",
        1002,
        "the response's Connection header must contain 'Upgrade'",
    )
    ACCEPT_MISSING = ("6455", "4.1", 1002, "the response must carry Sec-WebSocket-Accept")
    ACCEPT_MISMATCH = (
        "6455",
        "4.1",
        1002,
        "Sec-WebSocket-Accept must be base64(SHA-1(key + GUID)) of the request's key",
    )
    ACCEPT_REPEATED = ("6455", "11.3.3", 1002, "Sec-WebSocket-Accept must appear only once")
    SUBPROTOCOL_REPEATED = (
        "6455",
        "11.3.4",
        1002,
        "Sec-WebSocket-Protocol must appear only once in a response",
    )
    SUBPROTOCOL_NOT_ONE = (
        "6455",
        "4.2.2",
        1002,
        "the server chooses exactly one subprotocol, a token",
    )
    SUBPROTOCOL_NOT_OFFERED = (
        "6455",
        "4.1",
        1002,
        "the server may only choose a subprotocol the client offered",
    )
    EXTENSION_NOT_OFFERED = (
        "6455",
        "4.1",
        1002,
        "the server may only accept extensions the client offered",
    )
    DEFLATE_NEGOTIATION = (
        "7692",
        "7",
        1002,
        "the permessage-deflate response must fit the client's offer",
    )
    # Either side, the bytes themselves:
    HANDSHAKE_NOT_HTTP = ("7230", "3", 1002, "the opening handshake is an HTTP/1.1 message")
    HANDSHAKE_MALFORMED = ("7230", "3", 1002, "an HTTP message follows the HTTP/1.1 syntax")
    HEADERS_TOO_LARGE = (
        "7230",
        "3.2.5",
        1002,
        "the header block is larger than this end accepts",
    )
    HANDSHAKE_INCOMPLETE = (
        "6455",
        "4",
        1002,
        "the header block ended (a blank line) before the connection closed or timed out",
    )
    # The generic rule: any handshake problem no specific rule covers (and the prose
    # of older capture files).
    HANDSHAKE_INVALID = ("6455", "4", 1002, "the opening handshake is not valid")

    @property
    def rfc(self) -> str:
        """``"RFC 6455 §5.1"``: the document and section the rule comes from."""
        return f"RFC {self.value[0]} §{self.value[1]}"

    @property
    def section(self) -> str:
        return str(self.value[1])

    @property
    def url(self) -> str:
        return f"https://www.rfc-editor.org/rfc/rfc{self.value[0]}#section-{self.value[1]}"

    @property
    def close_code(self) -> int:
        """The code RFC 6455 section 7.4.1 prescribes when failing the connection for it."""
        return int(self.value[2])

    @property
    def summary(self) -> str:
        return str(self.value[3])

    @property
    def slug(self) -> str:
        """Stable machine name used in files: ``"unmasked-client-frame"``."""
        return self.name.lower().replace("_", "-")

    @classmethod
    def from_slug(cls, slug: str) -> Rule:
        return cls[slug.upper().replace("-", "_")]


@dataclass(frozen=True, slots=True)
class Violation:
    """One broken rule, with a sentence about this occurrence and where it was found.

    ``offset`` is the byte offset in the stream (of the frame, or inside it for UTF-8).
    ``deliberate`` marks a rule we broke on purpose, in a frame we crafted and sent:
    recorded like a peer's violation, so that it is visible, but never the peer's fault.
    """

    rule: Rule
    message: str
    offset: int | None = None
    deliberate: bool = False

    @property
    def rfc(self) -> str:
        return self.rule.rfc

    @property
    def sentence(self) -> str:
        """The message and where the RFC says so: ``no Upgrade header (RFC 6455 §4.1)``."""
        return f"{self.message} ({self.rule.rfc})"

    def __str__(self) -> str:
        where = f" at byte {self.offset}" if self.offset is not None else ""
        return f"{self.rule.slug} ({self.rule.rfc}){where}: {self.message}"

    def to_json(self) -> dict[str, object]:
        return {
            "rule": self.rule.slug,
            "rfc": self.rule.rfc,
            "message": self.message,
            "offset": self.offset,
            "close_code": self.rule.close_code,
            "deliberate": self.deliberate,
        }
