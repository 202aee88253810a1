"""One-line previews of frames for a table row, and where a search matches them
(Qt-free).

A preview reads a bounded prefix of the payload whatever its size, so that a table
can ask for the previews of the rows on screen at every repaint. It shows the
payload first: what a frame carries is what people read a timeline for; how it was
carried (compressed, a fragment) is told beside it, not in front of it.

:func:`frame_preview` is the one place the timeline's payload column gets its text
from; a registry of payload views plugs in here.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from ..capture.store import CaptureStore
from ..protocol.constants import close_code_name

__all__ = [
    "PREVIEW_CHARS",
    "Carriage",
    "close_summary",
    "frame_carriage",
    "frame_preview",
    "match_spans",
    "one_line",
]

#: Characters of a preview in the table (the tooltip shows more).
PREVIEW_CHARS = 120

# Control characters become spaces or middle dots so a preview stays one line.
_CTRL = {c: " " for c in (9, 10, 11, 12, 13)}
_CTRL.update({c: "\u00b7" for c in range(32) if c not in _CTRL})
_CTRL[127] = "\u00b7"
_CTRL.update(
    {c: "\u00b7" for c in (0x2028, 0x2029, *range(0x202A, 0x202F), *range(0x2066, 0x206A))}
)


def one_line(text: str) -> str:
    """``text`` with line breaks and other control characters made harmless for one
    table line (a bidirectional override cannot reorder the row either)."""
    return text.translate(_CTRL)


def close_summary(payload: bytes, limit: int = PREVIEW_CHARS) -> str:
    """``"1000 Normal closure · bye"`` for a close frame's payload."""
    if not payload:
        return "(no status code)"
    if len(payload) == 1:
        return f"(1-byte payload {payload.hex()}: no room for a code)"
    code = (payload[0] << 8) | payload[1]
    reason = payload[2 : 2 + limit * 4].decode("utf-8", "replace")
    text = f"{code} {close_code_name(code)}"
    if reason:
        text += " \u00b7 " + one_line(reason[:limit])
    return text


class Carriage(NamedTuple):
    """How a frame's payload travelled: ``inflated`` is the size of the message it
    ends once inflated (None: not a compressed message's last frame); ``compressed``
    whether the payload itself is deflate data (a compressed message's frame)."""

    compressed: bool
    inflated: int | None


def frame_carriage(store: CaptureStore, row: int) -> Carriage:
    """:class:`Carriage` of the frame at ``row`` (:meth:`CaptureStore.is_compressed`)."""
    msg = store.messages.get(row)
    if msg is not None and msg.message.compressed:
        return Carriage(True, len(msg.message.data))
    return Carriage(store.is_compressed(row), None)


def frame_preview(store: CaptureStore, row: int, limit: int = PREVIEW_CHARS) -> str:
    """A one-line preview of the frame at ``row``, at most ``limit`` characters (and
    an ellipsis); reads at most ``4 * limit`` payload bytes, whatever the payload's
    size. The last frame of a compressed message shows the inflated message."""
    payload = store.payloads[row]
    declared = store.length[row]
    op = store.b0[row] & 0x0F
    if not payload:
        if declared:
            return f"(payload not kept: {declared:,} bytes)"
        return "(empty)"
    more = len(payload) < declared
    if op == 0x8:
        return close_summary(payload[: 2 + limit * 4], limit)
    kind = op
    ms = store.msg_start[row]
    if op == 0:
        kind = store.b0[ms] & 0x0F if ms >= 0 else 0
    msg = store.messages.get(row)
    if msg is not None and msg.message.compressed:
        payload = msg.message.data
        kind = msg.message.opcode
        more = False
    elif store.is_compressed(row):
        kind = 2  # deflate data: bytes, not text
    if kind == 0x1 or op in (0x9, 0xA):
        head = payload[: limit * 4]
        text: str | None
        if kind == 0x1:
            # A fragment may start or end inside a character: show what decodes.
            text = head.decode("utf-8", "replace")
        else:
            try:
                text = head.decode("utf-8")
            except UnicodeDecodeError:
                text = None
            if text is not None and not text.isprintable():
                text = None
        if text is not None:
            cut = len(text) > limit or len(payload) > len(head) or more
            return one_line(text[:limit]) + ("\u2026" if cut else "")
    n = max(4, limit // 3)
    hexed = payload[:n].hex(" ")
    return hexed + (" \u2026" if len(payload) > n or more else "")


_SPAN_LIMIT = 64  # highlighted matches per preview: more would not be legible anyway


def match_spans(text: str, pattern: str, *, regex: bool, case: bool) -> list[tuple[int, int]]:
    """Where ``pattern`` matches ``text``: (start, end) character spans, in order, not
    overlapping, empty matches left out. The same reading of the pattern as the
    store's search (plain text or a regular expression, case-insensitive unless
    ``case``); an invalid expression matches nothing."""
    if not pattern:
        return []
    try:
        rx = re.compile(pattern if regex else re.escape(pattern), 0 if case else re.IGNORECASE)
    except re.error:
        return []
    spans = []
    for m in rx.finditer(text):
        if m.end() > m.start():
            spans.append((m.start(), m.end()))
            if len(spans) >= _SPAN_LIMIT:
                break
    return spans
