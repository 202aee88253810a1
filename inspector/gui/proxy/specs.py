"""What the proxy tab's Edit / Answer / Inject dialog means, without Qt: a payload
written as text, hex or JSON, an opcode, FIN, RSV and a close code and reason, made
into the frame to send (:func:`frame_spec`), and a held payload shown for editing
(:func:`payload_text`)."""

from __future__ import annotations

import enum
import json
from dataclasses import dataclass

from ...protocol.constants import Opcode
from ...protocol.crafting import format_hex, parse_hex
from ...protocol.frames import FrameSpec

__all__ = ["FrameForm", "PayloadFormat", "frame_spec", "payload_text"]


class PayloadFormat(enum.StrEnum):
    TEXT = "text"
    HEX = "hex"
    JSON = "json"


@dataclass(frozen=True, slots=True)
class FrameForm:
    """The dialog's fields as they are."""

    payload: str
    format: PayloadFormat = PayloadFormat.TEXT
    opcode: int = Opcode.TEXT
    fin: bool = True
    rsv: tuple[bool, bool, bool] = (False, False, False)
    close_code: int | None = None  # for a close frame: None sends no code
    close_reason: str = ""


def payload_text(payload: bytes, opcode: int) -> tuple[str, PayloadFormat]:
    """How a held payload is shown for editing: JSON pretty-printed when it is JSON,
    text when it is UTF-8 text, else hex."""
    if opcode == Opcode.BINARY:
        return format_hex(payload), PayloadFormat.HEX
    try:
        text = payload.decode("utf-8")
    except UnicodeDecodeError:
        return format_hex(payload), PayloadFormat.HEX
    if text[:1] in "{[":
        try:
            return json.dumps(json.loads(text), indent=2, ensure_ascii=False), PayloadFormat.JSON
        except ValueError:
            pass
    return text, PayloadFormat.TEXT


def frame_spec(form: FrameForm) -> FrameSpec:
    """The frame the form describes; ValueError saying what is wrong with it. JSON
    is checked and sent compact; a close frame's payload is its code and reason."""
    if form.opcode == Opcode.CLOSE and (form.close_code is not None or form.close_reason):
        if form.close_code is None:
            raise ValueError("a close reason needs a close code")
        if not 0 <= form.close_code <= 0xFFFF:
            raise ValueError("a close code is a number from 0 to 65535")
        payload = form.close_code.to_bytes(2, "big") + form.close_reason.encode("utf-8")
    elif form.format is PayloadFormat.HEX:
        payload = parse_hex(form.payload)
    elif form.format is PayloadFormat.JSON:
        try:
            value = json.loads(form.payload)
        except ValueError as exc:
            raise ValueError(f"not JSON: {exc}") from None
        payload = json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    else:
        payload = form.payload.encode("utf-8")
    rsv1, rsv2, rsv3 = form.rsv
    return FrameSpec(form.opcode, payload, fin=form.fin, rsv1=rsv1, rsv2=rsv2, rsv3=rsv3)
