"""The captured session held in memory: frames in columns, everything else as events.

A session can hold a million frames. One Python object per frame would cost ~300
bytes each and make every full garbage collection walk a million objects, so frames
live in parallel ``array.array`` columns (one row per frame, both directions
interleaved in arrival order) plus the payloads, copied back to back into one arena
(:mod:`inspector.capture.arena`: 8 bytes per frame beyond the data, and one C-level
scan per search). Arrays are one object each, so the store adds no per-frame object
for the garbage collector to visit.
:class:`~inspector.protocol.frames.Frame` records are made only on demand
(:meth:`CaptureStore.frame`), with the exact header bytes rebuilt from the columns.

Everything that is not a frame (state changes, handshakes, errors, RTT samples, raw
bytes, stray violations) is rare and is kept as its event object in
:attr:`CaptureStore.events`, with the number of frame rows at the time it was added
in :attr:`CaptureStore.event_rows`, so a timeline can interleave the two.
"""

from __future__ import annotations

from array import array
from collections.abc import Callable, Iterator, Sequence
from itertools import repeat
from typing import Final, NamedTuple

from ..protocol.events import Message
from ..protocol.frames import Frame, FrameBatch, encode_header
from ..protocol.violations import Rule, Violation
from .arena import PayloadArena
from .budget import CAPPED_PAYLOAD, DEFAULT_MAX_CAPTURE_BYTES, PayloadBudget, is_plain_message
from .bulk import and_masks, counting, first_bytes, not_mask, plus
from .events import (
    Direction,
    ErrorCaptured,
    FramesCaptured,
    HandshakeCaptured,
    InterventionCaptured,
    MessageCaptured,
    RawBytesSent,
    RttSample,
    SessionInfo,
    StateChanged,
    ViolationCaptured,
)
from .live import LiveAdds
from .query import StoreQueries
from .tables import (
    _DIR_CODE,
    _DIR_IN,
    _DIR_OF_CODE,
    _DIR_OUT,
    _FORM,
    _HLEN,
    _LOW7,
    _WHOLE_MESSAGE_B0,
    _first,
    _pack_L,
    _unpack_H,
    _unpack_L,
    _unpack_Q,
)

__all__ = [
    "CAPPED_PAYLOAD",
    "DEFAULT_MAX_CAPTURE_BYTES",
    "CaptureStore",
    "DirectionCounters",
    "StoredEvent",
    "and_masks",
]

#: Events kept in :attr:`CaptureStore.events`. A :class:`MessageCaptured` lands there
#: only when the frame it ends with is not in the store (it is kept, not lost).
StoredEvent = (
    StateChanged
    | HandshakeCaptured
    | MessageCaptured
    | ViolationCaptured
    | RawBytesSent
    | ErrorCaptured
    | RttSample
    | InterventionCaptured
)


class DirectionCounters(NamedTuple):
    """Totals for one direction. ``wire_bytes`` counts headers plus declared payload
    lengths (what crossed the wire, even where an oversized payload was not kept);
    ``payload_bytes`` the declared payload lengths alone."""

    frames: int
    wire_bytes: int
    payload_bytes: int


class CaptureStore(LiveAdds, StoreQueries):
    """One session, live or loaded: frame columns, non-trivial messages and events.

    Columns (index = row, rows in arrival order, both directions interleaved):

    ``t`` (``'d'``) seconds since the session started; ``dir`` (``'B'``) 0 for
    :attr:`Direction.OUT`, 1 for :attr:`Direction.IN`; ``seq`` (``'q'``) the frame's
    number in its direction's stream; ``offset`` (``'q'``) the byte offset of its
    header in that stream; ``b0``/``b1`` (``'B'``) the first two header bytes;
    ``length`` (``'Q'``) the declared payload length; ``mask_key`` (``'I'``: 4 bytes,
    where ``'L'`` takes 8 on 64-bit Linux) the masking key as a big-endian integer (0
    when unmasked: the MASK bit in ``b1`` says which); ``msg_start`` (``'q'``) the
    row of the first frame of the data message the frame belongs to, or -1 (control
    frames, and frames that belong to no message: a continuation with nothing to
    continue, a reserved opcode).

    ``payloads`` holds each frame's unmasked payload (a :class:`PayloadArena`:
    ``payloads[row]`` is ``bytes``);
    ``violations`` maps the rows that have any to their violations; ``messages``
    maps the row of the last frame of each non-trivial message (fragmented,
    compressed or truncated) to its :class:`MessageCaptured`. Messages that are one
    plain frame are not kept: the frame says everything.

    Memory is bounded by ``max_payload_bytes`` (see :mod:`inspector.capture.budget`;
    None: no bound): from the first frame or message that does not fit on, frames
    keep their headers and the first :data:`CAPPED_PAYLOAD` bytes of payload, kept
    messages the same prefix of their data. :attr:`capped_at_row` is the first row
    past the budget and :attr:`on_capped` is called once, when it is reached.

    The columns are public for fast reading (a table model reads them directly);
    change them only through :meth:`add`. Frame seq numbers must increase within
    each direction, as parsers and senders make them.
    """

    def __init__(
        self,
        session: SessionInfo,
        *,
        max_payload_bytes: int | None = DEFAULT_MAX_CAPTURE_BYTES,
    ) -> None:
        self.session = session
        #: The first row past the capture budget, or None while everything is kept.
        self.capped_at_row: int | None = None
        #: Called once, with the row in :attr:`capped_at_row`, when the budget is reached.
        self.on_capped: Callable[[], None] | None = None
        self._budget = PayloadBudget(max_payload_bytes)
        # Whether the handshake response negotiated permessage-deflate; None until a
        # response is seen (see is_compressed).
        self._deflate: bool | None = None
        self.t: array[float] = array("d")
        self.dir: array[int] = array("B")
        self.seq: array[int] = array("q")
        self.offset: array[int] = array("q")
        self.b0: array[int] = array("B")
        self.b1: array[int] = array("B")
        self.length: array[int] = array("Q")
        self.mask_key: array[int] = array("I")
        self.msg_start: array[int] = array("q")
        self.payloads = PayloadArena()
        self.violations: dict[int, tuple[Violation, ...]] = {}
        self.messages: dict[int, MessageCaptured] = {}
        self.events: list[StoredEvent] = []
        self.event_rows: array[int] = array("q")
        self._handshakes: dict[Direction, HandshakeCaptured] = {}
        self._state: StateChanged | None = None
        # Per direction (index 0 out, 1 in): totals, the row where the fragmented
        # message now open began (-1: none), and the rows [start, end) most recently
        # appended, where the frame a MessageCaptured refers to nearly always is.
        self._frames = [0, 0]
        self._wire = [0, 0]
        self._payload = [0, 0]
        self._open = [-1, -1]
        self._recent = [(0, 0), (0, 0)]
        #: A writer's rows held back (see :meth:`hold`), added before any read or add.
        self._held: Callable[[], None] | None = None

    # ------------------------------------------------------------------ adding
    def hold(self, add_held: Callable[[], None] | None) -> None:
        """A writer holds rows back to add them in bulk (the engine's sent frames of
        one event-loop turn): ``add_held`` adds them, and is called (once, then
        forgotten) before the store is next read (:meth:`__len__`, :meth:`counters`,
        :meth:`iter_events`) or added to, so that no reader sees the rows late. None:
        nothing is held any more."""
        self._held = add_held

    def _add_held(self) -> None:
        add_held = self._held
        if add_held is not None:
            self._held = None
            add_held()

    def add(self, event: FramesCaptured | StoredEvent) -> None:
        """Record one event. Frames go to the columns; a non-trivial message is
        attached to the row of its last frame; anything else goes to :attr:`events`."""
        if self._held is not None:
            self._add_held()
        if isinstance(event, FramesCaptured):
            frames = event.frames
            # The direction by identity: a dict lookup hashes the Enum member in
            # Python on 3.11 (~60 ns), a cost per read of a round trip.
            direction = event.dir
            d = 1 if direction is _DIR_IN else 0 if direction is _DIR_OUT else _DIR_CODE[direction]
            if isinstance(frames, FrameBatch):
                if (
                    len(frames.payloads) != 1
                    or frames.violations
                    or not self._add_one(event.t, d, frames)
                ):
                    self._add_batch(event.t, d, frames)
            else:
                self._add_frames(event.t, d, frames)
            return
        if isinstance(event, MessageCaptured):
            msg = event.message
            if is_plain_message(msg):
                return
            row = self.row_of(event.dir, msg.last_seq)
            event = self._keep_message(event, len(self.b0) if row is None else row)
            if row is not None:
                self.messages[row] = event
                return
        elif isinstance(event, HandshakeCaptured):
            self._handshakes[event.dir] = event
            if event.start_line.startswith("HTTP/"):
                self._deflate = _negotiates_deflate(event)
        elif isinstance(event, StateChanged):
            self._state = event
        elif not isinstance(
            event,
            ViolationCaptured | RawBytesSent | ErrorCaptured | RttSample | InterventionCaptured,
        ):
            raise TypeError(f"not a capture event: {event!r}")
        self.events.append(event)
        self.event_rows.append(len(self.b0))

    def _add_batch(self, t: float, d: int, batch: FrameBatch) -> None:
        """Append a parser batch with C-level bulk operations wherever the frames
        allow it (measured: ~0.6 s per million small frames)."""
        payloads = batch.payloads
        n = len(payloads)
        if not n:
            return
        row0 = len(self.b0)
        # The bulk work is split into short functions on purpose: tracemalloc (used
        # to check this store's memory cost) scans a function's line table from its
        # start on every allocation, so one long function measured 4x slower.
        b0s, b1s = first_bytes(batch.src, batch.offsets)
        try:
            self._extend_lengths_keys(batch.src, batch.offsets, b1s)
            self._extend_rows(t, d, batch.seq0, batch.base, batch.offsets)
        except BaseException:
            # A value that does not fit its column (a seq or offset past 2**63 from a
            # damaged file): undo, so that the columns stay the same length.
            for col in self._columns():
                del col[row0:]
            raise
        self.b0.frombytes(b0s)
        self.b1.frombytes(b1s)
        declared = sum(self.length[row0:])
        # A batch without violations holds every payload whole (the parser flags a
        # frame it did not keep whole), so the declared lengths are the payloads'.
        total = None if batch.violations else declared
        payloads, first_capped = self._budget.keep_all(payloads, total)
        self.payloads.extend(payloads)
        self._group(d, row0, b0s)
        if batch.violations:
            vs = self.violations
            for i, found in batch.violations.items():
                if found:
                    vs[row0 + i] = found
        self._frames[d] += n
        self._payload[d] += declared
        self._wire[d] += declared + sum(map(_HLEN.__getitem__, b1s))
        self._recent[d] = (row0, row0 + n)
        if first_capped >= 0:
            self._reached_budget(row0 + first_capped)

    def _extend_lengths_keys(self, src: bytes | bytearray, offs: array[int], b1s: bytes) -> None:
        """Declared lengths and masking keys of the frames at ``offs`` in ``src``."""
        top = max(b1s)
        if top < 126:
            # Unmasked, 7-bit lengths (a server's flood): the length is the second byte.
            self.length.extend(b1s)
            self.mask_key.extend(array("I", (0,)) * len(b1s))
        elif min(b1s) >= 0x80 and top < 0x80 + 126:
            # Masked, 7-bit lengths (a client's flood): the key follows the 2 bytes.
            self.length.extend(b1s.translate(_LOW7))
            self.mask_key.extend(map(_first, map(_unpack_L, repeat(memoryview(src)[2:]), offs)))
        else:
            lengths = self.length
            keys = self.mask_key
            for off in offs:
                b1 = src[off + 1]
                n7 = b1 & 0x7F
                if n7 < 126:
                    lengths.append(n7)
                    k = off + 2
                elif n7 == 126:
                    lengths.append(_unpack_H(src, off + 2)[0])
                    k = off + 4
                else:
                    lengths.append(_unpack_Q(src, off + 2)[0])
                    k = off + 10
                keys.append(_unpack_L(src, k)[0] if b1 & 0x80 else 0)

    def _extend_rows(self, t: float, d: int, seq0: int, base: int, offs: array[int]) -> None:
        """The per-row columns every frame of one batch shares or counts up."""
        n = len(offs)
        self.t.extend(array("d", (t,)) * n)
        self.dir.frombytes(bytes((d,)) * n)
        if n < 16:  # big-integer set-up costs more than it saves
            self.seq.extend(range(seq0, seq0 + n))
            self.offset.extend(offs if base == 0 else map(base.__add__, offs))
            return
        self.seq.frombytes(counting(seq0, n))
        self.offset.frombytes(plus(offs.tobytes(), base) if base else offs.tobytes())

    def _group(self, d: int, row0: int, b0s: bytes) -> None:
        """Extend ``msg_start`` for frames with first bytes ``b0s`` appended at
        ``row0``, following fragmentation the way the connection does (section 5.4):
        TEXT/BINARY starts a message (dropping an unfinished one), CONT continues the
        open one, control frames may come in between and belong to none."""
        if _WHOLE_MESSAGE_B0.issuperset(b0s):
            n = len(b0s)
            if n < 16:
                self.msg_start.extend(range(row0, row0 + n))
            else:
                self.msg_start.frombytes(counting(row0, n))
            self._open[d] = -1
            return
        ms = self.msg_start
        open_row = self._open[d]
        row = row0
        for b0 in b0s:
            op = b0 & 0x0F
            if op & 0x08 or op > 2:
                ms.append(-1)
            elif op:
                ms.append(row)
                open_row = -1 if b0 & 0x80 else row
            elif open_row >= 0:
                ms.append(open_row)
                if b0 & 0x80:
                    open_row = -1
            else:
                ms.append(-1)
            row += 1
        self._open[d] = open_row

    def add_frames(self, t: float, direction: Direction, frames: Sequence[Frame]) -> None:
        """Append frames given one by one, all at time ``t`` (what we sent): the same
        as :meth:`add` of a :class:`FramesCaptured`, without making the event."""
        if self._held is not None:
            self._add_held()
        d = 0 if direction is _DIR_OUT else 1 if direction is _DIR_IN else _DIR_CODE[direction]
        self._add_frames(t, d, frames)

    def _add_frames(self, t: float, d: int, frames: Sequence[Frame]) -> None:
        row0 = len(self.b0)
        budget = self._budget
        for frame in frames:
            seq, offset, header, payload, violations = frame
            b0 = header[0]
            b1 = header[1]
            n = len(payload)
            if (
                len(header) == (6 if b1 & 0x80 else 2)
                and (b1 & 0x7F) == n
                and b0 & 0x80
                and 1 <= (b0 & 0x0F) <= 2
                and budget.held + n <= budget.room
                and self._open[d] < 0
            ):
                # A whole message in one frame with a 7-bit length, as every small
                # message we send is: the common case, without append_frame's
                # parsing (measured: 2.5x faster).
                row = len(self.b0)
                key = _unpack_L(header, 2)[0] if b1 & 0x80 else 0
                self._append_row(t, d, seq, offset, b0, b1, n, key, row)
                budget.held += n
                self.payloads.append(payload)
                if violations:
                    self.violations[row] = violations
                self._frames[d] += 1
                self._payload[d] += n
                self._wire[d] += n + len(header)
            else:
                self.append_frame(t, _DIR_OF_CODE[d], seq, offset, header, payload, violations)
        self._recent[d] = (row0, len(self.b0))

    def _keep_message(self, event: MessageCaptured, row: int) -> MessageCaptured:
        budget = self._budget
        was_capped = budget.capped
        message = budget.keep_message(event.message)
        if budget.capped and not was_capped:
            self._reached_budget(row)
        if message is event.message:
            return event
        return MessageCaptured(event.t, event.dir, message)

    def _reached_budget(self, row: int) -> None:
        self.capped_at_row = row
        if self.on_capped is not None:
            self.on_capped()

    # ----------------------------------------------------------------- reading
    def __len__(self) -> int:
        if self._held is not None:
            self._add_held()
        return len(self.b0)

    def _row(self, row: int) -> int:
        n = len(self.b0)
        if row < 0:
            row += n
        if not 0 <= row < n:
            raise IndexError(f"row {row} out of range (the store has {n} frames)")
        return row

    def header(self, row: int) -> bytes:
        """The exact header bytes of the frame at ``row``, including a non-minimal
        length form: the 7-bit length field in ``b1`` says which form was used."""
        row = self._row(row)
        b1 = self.b1[row]
        key = _pack_L(self.mask_key[row]) if b1 & 0x80 else None
        return encode_header(self.b0[row], self.length[row], key, _FORM[b1 & 0x7F])

    def frame(self, row: int) -> Frame:
        """The frame at ``row`` as a :class:`Frame` record (made now, not kept)."""
        row = self._row(row)
        return Frame(
            self.seq[row],
            self.offset[row],
            self.header(row),
            self.payloads[row],
            self.violations.get(row, ()),
        )

    def direction(self, row: int) -> Direction:
        return _DIR_OF_CODE[self.dir[self._row(row)]]

    def opcode(self, row: int) -> int:
        return int(self.b0[self._row(row)] & 0x0F)

    def message_for(self, row: int) -> Message | None:
        """The reassembled message that ends at ``row``, if it is non-trivial."""
        captured = self.messages.get(self._row(row))
        return captured.message if captured is not None else None

    def message_frames(self, row: int) -> array[int]:
        """Rows of the data message that ``row`` belongs to, first to last (to group
        fragments; control frames in between are not included). A frame outside any
        data message (a control frame, a stray continuation) is a group of one. An
        unfinished message's group ends at its last frame so far."""
        row = self._row(row)
        start = self.msg_start[row]
        if start < 0:
            return array("q", (row,))
        rows = array("q", (start,))
        ms = self.msg_start
        b0 = self.b0
        r = start
        # array.index scans in C; a fragment is found in a few calls however many
        # frames of the other direction (or control frames) sit in between.
        while not b0[r] & 0x80:
            try:
                r = ms.index(start, r + 1)
            except ValueError:
                break
            rows.append(r)
        return rows

    def row_of(self, direction: Direction, seq: int) -> int | None:
        """The row of frame ``seq`` of ``direction``'s stream, or None."""
        d = 1 if direction is _DIR_IN else 0 if direction is _DIR_OUT else _DIR_CODE[direction]
        start, end = self._recent[d]
        seqs = self.seq
        dirs = self.dir
        if start < end:
            row = start + (seq - seqs[start])
            if start <= row < end and seqs[row] == seq and dirs[row] == d:
                return row
        # Each seq value occurs once per direction, so array.index (a C scan) finds
        # the row in one or two calls.
        row = -1
        while True:
            try:
                row = seqs.index(seq, row + 1)
            except ValueError:
                return None
            if dirs[row] == d:
                return row

    def iter_events(self) -> Iterator[tuple[int, StoredEvent]]:
        """``(rows_before, event)`` pairs: the event came after that many frame rows."""
        if self._held is not None:
            self._add_held()
        return zip(self.event_rows, self.events, strict=True)

    # ---------------------------------------------------------------- summaries
    def counters(self, direction: Direction) -> DirectionCounters:
        if self._held is not None:
            self._add_held()
        d = 1 if direction is _DIR_IN else 0 if direction is _DIR_OUT else _DIR_CODE[direction]
        return DirectionCounters(self._frames[d], self._wire[d], self._payload[d])

    def handshake(self, direction: Direction) -> HandshakeCaptured | None:
        """The handshake half that went ``direction`` (the last one, if several)."""
        return self._handshakes.get(direction)

    @property
    def state(self) -> StateChanged | None:
        """The last state change, or None before the first."""
        return self._state

    @property
    def max_payload_bytes(self) -> int | None:
        """The capture budget: payload bytes kept whole (None: no limit)."""
        return self._budget.limit

    @property
    def held_payload_bytes(self) -> int:
        """Payload bytes the store holds: frame payloads and kept messages' data."""
        return self._budget.held

    @property
    def budget(self) -> PayloadBudget:
        """The budget's state (a live journal started late continues from it)."""
        return self._budget

    @property
    def deflate_negotiated(self) -> bool | None:
        """Whether the handshake response agreed on permessage-deflate (RFC 7692);
        None when the capture has no handshake response."""
        return self._deflate

    def is_compressed(self, row: int) -> bool:
        """Whether the data message the frame at ``row`` belongs to is compressed.

        The one rule, for every view: a frame that belongs to no data message (a
        control frame, a stray continuation, a reserved opcode) is not; otherwise
        RSV1 on the message's *first* frame decides (RFC 7692 section 6: only the
        first frame carries it), and it means "compressed" only if permessage-deflate
        was negotiated. When the capture has no handshake response (``decode``
        output, a capture started late, a hand-made file), negotiation is inferred
        from RSV1 itself, unless the receiver flagged that RSV1 as a reserved bit
        (its parser had no extension defining it).
        """
        row = self._row(row)
        start = self.msg_start[row]
        if start < 0:
            return False
        if not self.b0[start] & 0x40:
            return False
        if self._deflate is not None:
            return self._deflate
        return not self._rsv1_reserved(start)

    def compressed_rows(self) -> bytes:
        """:meth:`is_compressed` of every row, 1 or 0 per row, in whole-column
        operations (a Python step only per frame with violations): for the writers
        of a million rows."""
        n = len(self.b0)
        if not n or self._deflate is False:
            return bytes(n)
        # Each row's message's first header byte; a row in no message (start -1)
        # reads the 0 after the last.
        firsts = self.b0.tobytes() + b"\0"
        mask = bytes(map(firsts.__getitem__, self.msg_start)).translate(_RSV1_BIT)
        if self._deflate is None:
            reserved = bytearray(n + 1)
            for start in self.violations:
                reserved[start] = self._rsv1_reserved(start)
            if any(reserved):
                kept = not_mask(bytes(map(reserved.__getitem__, self.msg_start)))
                mask = and_masks(mask, kept)
        return mask

    def _rsv1_reserved(self, start: int) -> bool:
        """The receiver flagged RSV1 on the frame at ``start`` as a reserved bit (its
        parser had no extension defining it)."""
        b0 = self.b0[start]
        for v in self.violations.get(start, ()):
            # RSV1 is the bit meant when it is the only one set (the parser names the
            # bits it flags; RSV2/RSV3 may share the violation).
            if v.rule is Rule.RESERVED_BIT and (not b0 & 0x30 or "RSV1" in v.message):
                return True
        return False


#: A first header byte -> 1 when RSV1 is set.
_RSV1_BIT: Final = bytes(b >> 6 & 1 for b in range(256))


def _negotiates_deflate(response: HandshakeCaptured) -> bool:
    """The response names permessage-deflate among its extensions: in the
    negotiated value the engine recorded, or in its Sec-WebSocket-Extensions
    headers (what a server sent is only in its headers)."""
    values = [v for k, v in response.headers if k.lower() == "sec-websocket-extensions"]
    if response.extensions:
        values.append(response.extensions)
    names = (item.split(";", 1)[0].strip().lower() for v in values for item in v.split(","))
    return "permessage-deflate" in names
