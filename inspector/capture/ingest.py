"""Frames added to a capture store from files and bulk readers, one at a time
(:meth:`FileIngest.append_frame`: a journal or capture line) or a block of columns
at once (:meth:`FileIngest.extend_frames`: the fast JSON Lines and HAR readers), with
the same checks and the same budget as frames from a live connection."""

from __future__ import annotations

import sys
from array import array
from collections.abc import Callable, Iterable, Sequence
from itertools import compress
from typing import Any

from ..protocol.violations import Violation
from .arena import PayloadArena
from .budget import PayloadBudget
from .bulk import counting
from .events import Direction
from .tables import (
    _DIR_CODE,
    _DIR_CODES,
    _DIR_IN,
    _DIR_OUT,
    _EXTENDED,
    _HLEN,
    _HLEN_BYTES,
    _LAST4,
    _LOW7,
    _MASK_BIT,
    _WHOLE_MESSAGE_B0,
    _first,
    _second,
    _unpack_H,
    _unpack_L,
    _unpack_Q,
)

__all__ = ["FileIngest"]


class FileIngest:
    """The bulk-reading half of :class:`~inspector.capture.store.CaptureStore`, which
    owns these columns and counters."""

    t: array[float]
    dir: array[int]
    seq: array[int]
    offset: array[int]
    b0: array[int]
    b1: array[int]
    length: array[int]
    mask_key: array[int]
    msg_start: array[int]
    payloads: PayloadArena
    violations: dict[int, tuple[Violation, ...]]
    _budget: PayloadBudget
    _held: Callable[[], None] | None
    _frames: list[int]
    _wire: list[int]
    _payload: list[int]
    _open: list[int]
    _recent: list[tuple[int, int]]

    def _add_held(self) -> None:
        raise NotImplementedError  # CaptureStore's

    def _reached_budget(self, row: int) -> None:
        raise NotImplementedError  # CaptureStore's

    def append_frame(
        self,
        t: float,
        direction: Direction,
        seq: int,
        offset: int,
        header: bytes,
        payload: bytes,
        violations: tuple[Violation, ...] = (),
    ) -> int:
        """Append one frame and return its row; for readers of capture files, which
        get frames one at a time. Raises ValueError when ``header`` is not a whole
        frame header (two bytes, the extended length and the key its second byte
        announces)."""
        if self._held is not None:
            self._add_held()
        # Identity, not a dict lookup: Enum.__hash__ is Python code, 0.5 s per million.
        d = 0 if direction is _DIR_OUT else 1 if direction is _DIR_IN else _DIR_CODE[direction]
        hlen = len(header)
        if hlen < 2 or hlen != _HLEN[header[1]]:
            raise ValueError(f"not a frame header: {header.hex()}")
        b0 = header[0]
        b1 = header[1]
        n7 = b1 & 0x7F
        length = (
            n7 if n7 < 126 else _unpack_H(header, 2)[0] if n7 == 126 else _unpack_Q(header, 2)[0]
        )
        if len(payload) > length:
            raise ValueError(
                f"the payload has {len(payload)} bytes but the header declares {length}"
            )
        row = len(self.b0)
        # Fragment grouping as in _group, inlined: readers call this a million times.
        op = b0 & 0x0F
        open_row = self._open[d]
        if op & 0x08 or op > 2:
            start = -1
        elif op:
            start = row
            open_row = -1 if b0 & 0x80 else row
        elif open_row >= 0:
            start = open_row
            if b0 & 0x80:
                open_row = -1
        else:
            start = -1
        key = _unpack_L(header, hlen - 4)[0] if b1 & 0x80 else 0
        self._append_row(t, d, seq, offset, b0, b1, length, key, start)
        budget = self._budget
        if budget.held + len(payload) <= budget.room:  # PayloadBudget.keep, inlined
            budget.held += len(payload)
            self.payloads.append(payload)
        else:
            was_capped = budget.capped
            self.payloads.append(budget.keep(payload))
            if not was_capped:
                self._reached_budget(row)
        self._open[d] = open_row
        if violations:
            self.violations[row] = violations
        self._frames[d] += 1
        self._payload[d] += length
        self._wire[d] += length + hlen
        self._recent[d] = (row, row + 1)
        return row

    def _columns(self) -> tuple[array[Any], ...]:
        """The columns of a row, in the order :meth:`_append_row` and
        :meth:`_extend_columns` take their values."""
        return (
            self.t,
            self.dir,
            self.seq,
            self.offset,
            self.b0,
            self.b1,
            self.length,
            self.mask_key,
            self.msg_start,
        )

    def _append_row(
        self,
        t: float,
        d: int,
        seq: int,
        offset: int,
        b0: int,
        b1: int,
        length: int,
        key: int,
        start: int,
    ) -> None:
        """A row appended, its values in :meth:`_columns`' order (appended one by
        one: a million times per file read, and once per frame sent). A value that
        does not fit its column (a string t, a negative offset) raises with every
        column as it was, so that they stay the same length."""
        try:
            self.t.append(t)
            self.dir.append(d)
            self.seq.append(seq)
            self.offset.append(offset)
            self.b0.append(b0)
            self.b1.append(b1)
            self.length.append(length)
            self.mask_key.append(key)
            self.msg_start.append(start)
        except BaseException:
            row = len(self.msg_start)  # the last column: not reached
            for col in self._columns():
                del col[row:]
            raise

    def _extend_columns(self, *values: Iterable[Any]) -> None:
        """Rows appended as columns, in :meth:`_columns`' order (arrays of the
        columns' types: bytes would extend a wider column byte by byte)."""
        for col, more in zip(self._columns(), values, strict=True):
            col.extend(more)

    def extend_frames(
        self,
        t: array[float],
        dirs: bytes,
        seq: array[int],
        offset: array[int],
        headers: Sequence[bytes],
        payloads: list[bytes],
    ) -> bool:
        """Append frames given as columns (``dirs``: 0 out, 1 in), for readers of
        capture files: the bulk form of :meth:`append_frame`, with no Python step
        per frame (but one per frame with an extended length). It takes the frames
        only when each is a whole text or binary message, its header whole, its
        payload as long as the header declares, and all of them within the budget:
        otherwise it appends nothing and returns False (then append them one by
        one)."""
        if self._held is not None:
            self._add_held()
        n = len(headers)
        if not (len(t) == len(dirs) == len(seq) == len(offset) == len(payloads) == n) or not n:
            return False
        sizes = list(map(len, headers))
        # A header is 2 to 14 bytes (a longer one, from a damaged file, would not
        # even fit the byte of its length here).
        if min(sizes) < 2 or max(sizes) > 14:
            return False
        b0s = bytes(map(_first, headers))
        b1s = bytes(map(_second, headers))
        if not _WHOLE_MESSAGE_B0.issuperset(b0s) or not _DIR_CODES.issuperset(dirs):
            return False
        hlens = bytes(sizes)
        if hlens != b1s.translate(_HLEN_BYTES):
            return False
        low = b1s.translate(_LOW7)
        lengths: bytes | array[int] = low
        if max(low) >= 126:
            lengths = array("Q", list(low))
            for i in compress(range(n), low.translate(_EXTENDED)):
                header = headers[i]
                lengths[i] = _unpack_H(header, 2)[0] if low[i] == 126 else _unpack_Q(header, 2)[0]
            if array("Q", map(len, payloads)) != lengths:
                return False  # a payload not kept whole: one by one says how
        else:
            try:
                if bytes(map(len, payloads)) != low:
                    return False
            except ValueError:  # a payload of 256 bytes or more: longer than declared
                return False
        budget = self._budget
        total = sum(lengths)
        if budget.held + total > budget.room:
            return False
        keys = _mask_keys(headers, b1s.translate(_MASK_BIT))
        row0 = len(self.b0)
        self._extend_columns(
            t,
            array("B", dirs),
            seq,
            offset,
            array("B", b0s),
            array("B", b1s),
            lengths,
            keys,
            array("q", counting(row0, n)),
        )
        budget.held += total
        self.payloads.extend(payloads)
        wire = total + sum(hlens)
        n_in = sum(dirs)
        in_payload = sum(compress(lengths, dirs))
        in_wire = in_payload + sum(compress(hlens, dirs))
        for d, frames, payload, wire_d in (
            (1, n_in, in_payload, in_wire),
            (0, n - n_in, total - in_payload, wire - in_wire),
        ):
            if frames:
                self._frames[d] += frames
                self._payload[d] += payload
                self._wire[d] += wire_d
                self._open[d] = -1  # a whole message ends any open one
                self._recent[d] = (row0, row0 + n)
        return True


#: What a header without a masking key is padded with to end in a key of 0.
_NO_KEY = (b"\0\0\0\0", b"")


def _mask_keys(headers: Sequence[bytes], masked: bytes) -> array[int]:
    """The masking key column of ``headers`` (``masked``: 1 where the MASK bit is
    set): each masked header's last 4 bytes, 0 for the others, gathered as bytes and
    read as one array (an int made per header cost 0.3 us a frame)."""
    n = masked.count(1)
    if not n:
        return array("I", bytes(4 * len(headers)))
    if n == len(headers):
        raw = b"".join(map(_LAST4, headers))
    else:
        raw = b"".join(map(_LAST4, map(bytes.__add__, headers, map(_NO_KEY.__getitem__, masked))))
    keys = array("I", raw)
    if sys.byteorder == "little":  # the key as the header holds it: network order
        keys.byteswap()
    return keys
