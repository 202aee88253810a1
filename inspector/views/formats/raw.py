"""The views every payload has: text, JSON, hex, and a close frame's code and reason."""

from __future__ import annotations

import json
from functools import partial
from typing import Any

from ...protocol.constants import close_code_meaning, close_code_name
from ..base import NO_BINARY, NO_TEXT, PayloadMeta, Rendered, Syntax, TreeNode, View, ViewError
from ..registry import Registry
from ..text import escape_control, shorten

__all__ = ["CloseView", "HexView", "JsonView", "TextView", "register"]

#: Characters of a one-line summary; the table elides what does not fit its column.
SUMMARY_CHARS = 240
_WS = b" \t\r\n"


def _decodes(data: bytes) -> str | None:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


_BINARY_CONTROLS = bytes(b for b in range(32) if b not in (9, 10, 13))


def _looks_like_text(head: bytes) -> bool:
    """UTF-8 (a prefix may end inside a character) without C0 controls but tab and
    line breaks: what a person would call text."""
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.reason != "unexpected end of data":  # not a character cut by the prefix
            return False
    return len(head.translate(None, _BINARY_CONTROLS)) == len(head)


class TextView(View):
    name = "text"
    title = "Text"
    text_priority = 0.5
    top_priority = 0.5

    def priority(self, data: bytes, meta: PayloadMeta) -> float:
        if meta.opcode == 8:
            return -1
        if meta.opcode == 1:
            return 0.5
        if _looks_like_text(data[:1024]):
            return 0.15
        return 0.02  # shown with replacement characters: always one click away

    def render(self, data: bytes, meta: PayloadMeta) -> Rendered:
        text = _decodes(data)
        if text is None:
            try:
                data.decode("utf-8")
            except UnicodeDecodeError as exc:
                return Rendered(
                    self.name,
                    data.decode("utf-8", "replace"),
                    error=f"not valid UTF-8 at byte {exc.start}: {exc.reason}",
                )
        return Rendered(self.name, text or "")

    def summary(self, prefix: bytes, meta: PayloadMeta) -> str | None:
        text = prefix.decode("utf-8", "replace")
        line = " ".join(text.split()) if "\n" in text or "\r" in text else text
        cut = meta.size is not None and meta.size > len(prefix)
        shown = shorten(line, SUMMARY_CHARS)
        if not shown.isprintable():  # (every control character is unprintable)
            shown = escape_control(shown)
        return shown + ("\u2026" if cut and not shown.endswith("...") else "")


def _tree(value: Any, label: str = "") -> TreeNode:
    if isinstance(value, dict):
        return TreeNode(
            label,
            f"{{{len(value)}}}",
            tuple(_tree(v, str(k)) for k, v in value.items()),
            "object",
        )
    if isinstance(value, list):
        return TreeNode(
            label, f"[{len(value)}]", tuple(_tree(v, str(i)) for i, v in enumerate(value)), "array"
        )
    kind = "null" if value is None else type(value).__name__
    kind = {"str": "string", "int": "number", "float": "number", "bool": "boolean"}.get(kind, kind)
    return TreeNode(label, json.dumps(value, ensure_ascii=False), (), kind)


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


class JsonView(View):
    name = "json"
    title = "JSON"
    text_starts = frozenset(_WS) | frozenset(b"{[")
    binary_starts = text_starts
    top_priority = 0.8

    def priority(self, data: bytes, meta: PayloadMeta) -> float:
        if meta.opcode not in (1, 2):
            return -1
        head = data[:64].lstrip(_WS)
        tail = data[-64:].rstrip(_WS)
        if not head:
            return -1
        first, last = head[:1], tail[-1:]
        if (first, last) in ((b"{", b"}"), (b"[", b"]")):
            return 0.8
        if meta.truncated and first in (b"{", b"["):
            return 0.6
        return -1

    def render(self, data: bytes, meta: PayloadMeta) -> Rendered:
        text = _decodes(data)
        if text is None:
            raise ViewError("the payload is not UTF-8 text")
        try:
            value = json.loads(text, parse_constant=_reject_constant)
        except json.JSONDecodeError as exc:
            at = len(text[: exc.pos].encode("utf-8"))
            raise ViewError(f"{exc.msg} (line {exc.lineno}, column {exc.colno})", at) from None
        except ValueError as exc:
            raise ViewError(str(exc)) from None
        return Rendered(
            self.name,
            json.dumps(value, indent=2, ensure_ascii=False),
            Syntax.JSON,
            partial(_tree, value),
        )

    def summary(self, prefix: bytes, meta: PayloadMeta) -> str | None:
        return None  # the text view's one line is the JSON as sent


class HexView(View):
    name = "hex"
    title = "Hex"
    text_priority = 0.01
    top_priority = 0.3

    def priority(self, data: bytes, meta: PayloadMeta) -> float:
        # Bytes that are not text read best as hex whatever carried them (a binary
        # message, a ping or pong with a binary payload).
        return 0.3 if meta.opcode != 1 and not _looks_like_text(data[:256]) else 0.01

    def render(self, data: bytes, meta: PayloadMeta) -> Rendered:
        lines = []
        for off in range(0, len(data), 16):
            chunk = data[off : off + 16]
            ascii_part = "".join(chr(b) if 32 <= b < 127 else "." for b in chunk)
            lines.append(f"{off:08x}  {chunk.hex(' '):<47}  {ascii_part}")
        return Rendered(self.name, "\n".join(lines), Syntax.HEX)

    def summary(self, prefix: bytes, meta: PayloadMeta) -> str | None:
        shown = prefix[:64].hex(" ")
        size = meta.size if meta.size is not None else len(prefix)
        return shown + (" \u2026" if size > 64 else "")


class CloseView(View):
    name = "close"
    title = "Close"
    text_starts = NO_TEXT
    binary_starts = NO_BINARY
    top_priority = 1.0

    def priority(self, data: bytes, meta: PayloadMeta) -> float:
        return 1.0 if meta.opcode == 8 else -1

    def _parts(self, data: bytes) -> tuple[int | None, str, str | None]:
        if not data:
            return None, "", None
        if len(data) == 1:
            return None, "", "a close payload of 1 byte: a code needs 2"
        code = int.from_bytes(data[:2], "big")
        try:
            return code, data[2:].decode("utf-8"), None
        except UnicodeDecodeError as exc:
            reason = data[2:].decode("utf-8", "replace")
            return code, reason, f"the reason is not UTF-8 at byte {exc.start + 2}"

    def render(self, data: bytes, meta: PayloadMeta) -> Rendered:
        code, reason, error = self._parts(data)
        if code is None:
            text = "no status code" if error is None else "(no code)"
            return Rendered(self.name, text, error=error)
        lines = [f"code   {code}: {close_code_meaning(code)}"]
        if reason:
            lines.append(f"reason {reason!r}")
        fields = {"code": str(code), "reason": reason}
        return Rendered(self.name, "\n".join(lines), error=error, fields=fields)

    def summary(self, prefix: bytes, meta: PayloadMeta) -> str | None:
        code, reason, error = self._parts(prefix[:125])
        if code is None:
            return "(1 byte: invalid)" if error else "(no status code)"
        line = f"{code} {close_code_name(code)}"
        if reason:
            line += f" {shorten(reason, 80)!r}"  # repr escapes control characters
        return line


def register(registry: Registry) -> None:
    for view in (TextView(), JsonView(), HexView(), CloseView()):
        registry.add(view)
