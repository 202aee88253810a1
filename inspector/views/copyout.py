"""What is copied out of a capture: a payload as text, hex or base64, and a whole
message reassembled from its fragments (inflated when it was compressed)."""

from __future__ import annotations

import base64
import enum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..capture.store import CaptureStore

__all__ = ["PayloadFormat", "encode_payload", "message_payload"]


class PayloadFormat(enum.StrEnum):
    TEXT = "text"
    HEX = "hex"
    BASE64 = "base64"


def encode_payload(data: bytes, fmt: PayloadFormat | str) -> str:
    """``data`` as ``text`` (UTF-8, undecodable bytes as U+FFFD), ``hex`` (spaced
    pairs) or ``base64``."""
    fmt = PayloadFormat(fmt)
    if fmt is PayloadFormat.HEX:
        return data.hex(" ")
    if fmt is PayloadFormat.BASE64:
        return base64.b64encode(data).decode("ascii")
    return data.decode("utf-8", errors="replace")


def message_payload(store: CaptureStore, row: int) -> bytes:
    """The data of the message the frame at ``row`` belongs to, reassembled and
    inflated when the capture holds it; else its frames' payloads joined (an
    unfinished or uncompressed message; a control frame's own payload)."""
    rows = list(store.message_frames(row))
    message = store.message_for(rows[-1])
    if message is not None:
        return message.data
    return b"".join(store.frame(r).payload for r in rows)
