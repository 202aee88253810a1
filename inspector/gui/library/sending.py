"""An item made ready to send (:class:`~inspector.library.items.Outgoing`) as a
compose history entry: its label, and the controller call that sends it."""

from __future__ import annotations

from ...library.items import ItemKind, Outgoing
from ...views import compose
from ..compose.entries import (
    HistoryEntry,
    binary_label,
    close_label,
    control_label,
    format_label,
    frames_label,
    raw_label,
    text_label,
)
from ..session.controller import SessionController

__all__ = ["entry_for"]


def entry_for(out: Outgoing, session: SessionController, view: str = "") -> HistoryEntry:
    """The history entry that sends ``out`` through ``session`` (and again, as it
    was expanded this time, from the Sent list); ``view``: a format item's format."""
    s = session
    compress = None if out.compress else False
    kind = out.kind
    if kind is ItemKind.FORMAT:
        summary = compose.summary(compose.Composed(out.data, out.is_text, view))
        label = format_label(out.is_text, summary)
        if out.is_text:
            text = out.text
            return HistoryEntry("text", label, lambda: s.send_text(text))
        payload = out.data
        return HistoryEntry("binary", label, lambda: s.send_binary(payload))
    if kind in (ItemKind.TEXT, ItemKind.JSON):
        text, n = out.text, out.fragments
        return HistoryEntry(
            "text",
            text_label(text, n),
            lambda: s.send_text(text, fragments=n, compress=compress),
        )
    if kind is ItemKind.BINARY:
        data, n = out.data, out.fragments
        deflated = compress is None and s.deflate_negotiated
        return HistoryEntry(
            "binary",
            binary_label(data, n, compress=deflated),
            lambda: s.send_binary(data, fragments=n, compress=compress),
        )
    if kind is ItemKind.PING:
        ping = out.data
        return HistoryEntry("ping", control_label("ping", ping), lambda: s.send_ping(ping))
    if kind is ItemKind.PONG:
        pong = out.data
        return HistoryEntry("pong", control_label("pong", pong), lambda: s.send_pong(pong))
    if kind is ItemKind.CLOSE:
        code, reason = out.code, out.text
        return HistoryEntry("close", close_label(code, reason), lambda: s.send_close(code, reason))
    if kind is ItemKind.FRAME:
        specs = list(out.specs)
        return HistoryEntry("frame", frames_label(specs), lambda: s.send_frames(specs))
    raw = out.data
    return HistoryEntry("raw", raw_label(raw), lambda: s.send_raw(raw))
