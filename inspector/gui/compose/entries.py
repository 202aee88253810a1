"""What the compose tabs say, without Qt: the history's labels and the size lines.

A sent item is a :class:`HistoryEntry`: its label (one line, peer-independent but
typed by the user, so shortened and shown with ``repr`` where it is text) and the
action that sends it again.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, NamedTuple

from ...protocol.constants import opcode_name

if TYPE_CHECKING:
    from ...protocol.frames import FrameSpec

__all__ = [
    "HistoryEntry",
    "binary_label",
    "byte_count",
    "close_label",
    "control_label",
    "format_label",
    "frames_label",
    "raw_label",
    "text_info",
    "text_label",
]

_SHOWN_BYTES = 12
_SHOWN_CHARS = 60


class HistoryEntry(NamedTuple):
    """Something sent: ``kind`` (text, binary, ping, pong, close, frame, raw), its
    label in the history, and ``action``, which sends it again (True when sent)."""

    kind: str
    label: str
    action: Callable[[], bool]


def byte_count(n: int) -> str:
    """``1 byte``, ``12 bytes``: exact, for counters next to a limit."""
    return f"{n} byte" if n == 1 else f"{n} bytes"


def _fragments(n: int) -> str:
    return f" ×{n}" if n > 1 else ""


def _hex_start(data: bytes) -> str:
    return data[:_SHOWN_BYTES].hex(" ") + (" …" if len(data) > _SHOWN_BYTES else "")


def text_label(text: str, fragments: int = 1) -> str:
    one_line = " ".join(text.split())
    if len(one_line) > _SHOWN_CHARS:
        one_line = one_line[: _SHOWN_CHARS - 3] + "…"
    return f"TEXT{_fragments(fragments)}  {one_line!r}"


def binary_label(data: bytes, fragments: int = 1, *, compress: bool = False) -> str:
    deflate = "  deflate" if compress else ""
    return f"BINARY{_fragments(fragments)}  {len(data)} B  {_hex_start(data)}{deflate}"


def control_label(kind: str, payload: bytes) -> str:
    """``PING  'payload'`` or ``PONG  ...`` (``kind`` is ping or pong)."""
    return f"{kind.upper()}  {payload.decode('utf-8', 'replace')!r}"


def format_label(is_text: bool, summary: str) -> str:
    """``TEXT  socket.io EVENT "chat" ack=1``: the kind of message and how our view
    summarises it (its summary is already one line, control characters escaped)."""
    one_line = summary if len(summary) <= _SHOWN_CHARS else summary[: _SHOWN_CHARS - 1] + "…"
    return f"{'TEXT' if is_text else 'BINARY'}  {one_line}"


def close_label(code: int | None, reason: str) -> str:
    label = f"CLOSE  {code if code is not None else '(no code)'}"
    return label + (f"  {reason!r}" if reason else "")


def frames_label(specs: Sequence[FrameSpec]) -> str:
    """``FRAME ×3  0x1 TEXT F1--  14 B``: the first frame's opcode, FIN of the last
    and the first's RSV bits, the payload bytes of all."""
    first = specs[0]
    bits = "F" if specs[-1].fin else "-"
    bits += "".join("1" if b else "-" for b in (first.rsv1, first.rsv2, first.rsv3))
    size = sum(len(s.payload) for s in specs)
    return (
        f"FRAME{_fragments(len(specs))}  0x{first.opcode:X} {opcode_name(first.opcode)} "
        f"{bits}  {size} B"
    )


def raw_label(data: bytes) -> str:
    return f"RAW  {len(data)} B  {_hex_start(data)}"


def text_info(text: str, fragments: int = 1) -> str:
    """The Text tab's size line: UTF-8 bytes, frames, and whether JSON-looking text
    is valid JSON."""
    size = len(text.encode("utf-8", "surrogatepass"))
    parts = [f"{byte_count(size)} UTF-8"]
    if fragments > 1:
        parts.append(f"in {min(fragments, max(size, 1))} frames")
    stripped = text.strip()
    if stripped[:1] in ("{", "["):
        import json

        try:
            json.loads(stripped)
        except ValueError as exc:
            parts.append(f"not valid JSON ({exc})")
        else:
            parts.append("valid JSON")
    return " · ".join(parts)
