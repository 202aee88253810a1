"""Frames as they are on the wire (RFC 6455 section 5.2), and how to make them.

``Frame`` records everything one frame carried: the raw header bytes (from which FIN,
RSV1-3, the opcode, the MASK bit, the length form and the masking key are read), the
unmasked payload, the frame's sequence number and byte offset in its stream, and the
violations found in it.

The parser (:mod:`inspector.protocol.parser`) makes them by the million: so ``Frame``
is a tuple subclass (cheap to create, immutable, ~100 bytes) and fields that can be
read from the header are computed on demand.
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
    "FrameSpec",
    "LengthForm",
    "apply_mask",
    "encode_frame",
    "encode_header",
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
    """The frames one call to the parser's ``feed`` completed, held as columns
    (:class:`~inspector.protocol.parser.FrameParser`).

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
