"""Frames a live connection adds to a capture store, the engine's hot paths: a read
of one frame (:meth:`LiveAdds.add_received`, a round trip's answer) and the frames we
send, one at a time (:meth:`LiveAdds.add_sent`) or a flood's held back in columns
(:meth:`LiveAdds.add_sent_columns`). Each appends straight to the columns when the frames
are the common kind, with the same rows the general paths would make, and hands
everything else to them."""

from __future__ import annotations

from array import array
from collections.abc import Sequence

from ..protocol.frames import Frame, FrameBatch
from .bulk import counting
from .ingest import FileIngest
from .tables import (
    _LOW7,
    _WHOLE_MESSAGE_B0,
    _unpack_L,
)

__all__ = ["BULK_FROM", "LiveAdds"]

#: Held sent frames are added in bulk from this many on, one by one below: the bulk
#: add costs ~10 single adds to set up (measured: 12 us for one frame, 1.1 us a frame
#: for 32), and a round trip sends one frame a turn.
BULK_FROM = 32
_tuple_new = tuple.__new__


class LiveAdds(FileIngest):
    """The live-connection half of :class:`~inspector.capture.store.CaptureStore`,
    which owns these columns and counters."""

    def _add_batch(self, t: float, d: int, batch: FrameBatch) -> None:
        raise NotImplementedError  # CaptureStore's

    def _add_frames(self, t: float, d: int, frames: Sequence[Frame]) -> None:
        raise NotImplementedError  # CaptureStore's

    def add_received(self, t: float, batch: FrameBatch) -> None:
        """:meth:`add` of ``FramesCaptured(t, Direction.IN, batch)``, without making
        the event: the engine's read path when nobody else listens to frames."""
        if self._held is not None:
            self._add_held()
        if len(batch.payloads) != 1 or batch.violations or not self._add_one(t, 1, batch):
            self._add_batch(t, 1, batch)

    def _add_one(self, t: float, d: int, batch: FrameBatch) -> bool:
        """The batch of one frame without violations a round trip reads, appended
        straight to the columns when it is a whole text or binary message with a
        7-bit length that fits the budget; False (nothing appended) otherwise, for
        :meth:`_add_batch`. The same columns as the bulk path for a fifth of its
        work (measured: ~350 bytecodes of set-up for one frame)."""
        src = batch.src
        off = batch.offsets[0]
        b0 = src[off]
        b1 = src[off + 1]
        n = b1 & 0x7F
        budget = self._budget
        if n >= 126 or b0 not in _WHOLE_MESSAGE_B0 or budget.held + n > budget.room:
            return False
        row = len(self.b0)
        seqs = self.seq
        try:
            seqs.append(batch.seq0)
            self.offset.append(batch.base + off)
        except OverflowError:
            # A seq or offset past 2**63 (a damaged file): the bulk path raises it.
            del seqs[row:]
            return False
        self.t.append(t)
        self.dir.append(d)
        self.b0.append(b0)
        self.b1.append(b1)
        self.length.append(n)
        if b1 & 0x80:
            self.mask_key.append(_unpack_L(src, off + 2)[0])
            hlen = 6
        else:
            self.mask_key.append(0)
            hlen = 2
        self.msg_start.append(row)
        self._open[d] = -1  # a whole message ends any open one
        budget.held += n
        self.payloads.append(batch.payloads[0])
        self._frames[d] += 1
        self._payload[d] += n
        self._wire[d] += n + hlen
        self._recent[d] = (row, row + 1)
        return True

    def add_sent_columns(
        self,
        t: array[float],
        seq0: int,
        offsets: array[int],
        headers: list[bytes],
        payloads: list[bytes],
    ) -> None:
        """Append the frames we sent and held back as columns (the engine's sends of
        one event-loop turn): whole plain messages without violations, numbered on
        from ``seq0``, ``t`` the time of each. In bulk from :data:`BULK_FROM` frames
        on (:meth:`extend_sent`, or :meth:`extend_frames` for other lengths), one
        by one below, and one by one past the capture budget, as it cuts them."""
        n = len(headers)
        if n < BULK_FROM or not (
            self.extend_sent(t, seq0, offsets, headers, payloads)
            or self.extend_frames(
                t, bytes(n), array("q", range(seq0, seq0 + n)), offsets, headers, payloads
            )
        ):
            for i in range(n):
                frame = _tuple_new(Frame, (seq0 + i, offsets[i], headers[i], payloads[i], ()))
                self.add_sent(t[i], frame)

    def add_sent(self, t: float, frame: Frame) -> None:
        """Append one frame we sent at time ``t``: :meth:`add_frames` of one frame, for
        the send path of a flood of small messages (one call per message)."""
        seq, offset, header, payload, violations = frame
        b1 = header[1]
        n = len(payload)
        budget = self._budget
        if (
            (b1 & 0x7F) == n
            and len(header) == (6 if b1 & 0x80 else 2)
            and header[0] in _WHOLE_MESSAGE_B0
            and budget.held + n <= budget.room
            and self._open[0] < 0
        ):
            row = len(self.b0)
            self.t.append(t)
            self.dir.append(0)
            self.seq.append(seq)
            self.offset.append(offset)
            self.b0.append(header[0])
            self.b1.append(b1)
            self.length.append(n)
            self.mask_key.append(_unpack_L(header, 2)[0] if b1 & 0x80 else 0)
            self.msg_start.append(row)
            budget.held += n
            self.payloads.append(payload)
            if violations:
                self.violations[row] = violations
            self._frames[0] += 1
            self._payload[0] += n
            self._wire[0] += n + len(header)
            self._recent[0] = (row, row + 1)
        else:
            self._add_frames(t, 0, (frame,))

    def extend_sent(
        self,
        t: array[float],
        seq0: int,
        offsets: array[int],
        headers: Sequence[bytes],
        payloads: list[bytes],
    ) -> bool:
        """Append frames we sent, numbered on from ``seq0``, when each is a whole text or
        binary message without violations, with a 7-bit length and the same header
        size (2 bytes unmasked or 6 masked: a flood of small sends). The header fields
        come from the headers joined, by strided slices: no Python step per frame
        (measured: 0.4-0.6 us a frame through :meth:`extend_frames`, whose masking
        keys alone take a ``int.from_bytes`` each). False, and nothing appended, when
        the frames are not all such or do not fit the budget (then
        :meth:`extend_frames` or :meth:`add_sent`)."""
        if self._held is not None:
            self._add_held()
        n = len(headers)
        if not n or not len(t) == len(offsets) == len(payloads) == n:
            return False
        joined = b"".join(headers)
        size = len(joined) // n
        if size not in (2, 6) or len(joined) != size * n or min(map(len, headers)) != size:
            return False
        b0s = joined[0::size]
        b1s = joined[1::size]
        if not _WHOLE_MESSAGE_B0.issuperset(b0s):
            return False
        mask_bit = 0x80 if size == 6 else 0
        if min(b1s) < mask_bit or max(b1s) >= mask_bit + 126:
            return False  # a MASK bit that disagrees with the size, or a longer length
        lengths = b1s.translate(_LOW7)
        try:
            if bytes(map(len, payloads)) != lengths:
                return False
        except ValueError:  # a payload of 256 bytes or more: not these frames'
            return False
        total = sum(lengths)
        budget = self._budget
        if budget.held + total > budget.room:
            return False
        keys = array("I")
        if mask_bit:
            # Each key is header bytes 2-5, big-endian: gathered four strided slices
            # at a time, then put in native order.
            gathered = bytearray(4 * n)
            for i in range(4):
                gathered[i::4] = joined[2 + i :: 6]
            keys.frombytes(gathered)
            if array("I", b"\x01\x00\x00\x00")[0] == 1:
                keys.byteswap()
        else:
            keys.frombytes(bytes(4 * n))
        row0 = len(self.b0)
        try:
            self.t.extend(t)
            self.dir.frombytes(bytes(n))
            self.seq.frombytes(counting(seq0, n))
            self.offset.extend(offsets)
            self.b0.frombytes(b0s)
            self.b1.frombytes(b1s)
            self.length.extend(lengths)
            self.mask_key.extend(keys)
            self.msg_start.frombytes(counting(row0, n))
        except BaseException:
            # A value that does not fit its column: undo, so that the columns stay
            # the same length.
            for col in self._columns():
                del col[row0:]
            raise
        budget.held += total
        self.payloads.extend(payloads)
        self._frames[0] += n
        self._payload[0] += total
        self._wire[0] += total + len(joined)
        self._open[0] = -1  # a whole message ends any open one
        self._recent[0] = (row0, row0 + n)
        return True
