"""One-line previews of frames for a table row, and where a search matches them
(Qt-free).

A preview reads a bounded prefix of the payload whatever its size, so that a table
can ask for the previews of the rows on screen at every repaint. It shows the
payload first: what a frame carries is what people read a timeline for; how it was
carried (compressed, a fragment) is told beside it, not in front of it.

:func:`frame_preview` is the one place the timeline's Summary column gets its text
from: the payload view registry's summary (:mod:`.conversation`), so that the
timeline, the detail pane and the command line say the same of a payload.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    # The window's first screen uses the preview's length and search spans alone.
    from ..capture.store import CaptureStore
    from .conversation import Conversation

__all__ = [
    "PREVIEW_CHARS",
    "Carriage",
    "frame_carriage",
    "frame_preview",
    "frame_previews",
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


def frame_preview(
    store: CaptureStore,
    row: int,
    limit: int = PREVIEW_CHARS,
    conversation: Conversation | None = None,
) -> str:
    """The one-line summary of the frame at ``row`` for a table cell, at most ``limit``
    characters (and an ellipsis): the payload view registry's summary of what the
    row shows (:meth:`Conversation.summary`: the message a last frame completes,
    inflated; a fragment's own bytes), read from a bounded prefix whatever the
    payload's size. Only what is about the frame rather than its payload is said
    here: a payload not kept, an empty one, the deflate bytes of a compressed
    message's earlier frames (hex: they mean nothing before the message ends)."""
    return frame_previews(store, (row,), limit, conversation)[0]


def _frame_only(store: CaptureStore, row: int, limit: int) -> str | None:
    """What :func:`frame_preview` says of ``row`` without asking the views, if
    anything."""
    payload = store.payloads[row]
    if not payload:
        declared = store.length[row]
        if declared:
            return f"(payload not kept: {declared:,} bytes)"
        if row not in store.messages:
            return "(empty)"
    if store.is_compressed(row) and row not in store.messages:
        n = max(4, limit // 3)
        return payload[:n].hex(" ") + (" \u2026" if len(payload) > n else "")
    return None


def frame_previews(
    store: CaptureStore,
    rows: Sequence[int],
    limit: int = PREVIEW_CHARS,
    conversation: Conversation | None = None,
) -> list[str]:
    """:func:`frame_preview` of each of ``rows`` (store rows), in order, the payload
    views asked for all of them in one call (:meth:`Conversation.summaries`)."""
    lines: list[str | None] = [_frame_only(store, row, limit) for row in rows]
    asked = [row for row, line in zip(rows, lines, strict=True) if line is None]
    if asked:
        from .conversation import conversation_for

        conv = conversation if conversation is not None else conversation_for(store)
        found = iter(conv.summaries(asked))
        for i, line in enumerate(lines):
            if line is None:
                text = one_line(next(found))
                lines[i] = text if len(text) <= limit else text[:limit] + "\u2026"
    return [line or "" for line in lines]


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
