"""A timeline row as a library item: what "Edit and resend" puts in the compose pane.

The message a row belongs to (its fragments joined, inflated) becomes the item the
compose pane would have made to send it: text, binary, ping, pong or close. What that
form cannot hold exactly (a text message that is not UTF-8, a close payload that is
not code + UTF-8 reason, a reserved opcode) becomes a crafted frame with the same
bytes, so nothing received is changed by editing it. ``as_frame`` asks for the row's
frame itself, header bits and all.
"""

from __future__ import annotations

from ..capture.events import SessionRole
from ..capture.store import CaptureStore
from ..protocol.constants import Opcode
from ..views.copyout import message_payload
from .items import FrameBits, ItemKind, LibraryItem

__all__ = ["item_from_row"]


def _utf8(data: bytes) -> str | None:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _name(store: CaptureStore, row: int, what: str) -> str:
    return f"{store.direction(row).arrow} {what} (row {row + 1})"


def item_from_row(store: CaptureStore, row: int, *, as_frame: bool = False) -> LibraryItem:
    """The item that sends again what the frame at store ``row`` (or its message)
    carried. ``IndexError`` when there is no such row."""
    if not 0 <= row < len(store):
        raise IndexError(f"no frame at row {row}")
    frame = store.frame(row)
    opcode = frame.opcode
    if not as_frame:
        if opcode in (Opcode.TEXT, Opcode.BINARY, Opcode.CONT):
            rows = list(store.message_frames(row))
            first = store.opcode(rows[0])
            data = message_payload(store, row)
            text = _utf8(data) if first == Opcode.TEXT else None
            if first == Opcode.TEXT and text is not None:
                return LibraryItem(_name(store, row, "text"), ItemKind.TEXT, text=text)
            if first == Opcode.BINARY:
                return LibraryItem(_name(store, row, "binary"), ItemKind.BINARY, data=data)
        elif opcode in (Opcode.PING, Opcode.PONG):
            kind = ItemKind.PING if opcode == Opcode.PING else ItemKind.PONG
            text = _utf8(frame.payload)
            return LibraryItem(
                _name(store, row, str(kind)),
                kind,
                text=text,
                data=None if text is not None else frame.payload,
            )
        elif opcode == Opcode.CLOSE:
            payload = frame.payload
            reason = _utf8(payload[2:])
            if len(payload) != 1 and reason is not None:
                code = int.from_bytes(payload[:2], "big") if payload else None
                return LibraryItem(
                    _name(store, row, "close"), ItemKind.CLOSE, text=reason, close_code=code
                )
    # The frame itself, exactly: its bits, its payload (unmasked).
    payload = frame.payload
    text = _utf8(payload) if opcode == Opcode.TEXT and not frame.rsv1 else None
    bits = FrameBits(
        opcode=opcode,
        fin=frame.fin,
        rsv1=frame.rsv1,
        rsv2=frame.rsv2,
        rsv3=frame.rsv3,
        # Sent again from our seat: masked when we are the client (RFC 6455 §5.3).
        mask=store.session.role is not SessionRole.SERVER,
    )
    return LibraryItem(
        _name(store, row, f"frame {frame.opcode_name}"),
        ItemKind.FRAME,
        text=text,
        data=None if text is not None else payload,
        bits=bits,
    )
