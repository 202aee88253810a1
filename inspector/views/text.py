"""Formatting rules shared by every output: sizes, and text a peer controls made safe.

A peer controls most of what we show: header values, status lines, close reasons,
payloads. Printed raw, an escape sequence in any of them can retitle or clear the
user's terminal (or, with bidirectional overrides, make text read differently from
what it is). :func:`escape_control` is the one place that decides what is shown
escaped; every printer of peer-controlled text goes through it.
"""

from __future__ import annotations

import re

__all__ = ["escape_control", "escape_json_line", "format_bytes", "shorten"]

_UNITS = ("KiB", "MiB", "GiB", "TiB")


def format_bytes(n: int) -> str:
    """``512 B``, ``1.5 KiB``, ``3.2 MiB``... (binary units, one decimal)."""
    if n < 1024:
        return f"{n} B"
    value = n / 1024
    i = 0
    while value >= 1024 and i < len(_UNITS) - 1:
        value /= 1024
        i += 1
    return f"{value:.1f} {_UNITS[i]}"


# C0 controls (but tab), DEL, C1 controls; bidirectional embeddings, overrides and
# isolates; line and paragraph separators.
_CONTROL = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\x1b": "\\e"}


def _escape_one(m: re.Match[str]) -> str:
    ch = m.group()
    named = _NAMED.get(ch)
    if named is not None:
        return named
    code = ord(ch)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def escape_control(text: str, *, keep_newlines: bool = False) -> str:
    """``text`` with every control character shown as an escape (``\\e``, ``\\x9b``,
    ``\\u202e``...), so that it cannot act on a terminal. Tabs are kept; newlines
    too when ``keep_newlines`` is set (for multi-line text that is ours to lay out)."""
    if keep_newlines:
        return "\n".join(_CONTROL.sub(_escape_one, line) for line in text.split("\n"))
    return _CONTROL.sub(_escape_one, text)


def _json_escape_one(m: re.Match[str]) -> str:
    return f"\\u{ord(m.group()):04x}"


def escape_json_line(line: str) -> str:
    """A line of JSON with the control characters a JSON encoder leaves as they are
    (C1 controls, bidirectional overrides, line separators, with ``ensure_ascii``
    off) written as ``\\u`` escapes: the same JSON value, harmless on a terminal."""
    return _CONTROL.sub(_json_escape_one, line)


def shorten(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` characters, ending in ``...`` when cut."""
    return text if len(text) <= limit else text[: max(limit - 3, 0)] + "..."
