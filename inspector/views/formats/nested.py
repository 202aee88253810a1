"""A payload inside a payload (a STOMP body, an MQTT message, a SignalR argument)
shown through the registry like any other, so that JSON in MQTT reads as JSON."""

from __future__ import annotations

from ..base import PayloadMeta, Rendered
from ..text import escape_control, format_bytes, shorten

__all__ = ["inner", "inner_brief", "looks_textual"]

#: Bytes of an inner payload a brief line looks at.
_BRIEF_BYTES = 256


def looks_textual(data: bytes) -> bool:
    """UTF-8 text, judged from its start."""
    try:
        data[:_BRIEF_BYTES].decode("utf-8")
    except UnicodeDecodeError as exc:
        return exc.start >= _BRIEF_BYTES - 3  # a character cut by the prefix
    return True


def inner(data: bytes, *, text: bool | None = None) -> Rendered:
    """``data`` rendered by the best built-in view (as text when it decodes as UTF-8,
    unless ``text`` says)."""
    from ..registry import default_registry  # the registry loads the formats

    is_text = looks_textual(data) if text is None else text
    meta = PayloadMeta(opcode=1 if is_text else 2, size=len(data))
    return default_registry().render(data, meta)


def inner_brief(data: bytes, size: int | None = None, limit: int = 60) -> str:
    """A short, escaped look at an inner payload: its start as text, or its size."""
    total = len(data) if size is None else size
    if not data:
        return ""
    if looks_textual(data):
        head = data[:_BRIEF_BYTES].decode("utf-8", "ignore")
        return escape_control(shorten(" ".join(head.split()), limit))
    return format_bytes(total)
