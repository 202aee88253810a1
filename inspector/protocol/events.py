"""What the sans-I/O :class:`~inspector.protocol.connection.Protocol` reports.

:meth:`Protocol.events_received` returns, in stream order, each incoming
:class:`~inspector.protocol.frames.Frame` (every fragment and control frame), a
:class:`Message` whenever a data message completes, and a :class:`Failure` when the
connection must be failed (strict mode, or a limit that leaves no choice).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from .constants import Opcode
from .violations import Violation

__all__ = ["Failure", "Message"]


class Message(NamedTuple):
    """A complete data message, reassembled from its frames and inflated.

    ``first_seq``/``last_seq`` are the sequence numbers of its first and last frame
    in the stream (equal for an unfragmented message). ``wire_size`` is the sum of its
    frames' payload lengths as sent (compressed, if it was); ``len(data)`` is the size
    after reassembly and inflation. ``text`` is set for a text message that decoded.
    ``truncated`` is True when a size limit stopped the message from being kept whole.
    """

    opcode: int
    data: bytes
    text: str | None
    first_seq: int
    last_seq: int
    wire_size: int
    compressed: bool = False
    truncated: bool = False
    #: Data frames the message was sent in (control frames between fragments excluded).
    frame_count: int = 1

    @property
    def is_text(self) -> bool:
        return self.opcode == Opcode.TEXT

    @property
    def fragments(self) -> int:
        return self.frame_count

    def __str__(self) -> str:
        kind = "TEXT" if self.opcode == Opcode.TEXT else "BINARY"
        extra = f" ({self.wire_size} compressed)" if self.compressed else ""
        frames = f" in {self.fragments} frames" if self.fragments > 1 else ""
        return f"{kind} message, {len(self.data)} bytes{extra}{frames}"


@dataclass(frozen=True, slots=True)
class Failure:
    """The connection is being failed (RFC 6455 section 7.1.7) because of ``violation``;
    a close frame with ``close_code`` has been queued unless one was already sent."""

    violation: Violation
    close_code: int

    def __str__(self) -> str:
        return f"failing the connection with {self.close_code}: {self.violation}"
