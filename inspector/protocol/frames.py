"""Frames as they are on the wire (RFC 6455 section 5.2), and how to make them.

``Frame`` records everything one frame carried: the raw header bytes (from which FIN,
RSV1-3, the opcode, the MASK bit, the length form and the masking key are read), the
unmasked payload, the frame's sequence number and byte offset in its stream, and the
violations found in it.

The parser here is the hot path of the whole program: a flood of small frames must
cost little more than the memory copies. So ``Frame`` is a tuple subclass (cheap to
create, immutable, ~100 bytes), fields that can be read from the header are computed
on demand, and the parse loop avoids Python work on frames that break no rule.
"""

from __future__ import annotations

import enum
import os
import struct
from array import array
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from .constants import (
    DEFAULT_MAX_FRAME_SIZE,
    Opcode,
    Role,
    close_code_meaning,
    is_valid_close_code,
    opcode_name,
)
from .violations import Rule, Violation

#: XOR of a payload with its 4-byte key: (data, key) -> bytes.
_MaskFunction = Callable[[bytes | bytearray | memoryview, bytes | bytearray], bytes]


def _load_c_apply_mask() -> _MaskFunction | None:
    """The C helper of the websockets library (it XORs near memory-copy speed), loaded
    from its file: importing ``websockets.speedups`` runs the package's ``__init__``,
    which imports ``importlib.metadata`` (~15 ms of every start, window included)."""
    import sys

    loaded = sys.modules.get("websockets.speedups")
    if loaded is not None:
        return getattr(loaded, "apply_mask", None)
    import importlib.machinery
    import importlib.util

    try:
        package = importlib.util.find_spec("websockets")  # finds, does not import
    except (ImportError, ValueError):
        package = None
    for folder in (package.submodule_search_locations or ()) if package else ():
        for suffix in importlib.machinery.EXTENSION_SUFFIXES:
            path = os.path.join(folder, "speedups" + suffix)
            if not os.path.exists(path):
                continue
            loader = importlib.machinery.ExtensionFileLoader("websockets.speedups", path)
            spec = importlib.util.spec_from_file_location(
                "websockets.speedups", path, loader=loader
            )
            if spec is None:
                continue
            try:
                module = importlib.util.module_from_spec(spec)
                loader.exec_module(module)
            except ImportError:  # pragma: no cover - a wheel for another interpreter
                continue
            apply_mask: _MaskFunction = module.apply_mask
            return apply_mask
    # No file to load (a frozen or zipped install): the ordinary import, if it works.
    try:
        from websockets.speedups import apply_mask as imported
    except ImportError:  # pragma: no cover - exercised only where the wheel is missing
        return None
    return imported


_c_apply_mask = _load_c_apply_mask()

__all__ = [
    "DEFAULT_MAX_FRAME_SIZE",
    "Frame",
    "FrameBatch",
    "FrameParser",
    "FrameSpec",
    "LengthForm",
    "apply_mask",
    "encode_frame",
    "encode_header",
    "frame_violations",
    "header_length",
    "parse_close_payload",
]


_unpack_H = struct.Struct("!H").unpack_from
_unpack_Q = struct.Struct("!Q").unpack_from
_pack_BB = struct.Struct("!BB").pack
_pack_BBH = struct.Struct("!BBH").pack
_pack_BBQ = struct.Struct("!BBQ").pack
_tuple_new = tuple.__new__


def _py_apply_mask(data: bytes | bytearray | memoryview, mask: bytes | bytearray) -> bytes:
    n = len(data)
    if n == 0:
        return b""
    key = int.from_bytes((mask * (n // 4 + 1))[:n], "big")
    return (int.from_bytes(data, "big") ^ key).to_bytes(n, "big")


def apply_mask(data: bytes | bytearray | memoryview, mask: bytes) -> bytes:
    """XOR ``data`` with the 4-byte ``mask`` (RFC 6455 section 5.3); masking and
    unmasking are the same operation."""
    if len(mask) != 4:
        raise ValueError("a masking key is 4 bytes")
    if _c_apply_mask is not None:
        return bytes(_c_apply_mask(data, mask))
    return _py_apply_mask(data, mask)


_unmask = _c_apply_mask if _c_apply_mask is not None else _py_apply_mask


class LengthForm(enum.IntEnum):
    """Which encoding of the payload length a frame used (section 5.2); the value is
    the number of bits the length takes."""

    SHORT = 7  # length in the 7 bits of the second byte (0-125)
    MEDIUM = 16  # 126, then a 16-bit length
    LONG = 64  # 127, then a 64-bit length

    @staticmethod
    def minimal(length: int) -> LengthForm:
        if length < 126:
            return LengthForm.SHORT
        if length < 65536:
            return LengthForm.MEDIUM
        return LengthForm.LONG


def parse_close_payload(
    payload: bytes,
) -> tuple[int | None, str | None, list[tuple[Rule, str]]]:
    """Read a close frame's payload (section 5.5.1): code, reason and what is wrong.

    Never raises: a reason that is not UTF-8 is decoded with replacement characters so
    that it can still be shown.
    """
    problems: list[tuple[Rule, str]] = []
    if not payload:
        return None, None, problems
    if len(payload) == 1:
        problems.append((Rule.CLOSE_PAYLOAD_ONE_BYTE, "close payload is 1 byte; a code needs 2"))
        return None, None, problems
    code = (payload[0] << 8) | payload[1]
    if not is_valid_close_code(code):
        problems.append((Rule.INVALID_CLOSE_CODE, f"close code {code}: {close_code_meaning(code)}"))
    raw_reason = payload[2:]
    try:
        reason = raw_reason.decode("utf-8")
    except UnicodeDecodeError as exc:
        problems.append(
            (Rule.INVALID_CLOSE_REASON, f"close reason is not UTF-8 at byte {exc.start}")
        )
        reason = raw_reason.decode("utf-8", "replace")
    return code, reason, problems


class Frame(NamedTuple):
    """One frame, received or sent, with every bit it carried.

    ``header`` holds the exact header bytes; FIN, RSV1-3, opcode, MASK, the declared
    length, the length form and the masking key are read from it. ``payload`` is
    unmasked. It is shorter than :attr:`length` only when the frame was too large to
    keep (see :attr:`truncated`). ``offset`` is the position of the first header
    byte in the stream; ``seq`` counts frames in that stream from 0.
    """

    seq: int
    offset: int
    header: bytes
    payload: bytes
    violations: tuple[Violation, ...] = ()

    # -- header fields -------------------------------------------------------
    @property
    def fin(self) -> bool:
        return bool(self.header[0] & 0x80)

    @property
    def rsv1(self) -> bool:
        return bool(self.header[0] & 0x40)

    @property
    def rsv2(self) -> bool:
        return bool(self.header[0] & 0x20)

    @property
    def rsv3(self) -> bool:
        return bool(self.header[0] & 0x10)

    @property
    def opcode(self) -> int:
        return self.header[0] & 0x0F

    @property
    def opcode_name(self) -> str:
        return opcode_name(self.header[0])

    @property
    def is_control(self) -> bool:
        return bool(self.header[0] & 0x08)

    @property
    def masked(self) -> bool:
        return bool(self.header[1] & 0x80)

    @property
    def mask_key(self) -> bytes | None:
        return self.header[-4:] if self.header[1] & 0x80 else None

    @property
    def length_form(self) -> LengthForm:
        n = self.header[1] & 0x7F
        return LengthForm.LONG if n == 127 else LengthForm.MEDIUM if n == 126 else LengthForm.SHORT

    @property
    def length(self) -> int:
        """The payload length the header declares."""
        n = self.header[1] & 0x7F
        if n == 126:
            return int(_unpack_H(self.header, 2)[0])
        if n == 127:
            return int(_unpack_Q(self.header, 2)[0])
        return n

    @property
    def wire_size(self) -> int:
        return len(self.header) + self.length

    @property
    def truncated(self) -> bool:
        """True when the payload was not kept whole (over the size limit, or cut off)."""
        return len(self.payload) < self.length

    # -- payload views -------------------------------------------------------
    @property
    def masked_payload(self) -> bytes:
        """The payload as it was on the wire (masked with the key, if any)."""
        key = self.mask_key
        return apply_mask(self.payload, key) if key is not None else self.payload

    @property
    def close_code(self) -> int | None:
        if self.opcode != Opcode.CLOSE:
            return None
        return parse_close_payload(self.payload)[0]

    @property
    def close_reason(self) -> str | None:
        if self.opcode != Opcode.CLOSE:
            return None
        return parse_close_payload(self.payload)[1]

    @property
    def text(self) -> str | None:
        """The payload as text, where it decodes: a text or continuation frame's
        payload, or a close frame's reason. None otherwise."""
        op = self.opcode
        if op == Opcode.CLOSE:
            return self.close_reason
        if op in (Opcode.TEXT, Opcode.CONT, Opcode.PING, Opcode.PONG):
            try:
                return self.payload.decode("utf-8")
            except UnicodeDecodeError:
                return None
        return None

    def with_violations(self, *extra: Violation) -> Frame:
        return self._replace(violations=self.violations + extra)

    def to_json(self) -> dict[str, Any]:
        """The fields ``ws-inspector decode --json`` prints, one object per frame."""
        import base64

        close_code = close_reason = None
        if self.opcode == Opcode.CLOSE:
            close_code, close_reason, _ = parse_close_payload(self.payload)
        key = self.mask_key
        return {
            "type": "frame",
            "seq": self.seq,
            "offset": self.offset,
            "fin": self.fin,
            "rsv1": self.rsv1,
            "rsv2": self.rsv2,
            "rsv3": self.rsv3,
            "opcode": self.opcode,
            "opcode_name": self.opcode_name,
            "masked": self.masked,
            "mask_key": key.hex() if key is not None else None,
            "length": self.length,
            "length_form": self.length_form,
            "header_hex": self.header.hex(),
            "payload_b64": base64.b64encode(self.payload).decode("ascii"),
            "truncated": self.truncated,
            "text": self.text,
            "close_code": close_code,
            "close_reason": close_reason,
            "violations": [v.to_json() for v in self.violations],
        }

    def __str__(self) -> str:
        bits = "F" if self.fin else "-"
        bits += "".join("1" if b else "-" for b in (self.rsv1, self.rsv2, self.rsv3))
        key = self.mask_key
        parts = [f"#{self.seq}", f"{self.opcode_name:<8}", bits, f"len={self.length}"]
        if key is not None:
            parts.append(f"mask={key.hex()}")
        if self.opcode == Opcode.CLOSE:
            code, reason, _ = parse_close_payload(self.payload)
            parts.append(f"code={code} reason={reason!r}" if code is not None else "(no code)")
        else:
            text = self.text if self.opcode != Opcode.BINARY else None
            if text is not None:
                parts.append(repr(text if len(text) <= 60 else text[:57] + "..."))
            elif self.payload:
                h = self.payload[:24].hex(" ")
                parts.append(h + (" ..." if len(self.payload) > 24 else ""))
        for v in self.violations:
            parts.append(f"!{v.rule.slug} ({v.rule.rfc})")
        return " ".join(parts)


@dataclass(frozen=True, slots=True)
class FrameSpec:
    """A description of one frame to send, valid or deliberately not.

    Defaults give a correct frame for the sender's role. Every field can be set to
    anything the wire format can carry: any opcode 0-15, RSV bits, a fragment
    (``fin=False``), masking on or off with a chosen key, a non-minimal length form,
    or a ``declared_length`` that lies about the payload that follows.
    """

    opcode: int
    payload: bytes = b""
    fin: bool = True
    rsv1: bool = False
    rsv2: bool = False
    rsv3: bool = False
    mask: bool | None = None  # None: masked when the sender is a client (section 5.3)
    mask_key: bytes | None = None  # None: a fresh random key per frame
    length_form: int | None = None  # 7, 16 or 64; None: the minimal form
    declared_length: int | None = None  # None: len(payload)

    def __post_init__(self) -> None:
        if not 0 <= self.opcode <= 15:
            raise ValueError(f"opcode {self.opcode} does not fit in 4 bits")
        if self.mask_key is not None and len(self.mask_key) != 4:
            raise ValueError("a masking key is 4 bytes")
        if self.length_form not in (None, 7, 16, 64):
            raise ValueError("length_form is 7, 16 or 64")
        declared = len(self.payload) if self.declared_length is None else self.declared_length
        if not 0 <= declared < 2**64:
            raise ValueError("declared length must fit in 64 bits")
        form = self.length_form
        if form == 7 and declared > 125:
            raise ValueError("a 7-bit length holds at most 125")
        if form == 16 and declared > 0xFFFF:
            raise ValueError("a 16-bit length holds at most 65535")


def encode_header(
    b0: int, length: int, mask_key: bytes | None, length_form: int | None = None
) -> bytes:
    """Header bytes for a frame whose first byte is ``b0``."""
    # Plain ints on this path: every frame we send comes here.
    if length_form is None:
        form = 7 if length < 126 else 16 if length < 65536 else 64
    else:
        form = length_form
    mbit = 0x80 if mask_key is not None else 0
    if form == 7:
        head = _pack_BB(b0, mbit | length)
    elif form == 16:
        head = _pack_BBH(b0, mbit | 126, length)
    else:
        head = _pack_BBQ(b0, mbit | 127, length)
    return head + mask_key if mask_key is not None else head


def encode_frame(spec: FrameSpec, sender: Role) -> tuple[bytes, bytes]:
    """Serialize ``spec`` as ``sender`` would: returns ``(header, payload_on_wire)``.

    The frame's :class:`Frame` record is ``Frame(seq, offset, header, spec.payload)``.
    """
    b0 = (
        (0x80 if spec.fin else 0)
        | (0x40 if spec.rsv1 else 0)
        | (0x20 if spec.rsv2 else 0)
        | (0x10 if spec.rsv3 else 0)
        | spec.opcode
    )
    masked = (sender is Role.CLIENT) if spec.mask is None else spec.mask
    key = (spec.mask_key or os.urandom(4)) if masked else None
    declared = len(spec.payload) if spec.declared_length is None else spec.declared_length
    header = encode_header(b0, declared, key, spec.length_form)
    wire = apply_mask(spec.payload, key) if key is not None else spec.payload
    return header, wire


# First bytes that need no further look: a data or continuation frame, any FIN, no RSV.
_PLAIN_DATA_B0 = frozenset({0x00, 0x01, 0x02, 0x80, 0x81, 0x82})


def header_length(b1: int) -> int:
    """Length of a frame header from its second byte (section 5.2)."""
    n = b1 & 0x7F
    return (2 if n < 126 else 4 if n == 126 else 10) + (4 if b1 & 0x80 else 0)


class FrameBatch:
    """The frames one call to :meth:`FrameParser.feed` completed, held as columns.

    A flood of small frames is the common case, so a batch keeps one offsets array
    and one list of unmasked payloads instead of one object per frame; ``batch[i]``
    makes the :class:`Frame` view on demand. Violations are kept only for the frames
    that have any. ``src`` is the chunk of the stream the offsets point into.
    """

    __slots__ = ("base", "offsets", "payloads", "seq0", "src", "violations")

    def __init__(
        self,
        seq0: int,
        base: int,
        src: bytes | bytearray,
        offsets: array[int],
        payloads: list[bytes],
        violations: dict[int, tuple[Violation, ...]],
    ) -> None:
        self.seq0 = seq0
        self.base = base  # stream offset of src[0]
        self.src = src
        self.offsets = offsets
        self.payloads = payloads
        self.violations = violations

    def __len__(self) -> int:
        return len(self.payloads)

    def __bool__(self) -> bool:
        return bool(self.payloads)

    def header(self, i: int) -> bytes:
        off = self.offsets[i]
        return bytes(self.src[off : off + header_length(self.src[off + 1])])

    def b0(self, i: int) -> int:
        return self.src[self.offsets[i]]

    def __getitem__(self, i: int) -> Frame:
        if i < 0:
            i += len(self.payloads)
        off = self.offsets[i]
        header = bytes(self.src[off : off + header_length(self.src[off + 1])])
        return _tuple_new(
            Frame,
            (self.seq0 + i, self.base + off, header, self.payloads[i], self.violations.get(i, ())),
        )

    def __iter__(self) -> Iterator[Frame]:
        for i in range(len(self.payloads)):
            yield self[i]

    def add_violations(self, i: int, extra: Sequence[Violation]) -> None:
        self.violations[i] = self.violations.get(i, ()) + tuple(extra)

    def __repr__(self) -> str:
        return f"<FrameBatch seq {self.seq0}..{self.seq0 + len(self) - 1}, {len(self)} frames>"


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
