"""How the server's answers in two sessions differ, message by message.

The messages the server sent in the captured session and in the replay are aligned
(:class:`difflib.SequenceMatcher` on opcode and payload), so that one answer missing
in the middle shows as one missing message, not as every later one different; then
the server's close frames are compared.
"""

from __future__ import annotations

import difflib
import enum
from dataclasses import dataclass

from ..capture.formats.har import is_message_level
from ..capture.store import CaptureStore
from ..protocol.constants import Role, describe_close
from ..views.text import escape_control, shorten
from .messages import CapturedMessage, close_of, messages_of

__all__ = ["Difference", "DifferenceKind", "compare_sessions", "describe_payload"]

#: Characters of a payload a difference line shows.
PREVIEW = 60


class DifferenceKind(enum.StrEnum):
    MISSING = "missing"  # the capture has it; the replay did not get it
    EXTRA = "extra"  # the replay got it; the capture has no such message
    PAYLOAD = "payload"  # both have a message at this place, with different contents
    CLOSE = "close"  # the server's close frames differ (or one is absent)


@dataclass(frozen=True, slots=True)
class Difference:
    """One difference. ``index`` is the message's number (from 1) in the captured
    session (for MISSING and PAYLOAD) or in the replay (EXTRA); None for CLOSE."""

    kind: DifferenceKind
    index: int | None
    captured: str | None  # what the capture has, in words (None: nothing)
    replayed: str | None

    def line(self) -> str:
        """One line for a terminal (peer text escaped)."""
        if self.kind is DifferenceKind.MISSING:
            return f"message {self.index} missing: captured {self.captured}"
        if self.kind is DifferenceKind.EXTRA:
            return f"message {self.index} extra: received {self.replayed}"
        if self.kind is DifferenceKind.PAYLOAD:
            return (
                f"message {self.index} different: captured {self.captured}, "
                f"received {self.replayed}"
            )
        return f"close different: captured {self.captured}, received {self.replayed}"

    def to_json(self) -> dict[str, object]:
        return {
            "type": "compare",
            "difference": str(self.kind),
            "index": self.index,
            "captured": self.captured,
            "received": self.replayed,
        }


def describe_payload(message: CapturedMessage) -> str:
    """A message in a few words: its text quoted, or its size and first bytes."""
    if message.text is not None:
        return "text " + repr(shorten(escape_control(message.text), PREVIEW))
    head = message.data[: PREVIEW // 3].hex(" ")
    more = " ..." if len(message.data) > PREVIEW // 3 else ""
    return f"binary {len(message.data)} bytes ({head}{more})"


def _describe_close(close: tuple[int | None, str | None] | None) -> str:
    if close is None:
        return "no close frame"
    code, reason = close
    if code is None:
        return "a close frame without a code"
    return escape_control(describe_close(code, reason or None))


def compare_sessions(captured: CaptureStore, replayed: CaptureStore) -> list[Difference]:
    """The differences between what the server sent in ``captured`` and in
    ``replayed``, in message order, the close last (not for a HAR session, which
    has no close frames)."""
    theirs = messages_of(captured, Role.SERVER)
    ours = messages_of(replayed, Role.SERVER)
    keys_a = [(m.opcode, m.data) for m in theirs]
    keys_b = [(m.opcode, m.data) for m in ours]
    matcher = difflib.SequenceMatcher(None, keys_a, keys_b, autojunk=False)
    out: list[Difference] = []
    for tag, a0, a1, b0, b1 in matcher.get_opcodes():
        if tag == "equal":
            continue
        paired = min(a1 - a0, b1 - b0) if tag == "replace" else 0
        for k in range(paired):
            out.append(
                Difference(
                    DifferenceKind.PAYLOAD,
                    a0 + k + 1,
                    describe_payload(theirs[a0 + k]),
                    describe_payload(ours[b0 + k]),
                )
            )
        for i in range(a0 + paired, a1):
            out.append(Difference(DifferenceKind.MISSING, i + 1, describe_payload(theirs[i]), None))
        for j in range(b0 + paired, b1):
            out.append(Difference(DifferenceKind.EXTRA, j + 1, None, describe_payload(ours[j])))
    if is_message_level(captured.session) or is_message_level(replayed.session):
        return out
    close_a = close_of(captured, Role.SERVER)
    close_b = close_of(replayed, Role.SERVER)
    if close_a != close_b:
        out.append(
            Difference(
                DifferenceKind.CLOSE, None, _describe_close(close_a), _describe_close(close_b)
            )
        )
    return out
