"""One side's messages of a captured session, whatever position recorded it.

A store keeps a message that is one plain frame as the frame alone, a fragmented or
compressed one as a :class:`~inspector.capture.events.MessageCaptured` on the row of
its last frame, and one whose frames were not kept among its events. Replay and
compare want the messages a side sent, in order: :func:`messages_of` gathers them.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..capture.events import Direction, HandshakeCaptured, MessageCaptured
from ..capture.store import CaptureStore
from ..protocol.constants import Opcode, Role
from ..protocol.frames import parse_close_payload
from ..views.conversation import sender_of

__all__ = ["CapturedMessage", "close_of", "direction_of", "messages_of", "request_of"]


@dataclass(frozen=True, slots=True)
class CapturedMessage:
    """A data message as the capture holds it. ``row`` is the store row of its last
    frame (None when its frames were not kept); ``truncated``: not kept whole."""

    t: float
    opcode: int
    data: bytes
    row: int | None = None
    truncated: bool = False

    @property
    def text(self) -> str | None:
        if self.opcode != Opcode.TEXT:
            return None
        return self.data.decode("utf-8", "replace")


def direction_of(store: CaptureStore, sender: Role) -> Direction:
    """The direction in ``store`` of what ``sender`` sent."""
    out = sender_of(store.session.role, Direction.OUT)
    return Direction.OUT if out is sender else Direction.IN


def messages_of(store: CaptureStore, sender: Role) -> list[CapturedMessage]:
    """The data messages ``sender`` sent, in the order they were recorded."""
    d = 0 if direction_of(store, sender) is Direction.OUT else 1
    found: list[CapturedMessage] = []
    messages = store.messages
    b0s, starts, dirs, payloads, lengths, times = (
        store.b0,
        store.msg_start,
        store.dir,
        store.payloads,
        store.length,
        store.t,
    )
    for row in range(len(b0s)):
        if dirs[row] != d:
            continue
        captured = messages.get(row)
        if captured is not None:
            m = captured.message
            found.append(CapturedMessage(times[row], m.opcode, m.data, row, m.truncated))
            continue
        b0 = b0s[row]
        op = b0 & 0x0F
        # A message of one plain frame has no message record of its own.
        if op in (Opcode.TEXT, Opcode.BINARY) and b0 & 0x80 and starts[row] == row:
            if b0 & 0x40 and store.is_compressed(row):
                continue  # compressed, yet not inflated in the capture: nothing to send
            data = payloads[row]
            found.append(CapturedMessage(times[row], op, data, row, len(data) < lengths[row]))
    want = Direction.OUT if d == 0 else Direction.IN
    for event in store.events:
        if isinstance(event, MessageCaptured) and event.dir is want:
            m = event.message
            found.append(CapturedMessage(event.t, m.opcode, m.data, None, m.truncated))
    found.sort(key=lambda m: m.t)
    return found


def close_of(store: CaptureStore, sender: Role) -> tuple[int | None, str | None] | None:
    """The code and reason of the first close frame ``sender`` sent, or None."""
    d = 0 if direction_of(store, sender) is Direction.OUT else 1
    b0s, dirs = store.b0, store.dir
    for row in range(len(b0s)):
        if dirs[row] == d and b0s[row] & 0x0F == Opcode.CLOSE:
            code, reason, _ = parse_close_payload(store.payloads[row])
            return code, reason
    return None


def request_of(store: CaptureStore) -> HandshakeCaptured | None:
    """The opening handshake's request (the client's half), if the capture has it."""
    for direction in (Direction.OUT, Direction.IN):
        half = store.handshake(direction)
        if half is not None and not half.start_line.startswith("HTTP/"):
            return half
    return None
