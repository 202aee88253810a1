"""Writing frames by hand: the notations a person uses to describe bytes and frames.

The window's compose pane and the command line (``capture --frame SPEC``,
``--send-binary HEX``) accept the same notations, parsed here, so that what works in
one works in the other: hex (:func:`parse_hex`), base64 (:func:`parse_base64`) and a
frame written as ``key=value`` pairs (:func:`parse_frame_spec`). Every parser raises
``ValueError`` with a sentence that says where the text went wrong.
"""

from __future__ import annotations

import base64
import binascii
import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from .constants import Role, close_code_meaning, is_valid_close_code, opcode_name
from .frames import FrameSpec, LengthForm, encode_frame

__all__ = [
    "CLOSE_REASON_LIMIT",
    "CONTROL_PAYLOAD_LIMIT",
    "FRAME_SPEC_HELP",
    "CloseCheck",
    "CraftedFrame",
    "check_close",
    "crafted_specs",
    "format_hex",
    "fragment_keys",
    "parse_base64",
    "parse_close_code",
    "parse_declared_length",
    "parse_frame_spec",
    "parse_hex",
    "parse_mask_key",
    "preview_frames",
    "rules_broken",
    "split_payload",
    "wire_bytes",
]

#: A control frame's payload is at most 125 bytes (section 5.5).
CONTROL_PAYLOAD_LIMIT = 125
#: A close frame's payload: 2 bytes for the code, the rest (123) for the reason.
CLOSE_REASON_LIMIT = CONTROL_PAYLOAD_LIMIT - 2

_HEX_TOKEN = re.compile(r"0[xX]|[0-9a-fA-F]|[\s:,\-]|.", re.DOTALL)
_HEXDIGITS = frozenset("0123456789abcdefABCDEF")


def parse_hex(text: str) -> bytes:
    """Hex digits to bytes. Spaces, line breaks, ``:``, ``,``, ``-`` and ``0x``
    prefixes are ignored; anything else raises ``ValueError`` saying where."""
    digits: list[str] = []
    for m in _HEX_TOKEN.finditer(text):
        token = m.group()
        if token in _HEXDIGITS:
            digits.append(token)
        elif (len(token) == 2 and token[0] == "0") or token.isspace() or token in ":,-":
            continue
        else:
            raise ValueError(
                f"{token!r} at character {m.start() + 1} is not a hex digit (0-9, a-f)"
            )
    if len(digits) % 2:
        raise ValueError(
            f"odd number of hex digits ({len(digits)}): each byte is two digits, "
            "e.g. 0a rather than a"
        )
    return bytes.fromhex("".join(digits))


def parse_base64(text: str) -> bytes:
    """Base64 (standard or URL-safe alphabet, padding optional) to bytes."""
    cleaned = "".join(text.split())
    if not cleaned:
        return b""
    urlsafe = "-" in cleaned or "_" in cleaned
    stripped = cleaned.rstrip("=")
    if len(stripped) % 4 == 1:
        raise ValueError(
            f"{len(stripped)} base64 characters cannot encode whole bytes (one too many or too few)"
        )
    padded = stripped + "=" * (-len(stripped) % 4)
    bad = re.search(r"[^A-Za-z0-9\-_=]" if urlsafe else r"[^A-Za-z0-9+/=]", padded)
    if bad:
        raise ValueError(
            f"{bad.group()!r} at character {cleaned.find(bad.group()) + 1} is not a base64 "
            "character"
        )
    try:
        if urlsafe:
            return base64.urlsafe_b64decode(padded)
        return base64.b64decode(padded, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValueError(f"not valid base64: {exc}") from None


def format_hex(data: bytes, per_line: int = 16) -> str:
    """``de ad be ef ...`` with ``per_line`` bytes per line."""
    return "\n".join(data[i : i + per_line].hex(" ") for i in range(0, len(data), per_line))


def split_payload(payload: bytes, n: int) -> list[bytes]:
    """Split into ``n`` parts as evenly as the bytes allow (never more parts than
    bytes, except that an empty payload is one empty part). The fragments of a
    message sent in ``n`` frames (RFC 6455 section 5.4)."""
    n = max(1, min(n, len(payload) or 1))
    size = len(payload)
    return [payload[i * size // n : (i + 1) * size // n] for i in range(n)]


FRAME_SPEC_HELP = (
    "comma-separated key=value pairs: fin=0|1, rsv1/rsv2/rsv3=0|1, opcode=N (decimal or "
    "0x..), mask=on|off|8 hex digits, length=N (a declared length that may lie), "
    "payload=TEXT or payload=hex:..."
)

_BOOL = {"0": False, "1": True, "false": False, "true": True, "off": False, "on": True}


def _flag(key: str, value: str) -> bool:
    try:
        return _BOOL[value.lower()]
    except KeyError:
        raise ValueError(f"{key}={value!r}: write {key}=0 or {key}=1") from None


def _number(key: str, value: str) -> int:
    try:
        return int(value, 16) if value.lower().startswith("0x") else int(value, 10)
    except ValueError:
        raise ValueError(f"{key}={value!r} is not a number (decimal, or hex as 0x..)") from None


def parse_frame_spec(text: str) -> FrameSpec:
    """A frame written as ``key=value`` pairs (see :data:`FRAME_SPEC_HELP`).

    ``opcode`` is required. ``payload`` comes last when it holds commas: everything
    after ``payload=`` is the payload. Anything the wire format can carry is accepted,
    valid or not (an RSV bit without an extension, a reserved opcode, a length that
    lies); only what cannot be encoded at all raises ``ValueError``.
    """
    fields: dict[str, str] = {}
    rest = text.strip()
    payload_text: str | None = None
    while rest:
        if rest.startswith("payload="):
            payload_text = rest[len("payload=") :]
            break
        item, _, rest = rest.partition(",")
        rest = rest.lstrip()
        key, sep, value = item.partition("=")
        key = key.strip().lower()
        if not sep or not key:
            raise ValueError(f"{item.strip()!r} is not key=value ({FRAME_SPEC_HELP})")
        if key in fields:
            raise ValueError(f"{key} is given twice")
        if key not in ("fin", "rsv1", "rsv2", "rsv3", "opcode", "mask", "length"):
            raise ValueError(f"unknown key {key!r} ({FRAME_SPEC_HELP})")
        fields[key] = value.strip()
    if "opcode" not in fields:
        raise ValueError(f"a frame needs opcode=N ({FRAME_SPEC_HELP})")
    opcode = _number("opcode", fields["opcode"])
    if not 0 <= opcode <= 15:
        raise ValueError(f"opcode {opcode} does not fit in 4 bits (0-15)")
    payload = b""
    if payload_text is not None:
        if payload_text.startswith("hex:"):
            try:
                payload = parse_hex(payload_text[4:])
            except ValueError as exc:
                raise ValueError(f"payload=hex:...: {exc}") from None
        else:
            payload = payload_text.encode("utf-8")
    mask: bool | None = None
    mask_key: bytes | None = None
    if "mask" in fields:
        value = fields["mask"].lower()
        if value in ("on", "1", "true"):
            mask = True
        elif value in ("off", "0", "false"):
            mask = False
        else:
            try:
                mask_key = parse_hex(value)
            except ValueError:
                mask_key = None
            if mask_key is None or len(mask_key) != 4:
                raise ValueError(f"mask={fields['mask']!r}: write on, off or a key of 8 hex digits")
            mask = True
    declared: int | None = None
    if "length" in fields:
        declared = _number("length", fields["length"])
        if not 0 <= declared < 2**64:
            raise ValueError(f"length {declared} does not fit in 64 bits")
    return FrameSpec(
        opcode=opcode,
        payload=payload,
        fin=_flag("fin", fields["fin"]) if "fin" in fields else True,
        rsv1=_flag("rsv1", fields["rsv1"]) if "rsv1" in fields else False,
        rsv2=_flag("rsv2", fields["rsv2"]) if "rsv2" in fields else False,
        rsv3=_flag("rsv3", fields["rsv3"]) if "rsv3" in fields else False,
        mask=mask,
        mask_key=mask_key,
        declared_length=declared,
    )


def preview_frames(specs: list[FrameSpec], sender: Role = Role.CLIENT, limit: int = 96) -> str:
    """The bytes ``specs`` put on the wire, frame by frame, for a person to check
    before sending: each header decoded, its bytes, and the payload as sent."""
    lines: list[str] = []
    total = 0
    for i, spec in enumerate(specs):
        header, wire = encode_frame(spec, sender)
        total += len(header) + len(wire)
        b0, b1 = header[0], header[1]
        n7 = b1 & 0x7F
        form = 7 if n7 < 126 else 16 if n7 == 126 else 64
        declared = len(spec.payload) if spec.declared_length is None else spec.declared_length
        rsv = f"{(b0 >> 6) & 1}{(b0 >> 5) & 1}{(b0 >> 4) & 1}"
        key = header[-4:].hex() if b1 & 0x80 else None
        title = f"Frame {i + 1} of {len(specs)}" if len(specs) > 1 else "Frame"
        lines.append(
            f"{title}: FIN={b0 >> 7} RSV={rsv} opcode=0x{b0 & 0xF:X} {opcode_name(b0)}"
            f"  MASK={b1 >> 7} length={declared} ({form}-bit)" + (f"  key={key}" if key else "")
        )
        lines.append(f"  header  ({len(header):>2} B): {header.hex(' ')}")
        shown = wire[:limit].hex(" ")
        more = f" … (+{len(wire) - limit} B)" if len(wire) > limit else ""
        label = "masked payload" if key else "payload"
        lines.append(f"  {label} ({len(wire)} B): {shown or '(empty)'}{more}")
    lines.append(f"Total on the wire: {total} bytes")
    return "\n".join(lines)


def wire_bytes(specs: Sequence[FrameSpec], sender: Role = Role.CLIENT) -> bytes:
    """Exactly the bytes ``specs`` put on the wire: each header and its payload as sent."""
    return b"".join(b"".join(encode_frame(spec, sender)) for spec in specs)


# ------------------------------------------------------------------ a crafted frame
def parse_mask_key(text: str) -> bytes:
    """A masking key typed as 8 hex digits."""
    try:
        key = parse_hex(text)
    except ValueError as exc:
        raise ValueError(f"masking key: {exc}") from None
    if len(key) != 4:
        raise ValueError(f"the masking key is 4 bytes (8 hex digits); {len(key)} given")
    return key


def parse_declared_length(text: str) -> int:
    """A length to declare in a header (decimal, 0x.., ``_`` or ``,`` between digits)."""
    cleaned = text.strip().replace("_", "").replace(",", "")
    if not cleaned:
        raise ValueError("no length given")
    try:
        value = int(cleaned, 0)
    except ValueError:
        raise ValueError(f"declared length {cleaned!r} is not a number") from None
    if not 0 <= value < 2**64:
        raise ValueError(f"declared length {value} does not fit in 64 bits")
    return value


def fragment_keys(
    first: bytes,
    count: int,
    known: Sequence[bytes] = (),
    source: Callable[[], bytes] = lambda: os.urandom(4),
) -> list[bytes]:
    """``count`` masking keys: ``first``, then the ``known`` ones, then fresh ones
    from ``source``. A fresh key per frame (RFC 6455 section 5.3), kept by the caller
    between previews so that what is previewed is what is sent."""
    keys = [first, *known[: max(count - 1, 0)]]
    while len(keys) < count:
        keys.append(source())
    return keys[:count] if count > 0 else []


@dataclass(frozen=True, slots=True)
class CraftedFrame:
    """A frame described field by field, as the crafting tab shows it, possibly
    split into ``fragments`` frames: the first carries the opcode and RSV bits, the
    others are continuations, FIN is on the last one only (when ``fin``)."""

    opcode: int
    payload: bytes = b""
    fin: bool = True
    rsv1: bool = False
    rsv2: bool = False
    rsv3: bool = False
    #: One key per fragment when masked; empty: not masked.
    keys: Sequence[bytes] = ()
    length_form: int | None = None
    declared_length: int | None = None
    fragments: int = 1


def crafted_specs(frame: CraftedFrame) -> list[FrameSpec]:
    """The frames ``frame`` describes; ``ValueError`` says what cannot be sent."""
    parts = split_payload(frame.payload, frame.fragments)
    if len(parts) > 1 and frame.declared_length is not None:
        raise ValueError("declare a length only for a single frame (Split into 1)")
    if frame.keys and len(frame.keys) < len(parts):
        raise ValueError(f"{len(parts)} frames need {len(parts)} masking keys")
    specs: list[FrameSpec] = []
    last = len(parts) - 1
    for i, part in enumerate(parts):
        first = i == 0
        specs.append(
            FrameSpec(
                opcode=frame.opcode if first else 0,
                payload=part,
                fin=frame.fin if i == last else False,
                rsv1=frame.rsv1 and first,
                rsv2=frame.rsv2 and first,
                rsv3=frame.rsv3 and first,
                mask=bool(frame.keys),
                mask_key=frame.keys[i] if frame.keys else None,
                length_form=frame.length_form,
                declared_length=frame.declared_length,
            )
        )
    return specs


def rules_broken(specs: Sequence[FrameSpec], *, deflate: bool = False) -> list[str]:
    """The rules a client's crafted frames break, in words, so that nobody sends a
    broken frame by accident (``deflate``: permessage-deflate was negotiated, so RSV1
    has a meaning)."""
    first = specs[0]
    notes: list[str] = []
    if first.opcode in range(3, 8) or first.opcode in range(0xB, 0x10):
        notes.append("reserved opcode")
    if first.mask is False:
        notes.append("unmasked (a client must mask)")
    if first.rsv2 or first.rsv3 or (first.rsv1 and not deflate):
        notes.append("RSV bit without an extension")
    if first.opcode >= 8 and (len(specs) > 1 or not specs[-1].fin):
        notes.append("fragmented control frame")
    if first.opcode >= 8 and any(len(s.payload) > CONTROL_PAYLOAD_LIMIT for s in specs):
        notes.append(f"control payload over {CONTROL_PAYLOAD_LIMIT} bytes")
    declared = len(first.payload) if first.declared_length is None else first.declared_length
    if declared != len(first.payload):
        notes.append("declared length differs from the payload")
    if first.length_form is not None and first.length_form != LengthForm.minimal(declared):
        notes.append("non-minimal length form")
    if first.opcode == 0:
        notes.append("continuation with no message to continue, unless one is open")
    return notes


# ---------------------------------------------------------------------- a close frame
def parse_close_code(text: str) -> int | None:
    """A close code typed by hand: its leading number (``"4001 my app's code"``);
    None for nothing or a ``(no code)`` choice."""
    stripped = text.strip()
    m = re.match(r"(\d+)", stripped)
    if not m:
        if not stripped or stripped.startswith("("):
            return None
        raise ValueError(f"{stripped!r} is not a close code: type a number such as 1000")
    code = int(m.group(1))
    if code > 0xFFFF:
        raise ValueError(f"{code} does not fit in the 2-byte close code field")
    return code


@dataclass(frozen=True, slots=True)
class CloseCheck:
    """What a close frame with this code and reason would be: its reason's size in
    bytes, the code in words, the problems that stop it from being sent with the
    close button (``errors``) and the rules it breaks on purpose (``warnings``)."""

    reason_bytes: int
    meaning: str
    errors: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()

    @property
    def sendable(self) -> bool:
        return not self.errors


def check_close(code: int | None, reason: str) -> CloseCheck:
    """Check a close frame before it is sent (sections 5.5.1 and 7.4)."""
    size = len(reason.encode("utf-8", "surrogatepass"))
    errors: list[str] = []
    warnings: list[str] = []
    if size > CLOSE_REASON_LIMIT:
        errors.append(
            f"the reason is {size - CLOSE_REASON_LIMIT} byte(s) too long: a close frame's "
            f"payload is at most {CONTROL_PAYLOAD_LIMIT} bytes, 2 for the code and "
            f"{CLOSE_REASON_LIMIT} for the reason (§5.5.1); use the Frame tab to send it anyway"
        )
    if code is None:
        meaning = "An empty close frame: the peer sees 1005 (no status received)."
        if reason:
            errors.append("a reason needs a code; choose a code or clear the reason")
    else:
        meaning = close_code_meaning(code)
        if not is_valid_close_code(code):
            warnings.append(
                f"{code} may not be sent on the wire (RFC 6455 §7.4): the peer "
                "should fail the connection with 1002"
            )
    return CloseCheck(size, meaning, tuple(errors), tuple(warnings))
