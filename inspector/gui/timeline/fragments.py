"""Where a frame sits in a fragmented message, for the timeline's bracket (Qt-free)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ...capture.store import CaptureStore


__all__ = [
    "FIRST_FRAGMENT",
    "FRAGMENT_GLYPHS",
    "FRAGMENT_WORDS",
    "INSIDE_MESSAGE",
    "LAST_FRAGMENT",
    "MIDDLE_FRAGMENT",
    "fragment_position",
]

#: Positions: 0 not a fragment, then first, middle and last fragment; and
#: :data:`INSIDE_MESSAGE`, a control frame sent between two fragments of a message.
FIRST_FRAGMENT, MIDDLE_FRAGMENT, LAST_FRAGMENT, INSIDE_MESSAGE = 1, 2, 3, 4
FRAGMENT_WORDS = (
    "",
    "first fragment",
    "fragment",
    "last fragment",
    "control frame between fragments",
)
FRAGMENT_GLYPHS = ("", "\u250c", "\u2502", "\u2514", "\u250a")
#: How far back a control frame looks for an unfinished message of its direction.
_INSIDE_LOOKBACK = 64


def fragment_position(store: CaptureStore, r: int) -> int:
    """Where store row ``r`` sits in a fragmented message (``*_FRAGMENT``,
    :data:`INSIDE_MESSAGE` or 0)."""
    ms = store.msg_start[r]
    if ms < 0:
        if store.b0[r] & 0x08:
            # A control frame inside a fragmented message of its direction?
            d = store.dir[r]
            dirs = store.dir
            b0 = store.b0
            for prev in range(r - 1, max(-1, r - _INSIDE_LOOKBACK), -1):
                if dirs[prev] == d and not b0[prev] & 0x08:
                    if store.msg_start[prev] >= 0 and not b0[prev] & 0x80:
                        return INSIDE_MESSAGE
                    return 0
        return 0
    fin = store.b0[r] & 0x80
    if ms == r:
        return 0 if fin else FIRST_FRAGMENT
    return LAST_FRAGMENT if fin else MIDDLE_FRAGMENT
