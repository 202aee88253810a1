"""One frame in words: its header fields bit by bit, the message it belongs to, its
close payload, its masking and the rules it breaks (Qt-free).

The frame detail pane draws these; they are plain records so that they can be tested
without a window and so that any other output (a report, the command line) says the
same thing. A rule we broke on purpose, in a frame we crafted and sent
(:attr:`Violation.deliberate`), is worded as such everywhere ("sent on purpose"),
never as a fault of the peer.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from ..capture.events import SessionRole
from ..capture.store import CaptureStore
from ..protocol.constants import (
    CloseCode,
    Opcode,
    close_code_meaning,
    is_valid_close_code,
    opcode_name,
)
from ..protocol.events import Message
from ..protocol.frames import apply_mask, parse_close_payload
from ..protocol.violations import Rule, Violation
from .text import escape_control

__all__ = [
    "DELIBERATE_MARK",
    "PAYLOAD_FIELD",
    "VIOLATION_MARK",
    "BitField",
    "FieldRow",
    "MaskRow",
    "MessageKind",
    "SummaryPart",
    "close_fields",
    "describe_fields",
    "field_table",
    "frame_summary",
    "group_bits",
    "header_fields",
    "is_text_kind",
    "masking_rows",
    "masking_table",
    "message_info",
    "message_kind",
    "violation_line",
    "violations_word",
]

#: The mark of a rule the peer broke, and of one we broke on purpose.
VIOLATION_MARK = "\u26a0"
DELIBERATE_MARK = "\u2691"

PAYLOAD_FIELD = "Payload data"


class BitField(NamedTuple):
    """One field of a frame header as the bit figure shows it.

    ``start`` is the first bit counted from the header's first bit (bit 0 is the most
    significant bit of byte 0, as in RFC 6455 section 5.2); ``bits`` is the field's
    bits as a "0"/"1" string (empty for the payload marker); ``text`` its decoded
    value; ``violations`` the rules this frame breaks in this field.
    """

    name: str
    label: str
    start: int
    width: int
    bits: str
    value: int
    text: str
    violations: tuple[Violation, ...] = ()


#: Which header fields each rule is about (RESERVED_BIT: the RSV bits that are set).
_RULE_FIELDS: dict[Rule, tuple[str, ...]] = {
    Rule.UNMASKED_CLIENT_FRAME: ("MASK",),
    Rule.MASKED_SERVER_FRAME: ("MASK",),
    Rule.RESERVED_OPCODE: ("opcode",),
    Rule.NON_MINIMAL_LENGTH: ("Payload len", "Extended payload length"),
    Rule.LENGTH_TOP_BIT: ("Extended payload length",),
    Rule.CONTROL_FRAME_TOO_LONG: ("Payload len", "Extended payload length"),
    Rule.FRAGMENTED_CONTROL_FRAME: ("FIN",),
    Rule.COMPRESSED_CONTROL_FRAME: ("RSV1",),
    Rule.COMPRESSED_CONTINUATION: ("RSV1",),
    Rule.FRAME_TOO_LARGE: ("Payload len", "Extended payload length"),
    Rule.UNEXPECTED_CONTINUATION: ("opcode",),
    Rule.EXPECTED_CONTINUATION: ("opcode",),
}


_NAMED_OPCODES = frozenset({0x0, 0x1, 0x2, 0x8, 0x9, 0xA})


def _bits(value: int, width: int) -> str:
    return format(value, f"0{width}b")


def header_fields(
    header: bytes, violations: tuple[Violation, ...] = (), payload_length: int | None = None
) -> list[BitField]:
    """The fields of ``header`` in wire order, then a payload marker."""
    b0, b1 = header[0], header[1]
    n7 = b1 & 0x7F
    op = b0 & 0x0F
    masked = bool(b1 & 0x80)
    fin_text = "final fragment" if b0 & 0x80 else "more fragments follow"
    fields = [BitField("FIN", "FIN", 0, 1, _bits(b0 >> 7, 1), b0 >> 7, fin_text)]
    for i, bit in ((1, 0x40), (2, 0x20), (3, 0x10)):
        on = int(bool(b0 & bit))
        fields.append(BitField(f"RSV{i}", f"RSV{i}", i, 1, str(on), on, "set" if on else "clear"))
    # A reserved opcode has no name; "reserved" says what it is in a 4-bit box.
    op_text = f"0x{op:X} {opcode_name(op) if op in _NAMED_OPCODES else 'reserved'}"
    fields.append(BitField("opcode", "opcode", 4, 4, _bits(op, 4), op, op_text))
    mask_text = "payload masked" if masked else "not masked"
    fields.append(BitField("MASK", "MASK", 8, 1, str(int(masked)), int(masked), mask_text))
    if n7 < 126:
        length_text = f"{n7} bytes"
    elif n7 == 126:
        length_text = "126 \u2192 16-bit length"
    else:
        length_text = "127 \u2192 64-bit length"
    fields.append(BitField("Payload len", "Payload len", 9, 7, _bits(n7, 7), n7, length_text))
    pos = 16
    declared = n7
    if n7 >= 126:
        width = 16 if n7 == 126 else 64
        declared = int.from_bytes(header[2 : 2 + width // 8], "big")
        fields.append(
            BitField(
                "Extended payload length",
                f"Extended payload length ({width})",
                16,
                width,
                _bits(declared, width),
                declared,
                f"{declared:,} bytes",
            )
        )
        pos += width
    if masked:
        key = header[pos // 8 : pos // 8 + 4]
        value = int.from_bytes(key, "big")
        fields.append(
            BitField("Masking-key", "Masking-key", pos, 32, _bits(value, 32), value, key.hex(" "))
        )
        pos += 32
    text = f"{declared:,} bytes"
    if payload_length is not None and payload_length < declared:
        text += f" ({payload_length:,} kept)"
    fields.append(BitField(PAYLOAD_FIELD, PAYLOAD_FIELD, pos, 0, "", declared, text))
    if violations:
        by_name: dict[str, list[Violation]] = {}
        for v in violations:
            names: tuple[str, ...]
            if v.rule is Rule.RESERVED_BIT:
                names = tuple(f.name for f in fields[1:4] if f.value)
            else:
                names = _RULE_FIELDS.get(v.rule, ())
            for name in names:
                by_name.setdefault(name, []).append(v)
        fields = [f._replace(violations=tuple(by_name.get(f.name, ()))) for f in fields]
    return fields


# ------------------------------------------------------------------ wording
def violations_word(violations: Sequence[Violation]) -> str:
    """``"⚠ 2 violations"`` for a peer's, ``"⚑ 1 rule broken on purpose"`` for ours
    (both parts when a frame has both kinds); ``""`` for none."""
    peer = sum(not v.deliberate for v in violations)
    ours = len(violations) - peer
    parts = []
    if peer:
        parts.append(f"{VIOLATION_MARK} {peer} violation{'s' if peer > 1 else ''}")
    if ours:
        parts.append(f"{DELIBERATE_MARK} {ours} rule{'s' if ours > 1 else ''} broken on purpose")
    return " \u00b7 ".join(parts)


def violation_line(v: Violation) -> str:
    """``"⚠ RFC 6455 §5.2: RSV1 set"``, or ``"⚑ ... (sent on purpose)"`` for ours."""
    if v.deliberate:
        return f"{DELIBERATE_MARK} {v.rule.rfc}: {v.message} (sent on purpose)"
    return f"{VIOLATION_MARK} {v.rule.rfc}: {v.message}"


# -------------------------------------------------------- header field table
def group_bits(bits: str) -> str:
    """Bits in groups of 8 from the left (``"00110111 11100001"``), so that a long
    field (a key, a 64-bit length) reads like bytes and can wrap between groups."""
    return " ".join(bits[i : i + 8] for i in range(0, len(bits), 8))


class FieldRow(NamedTuple):
    """One row of the header field table: field name, its bits (grouped by 8), what
    they mean, and the lines naming the rules the field breaks."""

    name: str
    bits: str
    meaning: str
    problems: tuple[str, ...] = ()


def field_table(fields: Sequence[BitField]) -> list[FieldRow]:
    """The header field table: one row per field, the payload marker last."""
    return [
        FieldRow(f.name, group_bits(f.bits), f.text, tuple(map(violation_line, f.violations)))
        for f in fields
    ]


def describe_fields(fields: Sequence[BitField]) -> str:
    """The fields as plain text, one per line (for copying and screen readers)."""
    lines = []
    name_w = max((len(f.name) for f in fields), default=0) + 1
    bits_w = max((min(len(f.bits), 33) for f in fields if f.name != PAYLOAD_FIELD), default=0) + 1
    for f in fields:
        if f.name == PAYLOAD_FIELD:
            lines.append(f"{f.name:<{name_w}} {f.text}")
            continue
        bits = f.bits if len(f.bits) <= 32 else f.bits[:32] + "\u2026"
        lines.append(f"{f.name:<{name_w}} {bits:<{bits_w}} {f.text}")
        lines.extend(f"  {violation_line(v)}" for v in f.violations)
    return "\n".join(lines)


# ------------------------------------------------------------------ message
class MessageKind(NamedTuple):
    """The opcode of the message a frame belongs to (its own for a control frame or
    a frame outside any message) and whether that message is compressed."""

    opcode: int
    compressed: bool


def message_kind(store: CaptureStore, row: int) -> MessageKind:
    """What the frame at ``row`` carries: see :class:`MessageKind`. Compression is
    :meth:`CaptureStore.is_compressed`, the one rule every view uses."""
    op = store.b0[row] & 0x0F
    if op >= 8:
        return MessageKind(op, False)
    start = store.msg_start[row]
    if start < 0:
        return MessageKind(op, False)
    return MessageKind(store.b0[start] & 0x0F, store.is_compressed(row))


def message_info(store: CaptureStore, rows: Sequence[int], message: Message | None) -> list[str]:
    """The Message tab's summary, part by part: what kind of message in how many
    frames, the bytes on the wire, and what reassembly (or inflating) made of them."""
    kind_op = store.b0[rows[0]] & 0x0F
    wire = sum(store.length[r] for r in rows)
    complete = bool(store.b0[rows[-1]] & 0x80)
    n = len(rows)
    head = f"{opcode_name(kind_op)} message in {n} frame{'s' if n > 1 else ''}"
    if not complete:
        head += " so far (unfinished: no FIN yet)"
    info = [head, f"{wire:,} payload bytes on the wire"]
    if message is not None:
        if message.compressed:
            ratio = f" ({message.wire_size / len(message.data):.0%})" if message.data else ""
            info.append(
                f"permessage-deflate: {message.wire_size:,} bytes compressed \u2192 "
                f"{len(message.data):,} bytes inflated{ratio}"
            )
        else:
            info.append(f"{len(message.data):,} bytes reassembled")
        if message.truncated:
            info.append("truncated by a size limit")
    return info


# ------------------------------------------------------------------- summary
class SummaryPart(NamedTuple):
    """A piece of the one-line frame summary; ``role`` says how to show it: "strong",
    "in", "out", "violation", "deliberate" or "" (plain)."""

    text: str
    role: str = ""


def direction_words(role: SessionRole, incoming: bool) -> tuple[str, str]:
    """A frame's direction as the timeline's column (short) and the detail pane's
    summary (long) say it. A proxy sits between two peers, so "sent" and "received"
    would name neither: it says client → server and server → client."""
    if role is SessionRole.PROXY:
        return (
            ("\u2193 s\u2192c", "\u2193 server \u2192 client")
            if incoming
            else (
                "\u2191 c\u2192s",
                "\u2191 client \u2192 server",
            )
        )
    return ("\u2193 in", "\u2193 received") if incoming else ("\u2191 out", "\u2191 sent")


def frame_summary(store: CaptureStore, row: int) -> list[SummaryPart]:
    """The detail pane's summary line, most telling first (so that a narrow pane
    that cuts it loses the least): row, direction, opcode, size, compression, the
    rules broken, then where the frame sat in its stream and when."""
    incoming = store.dir[row] == 1
    op = store.b0[row] & 0x0F
    parts = [
        SummaryPart(f"Row {row}", "strong"),
        SummaryPart(direction_words(store.session.role, incoming)[1], "in" if incoming else "out"),
        SummaryPart(opcode_name(op), "strong"),
        SummaryPart(f"{store.length[row]:,} bytes"),
    ]
    if message_kind(store, row).compressed:
        parts.append(SummaryPart("compressed"))
    found = store.violations.get(row, ())
    peer = tuple(v for v in found if not v.deliberate)
    ours = tuple(v for v in found if v.deliberate)
    if peer:
        parts.append(SummaryPart(violations_word(peer), "violation"))
    if ours:
        parts.append(SummaryPart(violations_word(ours), "deliberate"))
    parts.append(SummaryPart(f"frame #{store.seq[row]} at byte {store.offset[row]:,}"))
    parts.append(SummaryPart(f"t = {store.t[row]:.6f} s"))
    return parts


# ------------------------------------------------------------------- masking
class MaskRow(NamedTuple):
    """One byte of a masked payload: offset, byte on the wire, key byte, payload byte."""

    offset: int
    wire: int
    key: int
    payload: int


def masking_rows(payload: bytes, key: bytes, limit: int) -> list[MaskRow]:
    """The first ``limit`` bytes of ``payload`` as they were masked with ``key``."""
    head = payload[:limit]
    wire = apply_mask(head, key)
    return [MaskRow(i, wire[i], key[i % 4], head[i]) for i in range(len(head))]


def masking_table(rows: Sequence[MaskRow], total: int) -> str:
    """The masking table as monospaced text; ``total`` is the payload's length."""
    out = [
        "  byte  on the wire           key          payload              char",
        "  ----  ------------------    ----------   ------------------   ----",
    ]
    for i, w, k, u in rows:
        ch = chr(u) if 0x20 <= u < 0x7F else "."
        out.append(f"{i:6d}  {w:02x} {w:08b}  XOR  k{i % 4} {k:02x}  =  {u:02x} {u:08b}     {ch}")
    if total > len(rows):
        out.append(f"  \u2026 {total - len(rows):,} more bytes, masked the same way")
    if not total:
        out.append("  (empty payload: the key is sent but masks nothing)")
    return "\n".join(out)


# --------------------------------------------------------------------- close
_CLOSE_RULES = frozenset(
    {
        Rule.CLOSE_PAYLOAD_ONE_BYTE,
        Rule.INVALID_CLOSE_CODE,
        Rule.INVALID_CLOSE_REASON,
        Rule.CONTROL_FRAME_TOO_LONG,
        Rule.FRAGMENTED_CONTROL_FRAME,
    }
)


def close_fields(payload: bytes, violations: Sequence[Violation] = ()) -> dict[str, str]:
    """What the Close tab shows of a close frame: ``code``, ``name``, ``meaning``,
    ``reason`` (escaped: a peer wrote it), ``valid`` (may the code be on the wire)
    and ``violations`` (one line per problem, or "none")."""
    code, reason, problems = parse_close_payload(payload)
    f: dict[str, str] = {}
    if code is None:
        f["code"] = "none" if not payload else "invalid (1-byte payload)"
        f["name"] = ""
        f["meaning"] = (
            "A close frame without a code; the receiver reports 1005 (no status received)"
            if not payload
            else "A close payload must be empty or start with a 2-byte code"
        )
        f["valid"] = "yes" if not payload else "no"
    else:
        f["code"] = str(code)
        try:
            f["name"] = CloseCode(code).name.replace("_", " ").capitalize()
        except ValueError:
            f["name"] = "(not registered)"
        f["meaning"] = close_code_meaning(code)
        f["valid"] = (
            "yes" if is_valid_close_code(code) else "no: this code may not be sent in a frame"
        )
    f["reason"] = escape_control(reason) if reason else "(none)"
    relevant = [v for v in violations if v.rule in _CLOSE_RULES]
    extra = [msg for _, msg in problems if not any(v.message == msg for v in relevant)]
    issues = [violation_line(v) for v in relevant] + [f"{VIOLATION_MARK} {m}" for m in extra]
    f["violations"] = "\n".join(issues) if issues else "none"
    return f


def is_text_kind(kind: MessageKind, opcode: int) -> bool:
    """Whether a frame's payload reads as UTF-8 text as it is: an uncompressed text
    message's frame, or a ping/pong (whose payload is often text)."""
    return (kind.opcode == Opcode.TEXT and not kind.compressed) or opcode in (
        Opcode.PING,
        Opcode.PONG,
    )
