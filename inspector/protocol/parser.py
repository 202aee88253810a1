"""The frame parser (RFC 6455 section 5.2): a byte stream in, :class:`FrameBatch`
es of :class:`~inspector.protocol.frames.Frame` out, every rule a frame breaks recorded
as a :class:`Violation` on it (``frame_violations``), never raised.

It is the hot path of the whole program: a flood of small frames must cost little
more than the memory copies, so the parse loop avoids Python work on frames that
break no rule, a read that is exactly one small frame skips the loop, and large
frames are received straight into a buffer of their own size.
"""

from __future__ import annotations

from array import array

from .constants import DEFAULT_MAX_FRAME_SIZE, Opcode, Role, opcode_name
from .frames import (
    _PLAIN_DATA_B0,
    FrameBatch,
    _unmask,
    _unpack_H,
    _unpack_Q,
    header_length,
)
from .violations import Rule, Violation

__all__ = ["FrameParser", "frame_violations"]


_EMPTY_SRC = b""
#: The offsets of a batch of one frame (copied: a batch owns its offsets).
_ONE_OFFSET = array("q", (0,))
#: Frames from this size on (header and payload, up to the maximum) are received
#: into a buffer of their own size (see FrameParser.receive_buffer).
_BIG_FRAME = 64 * 1024
_BIG_FRAME_MAX = 64 * 2**20
#: The largest frame buffer a parser keeps for reuse.
_SPARE_MAX = 4 * 2**20


class FrameParser:
    """Incremental frame parser for one direction of a connection.

    Feed it bytes in chunks of any size; it returns the frames completed by each
    chunk as a :class:`FrameBatch`, with the frame-level violations of section 5
    recorded. Message-level rules (fragmentation, UTF-8, close payloads) are the
    connection's job (:mod:`inspector.protocol.connection`). A frame that declares
    more than ``max_frame_size`` bytes is reported as soon as its header is complete
    and its payload skipped as it arrives, so a claim of 2**63 bytes allocates nothing.
    """

    def __init__(
        self,
        sender: Role,
        *,
        max_frame_size: int | None = DEFAULT_MAX_FRAME_SIZE,
        rsv_allowed: int = 0,
    ) -> None:
        self.sender = sender
        self.max_frame_size = max_frame_size if max_frame_size is not None else 2**64
        #: Bitmask of RSV bits in the first byte that an extension defines (0x40 = RSV1).
        self.rsv_allowed = rsv_allowed
        self._buf = bytearray()
        #: A large frame being received: a buffer of its whole size (header and
        #: payload), filled in place (see :meth:`receive_buffer`), and how much of it is.
        self._big: bytearray | memoryview | None = None
        self._filled = 0
        #: The buffer of the last large frame, reused for the next one: memory the
        #: socket writes into is already mapped (fresh memory costs a page fault per
        #: 4 KiB, the largest cost of receiving large frames).
        self._spare: bytearray | None = None
        self._need = 2  # buffered bytes needed before parsing can make progress
        self._base = 0  # stream offset of self._buf[0]
        self._seq = 0
        self._skip = 0  # payload bytes of an oversized frame still to discard
        self._skip_start = 0  # stream offset of the oversized frame being skipped
        # First bytes that break no frame-level rule, given the extensions in use.
        self._plain_b0 = frozenset(
            b0 | (rsv & rsv_allowed)
            for b0 in _PLAIN_DATA_B0
            for rsv in (0, 0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70)
        )

    @property
    def offset(self) -> int:
        """Bytes consumed from the stream so far (frames complete or being skipped)."""
        return self._base

    @property
    def pending(self) -> int:
        """Bytes received that do not yet form a complete frame."""
        return self._filled if self._big is not None else len(self._buf)

    @property
    def incomplete(self) -> int:
        """Bytes received of the frame in progress: buffered, or already skipped."""
        return self._base - self._skip_start if self._skip else self.pending

    @property
    def skipping(self) -> int:
        """Payload bytes of an oversized frame still to be discarded."""
        return self._skip

    @property
    def frames_parsed(self) -> int:
        return self._seq

    def receive_buffer(self) -> memoryview | None:
        """Where the next bytes of a large frame in progress go, or None: a reader may
        receive straight into it (``socket.recv_into``) and call :meth:`received`,
        which saves copying each read into the frame. It ends where the frame does."""
        big = self._big
        if big is None:
            return None
        return memoryview(big)[self._filled :]

    def received(self, nbytes: int) -> FrameBatch:
        """``nbytes`` were written at the start of :meth:`receive_buffer`."""
        big = self._big
        assert big is not None and 0 <= nbytes <= len(big) - self._filled
        self._filled += nbytes
        if self._filled < len(big):
            return FrameBatch(self._seq, self._base, _EMPTY_SRC, array("q"), [], {})
        self._big = None
        self._filled = 0
        batch = self._parse(big)  # type: ignore[arg-type]
        if isinstance(big, memoryview):
            # The spare buffer will be reused: the batch keeps its one header (all a
            # batch reads from its source), the payload is a copy already.
            batch.src = bytes(big[: header_length(big[1])])
            big.release()
        return batch

    def feed(self, data: bytes | bytearray | memoryview) -> FrameBatch:
        big = self._big
        if big is not None:
            filled = self._filled
            take = min(len(big) - filled, len(data))
            big[filled : filled + take] = memoryview(data)[:take]
            if take == len(data):
                self._filled = filled
                return self.received(take)
            # The frame is complete and more follows: parse them together (a reader
            # using receive_buffer never gets here: its reads end with the frame).
            self._big = None
            self._filled = 0
            merged = bytearray(big)
            merged += memoryview(data)[take:]
            if isinstance(big, memoryview):
                big.release()
            return self._parse(merged)
        if self._skip:
            take = min(self._skip, len(data))
            self._skip -= take
            self._base += take
            data = memoryview(data)[take:]
        buf = self._buf
        if buf:
            buf += data
            if len(buf) < self._need:
                # Still inside one frame: keep buffering without copying it again,
                # so a large frame trickling in costs O(n), not O(n^2).
                return FrameBatch(self._seq, self._base, _EMPTY_SRC, array("q"), [], {})
            # The buffer itself becomes the batch's source: a large frame that came
            # in many reads is not copied once more before its payload is sliced out.
            self._buf = bytearray()
            return self._parse(buf)
        return self._parse(bytes(data))

    def _parse(self, src: bytes | bytearray) -> FrameBatch:
        n = len(src)
        if 2 <= n <= 131:
            # A read of exactly one small frame (a round trip's answer): no loop.
            b1 = src[1]
            length = b1 & 0x7F
            if (
                length < 126  # (126 and 127 say the length follows)
                and n == length + (6 if b1 & 0x80 else 2)
                and length <= self.max_frame_size
            ):
                return self._parse_one(src, b1, length)
        return self._parse_many(src)

    def _parse_one(self, src: bytes | bytearray, b1: int, length: int) -> FrameBatch:
        """:meth:`_parse_many` of ``src`` holding exactly one frame with a 7-bit
        length (``b1`` its second byte), with the same batch."""
        base = self._base
        seq0 = self._seq
        b0 = src[0]
        if b1 & 0x80:
            p = 6
            payload = _unmask(src[6:], src[2:6])
        else:
            p = 2
            payload = src[2:] if type(src) is bytes else bytes(memoryview(src)[2:])
        violations: dict[int, tuple[Violation, ...]] = {}
        expect_mask = 0x80 if self.sender is Role.CLIENT else 0
        if not (b0 in self._plain_b0 and (b1 & 0x80) == expect_mask):
            found = self._violations(bytes(src[:p]), b0, b1, length, base)
            if found:
                violations[0] = found
        self._need = 2
        self._seq = seq0 + 1
        self._base = base + len(src)
        return FrameBatch(seq0, base, src, _ONE_OFFSET[:], [payload], violations)

    def _parse_many(self, src: bytes | bytearray) -> FrameBatch:
        base = self._base
        seq0 = self._seq
        offsets = array("q")
        payloads: list[bytes] = []
        violations: dict[int, tuple[Violation, ...]] = {}
        add_offset = offsets.append
        add_payload = payloads.append
        n = len(src)
        pos = 0
        need = 2
        max_size = self.max_frame_size
        expect_mask = 0x80 if self.sender is Role.CLIENT else 0
        plain = self._plain_b0
        unmask = _unmask
        exact = type(src) is bytes  # slices of bytes are bytes; of a bytearray, not
        view = memoryview(src)
        while n - pos >= 2:
            b0 = src[pos]
            b1 = src[pos + 1]
            length = b1 & 0x7F
            if length < 126:
                hlen = 2
                minimal = True
            elif length == 126:
                if n - pos < 4:
                    need = 4
                    break
                length = _unpack_H(src, pos + 2)[0]
                hlen = 4
                minimal = length >= 126
            else:
                if n - pos < 10:
                    need = 10
                    break
                length = _unpack_Q(src, pos + 2)[0]
                hlen = 10
                minimal = 65536 <= length < 2**63
            if b1 & 0x80:
                hlen += 4
            p = pos + hlen
            if length > max_size:
                if p > n:
                    need = hlen
                    break
                index = len(payloads)
                add_offset(pos)
                add_payload(b"")
                violations[index] = self._violations(bytes(src[pos:p]), b0, b1, length, base + pos)
                take = min(n - p, length)
                self._skip = length - take
                self._skip_start = base + pos
                pos = p + take
                if self._skip:
                    break
                continue
            end = p + length
            if end > n:
                need = end - pos
                break
            if b1 & 0x80:
                # A memoryview saves copying a large payload once more before the XOR.
                add_payload(unmask(src[p:end] if length < 2048 else view[p:end], src[p - 4 : p]))
            else:
                add_payload(src[p:end] if exact else view[p:end].tobytes())  # type: ignore[arg-type]
            add_offset(pos)
            if not (minimal and b0 in plain and (b1 & 0x80) == expect_mask):
                found = self._violations(bytes(src[pos:p]), b0, b1, length, base + pos)
                if found:
                    violations[len(payloads) - 1] = found
            pos = end
        if pos < n and not self._skip:
            if _BIG_FRAME <= need <= _BIG_FRAME_MAX:
                # A large frame has begun: its whole size is known, so it gets a
                # buffer of that size, filled in place as the rest arrives.
                big: bytearray | memoryview
                spare = self._spare
                if spare is not None and len(spare) >= need:
                    big = memoryview(spare)[:need]
                elif need <= _SPARE_MAX:
                    self._spare = spare = bytearray(need)
                    big = memoryview(spare)
                else:
                    big = bytearray(need)
                big[: n - pos] = view[pos:]
                self._big = big
                self._filled = n - pos
            else:
                self._buf += view[pos:]
        view.release()
        self._need = need
        self._seq = seq0 + len(payloads)
        self._base = base + pos
        return FrameBatch(seq0, base, src, offsets, payloads, violations)

    def _violations(
        self, header: bytes, b0: int, b1: int, length: int, offset: int
    ) -> tuple[Violation, ...]:
        """The slow path: every frame-level violation of a frame that is not plain."""
        return frame_violations(
            header,
            length,
            offset,
            self.sender,
            rsv_allowed=self.rsv_allowed,
            max_frame_size=self.max_frame_size,
        )


def frame_violations(
    header: bytes,
    length: int,
    offset: int | None,
    sender: Role,
    *,
    rsv_allowed: int = 0,
    max_frame_size: int | None = None,
    deliberate: bool = False,
) -> tuple[Violation, ...]:
    """Every frame-level rule of section 5 that a frame with this ``header`` (declaring
    ``length`` payload bytes), sent by ``sender``, breaks. ``deliberate`` marks the
    violations of a frame we sent on purpose."""
    b0 = header[0]
    b1 = header[1]
    out: list[Violation] = []

    def add(rule: Rule, message: str) -> None:
        out.append(Violation(rule, message, offset, deliberate))

    masked = bool(b1 & 0x80)
    if sender is Role.CLIENT and not masked:
        add(Rule.UNMASKED_CLIENT_FRAME, "client frame is not masked")
    elif sender is Role.SERVER and masked:
        add(Rule.MASKED_SERVER_FRAME, f"server frame is masked with key {header[-4:].hex()}")
    rsv = b0 & 0x70 & ~rsv_allowed
    if rsv:
        names = [n for bit, n in ((0x40, "RSV1"), (0x20, "RSV2"), (0x10, "RSV3")) if rsv & bit]
        add(Rule.RESERVED_BIT, f"{', '.join(names)} set with no negotiated extension defining it")
    opcode = b0 & 0x0F
    if Opcode(opcode).is_reserved:
        add(Rule.RESERVED_OPCODE, f"reserved opcode 0x{opcode:X}")
    elif opcode >= 8:
        if length > 125:
            add(
                Rule.CONTROL_FRAME_TOO_LONG,
                f"{opcode_name(opcode)} frame with a {length}-byte payload",
            )
        if not b0 & 0x80:
            add(Rule.FRAGMENTED_CONTROL_FRAME, f"{opcode_name(opcode)} frame with FIN=0")
    form = b1 & 0x7F
    if form == 126 and length < 126:
        add(Rule.NON_MINIMAL_LENGTH, f"length {length} sent in the 16-bit form; it fits in 7 bits")
    elif form == 127:
        if length >= 2**63:
            add(
                Rule.LENGTH_TOP_BIT,
                f"64-bit length 0x{length:016X} has its most significant bit set",
            )
        elif length < 65536:
            what = "7 bits" if length < 126 else "16 bits"
            add(
                Rule.NON_MINIMAL_LENGTH,
                f"length {length} sent in the 64-bit form; it fits in {what}",
            )
    if max_frame_size is not None and length > max_frame_size:
        add(
            Rule.FRAME_TOO_LARGE,
            f"frame declares {length} bytes; the limit is {max_frame_size}; its payload is skipped",
        )
    return tuple(out)
