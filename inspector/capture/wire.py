"""Bytes on the wire per direction, as a status bar shows them.

The store's counters add up *declared* payload lengths, which is what a frame says,
not what was sent: a crafted frame that declares 100 bytes and carries 9 put 15
bytes on the wire (6 of header), not 106. Each direction is one byte stream and
every frame records the offset of its header in it, so the stream's length is where
its last frame ends (or its last raw write, for bytes sent as they are)."""

from __future__ import annotations

from .events import Direction, RawBytesSent
from .store import CaptureStore

__all__ = ["WireCounter", "header_size"]

_DIR_CODE = {Direction.OUT: 0, Direction.IN: 1}


def header_size(b1: int) -> int:
    """The length of a frame header whose second byte is ``b1``: 2, plus the extended
    length (2 or 8 bytes), plus the masking key (4) when the MASK bit is set."""
    n = b1 & 0x7F
    return 2 + (2 if n == 126 else 8 if n == 127 else 0) + (4 if b1 & 0x80 else 0)


class WireCounter:
    """Wire bytes of one store, updated incrementally: each call looks only at the
    frames and events added since the previous one (the search for a direction's
    last frame is a C-level ``rfind`` over the new rows)."""

    def __init__(self, store: CaptureStore) -> None:
        self.store = store
        self._rows_seen = 0
        self._events_seen = 0
        self._last_row = [-1, -1]
        self._raw_end = 0

    def _update(self) -> None:
        store = self.store
        rows = len(store.dir)
        if rows > self._rows_seen:
            tail = store.dir[self._rows_seen : rows].tobytes()
            for d in (0, 1):
                found = tail.rfind(bytes((d,)))
                if found >= 0:
                    self._last_row[d] = self._rows_seen + found
            self._rows_seen = rows
        events = store.events
        for event in events[self._events_seen :]:
            if isinstance(event, RawBytesSent):
                self._raw_end = max(self._raw_end, event.offset + len(event.data))
        self._events_seen = len(events)

    def _frame_end(self, row: int) -> int:
        store = self.store
        declared = store.length[row]
        capped = store.capped_at_row is not None and row >= store.capped_at_row
        # A kept payload is what went out; a capped one is a prefix of it.
        carried = declared if capped else min(declared, len(store.payloads[row]))
        return store.offset[row] + header_size(store.b1[row]) + carried

    def bytes(self, direction: Direction) -> int:
        """How many bytes went ``direction`` in frames (headers + payloads as sent),
        and, outgoing, in raw writes."""
        self._update()
        d = _DIR_CODE[direction]
        row = self._last_row[d]
        end = self._frame_end(row) if row >= 0 else 0
        if direction is Direction.OUT:
            end = max(end, self._raw_end)
        return end
