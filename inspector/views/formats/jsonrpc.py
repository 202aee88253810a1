"""JSON-RPC 2.0: requests, notifications, results and errors, batches; a response
is paired with the request of the same id the other peer sent before it, and the
round-trip time shown (through the message context)."""

from __future__ import annotations

import json
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from ..base import (
    ASCII_SPACE,
    MessageContext,
    PayloadMeta,
    Rendered,
    Syntax,
    TreeNode,
    View,
    ViewError,
)
from ..registry import Registry
from ..text import escape_control, shorten
from .structured import brief, json_value, pretty, string_member, tree

__all__ = ["JsonRpcView", "register"]

SUBPROTOCOLS = frozenset({"jsonrpc", "json-rpc", "jsonrpc2", "jsonrpc-2.0"})
ERROR_NAMES = {
    -32700: "Parse error",
    -32600: "Invalid Request",
    -32601: "Method not found",
    -32602: "Invalid params",
    -32603: "Internal error",
}
# Messages walked to find a request's response or a response's request.
_PAIR_WALK = 256
_MEMO = 20_000


@dataclass(frozen=True, slots=True)
class Pair:
    """The other half of a request/response: its row, the request's method, and the
    round-trip time in seconds (None when a time is unknown)."""

    row: int
    method: str | None
    rtt: float | None


def _kind(message: Any) -> str:
    if not isinstance(message, dict):
        return "invalid"
    if "method" in message:
        return "request" if "id" in message else "notification"
    if "error" in message:
        return "error"
    if "result" in message:
        return "result"
    return "invalid"


def _id_key(value: Any) -> str:
    return json.dumps(value, sort_keys=True)


def _messages(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _ids(data: bytes, want: str) -> dict[str, str | None]:
    """Ids (as keys) of the requests (``want`` "request") or responses in a message,
    with the request's method."""
    try:
        value = json.loads(data)
    except (json.JSONDecodeError, UnicodeDecodeError):
        return {}
    found: dict[str, str | None] = {}
    for message in _messages(value):
        kind = _kind(message)
        wanted = (want == "request") == (kind == "request")
        if wanted and kind not in ("invalid", "notification") and "id" in message:
            method = message.get("method")
            found[_id_key(message["id"])] = method if isinstance(method, str) else None
    return found


def pair(meta: PayloadMeta, ident: Any, is_request: bool) -> Pair | None:
    """The response to a request (``is_request``) or the request of a response, by id,
    from the messages the other peer sent after (or before) it."""
    ctx: MessageContext | None = meta.context
    if ctx is None:
        return None
    key = _id_key(ident)
    memo: OrderedDict[tuple[int, str], Pair | None] = ctx.state("json-rpc").setdefault(
        "pairs", OrderedDict()
    )
    if (ctx.index, key) in memo:
        return memo[(ctx.index, key)]
    found: Pair | None = None
    walk = ctx.after(_PAIR_WALK) if is_request else ctx.before(_PAIR_WALK)
    for message in walk:
        if meta.sender is not None and message.meta.sender == meta.sender:
            continue
        if not message.meta.is_text and not message.meta.is_binary:
            continue
        ids = _ids(message.data, "response" if is_request else "request")
        if key in ids:
            rtt = None
            if ctx.time is not None and message.time is not None:
                rtt = abs(message.time - ctx.time)
            found = Pair(message.index, ids[key], rtt)
            break
    if found is None and is_request:
        return None  # a live session: the response may be on its way, ask again later
    memo[(ctx.index, key)] = found
    if len(memo) > _MEMO:
        memo.popitem(last=False)
    return found


def _rtt(seconds: float | None) -> str:
    if seconds is None:
        return ""
    return f"{seconds * 1000:.0f} ms" if seconds >= 0.01 else f"{seconds * 1000:.2f} ms"


def _error_text(error: Any) -> str:
    if not isinstance(error, dict):
        return brief(error, 80)
    code = error.get("code")
    message = error.get("message")
    parts = [str(code)] if isinstance(code, int) else []
    if isinstance(code, int) and code in ERROR_NAMES and message != ERROR_NAMES[code]:
        parts.append(f"({ERROR_NAMES[code]})")
    if isinstance(message, str):
        parts.append(json.dumps(shorten(message, 80), ensure_ascii=False))
    return " ".join(parts)


class JsonRpcView(View):
    name = "json-rpc"
    title = "JSON-RPC"
    text_starts = ASCII_SPACE | frozenset(b"{[")
    binary_starts = text_starts
    top_priority = 0.92

    def priority(self, data: bytes, meta: PayloadMeta) -> float:
        if meta.opcode not in (1, 2):
            return -1
        head = data[:256].lstrip()
        if head[:1] not in (b"{", b"["):
            return -1
        if b'"jsonrpc"' in head:
            return 1.6 if meta.subprotocol in SUBPROTOCOLS else 0.92
        return 1.5 if meta.subprotocol in SUBPROTOCOLS else -1

    def _value(self, data: bytes) -> Any:
        value = json_value(data)
        if isinstance(value, list) and not value:
            raise ViewError("an empty batch", 0)
        for message in _messages(value):
            if not isinstance(message, dict):
                raise ViewError("a JSON-RPC message is an object", 0)
        return value

    def _line(self, message: dict[str, Any], meta: PayloadMeta) -> str:
        kind = _kind(message)
        ident = message.get("id")
        shown_id = (
            f" id={escape_control(shorten(json.dumps(ident), 40))}" if "id" in message else ""
        )
        if kind in ("request", "notification"):
            method = escape_control(shorten(str(message.get("method")), 80))
            line = f"{method}{shown_id}" if kind == "request" else f"notify {method}"
            if kind == "request":
                answer = pair(meta, ident, True)
                if answer is not None:
                    line += f" (answered, {_rtt(answer.rtt)})".replace(", )", ")")
            return line
        if kind in ("result", "error"):
            asked = pair(meta, ident, False) if ident is not None else None
            line = f"{kind}{shown_id}"
            if asked is not None:
                method = escape_control(shorten(asked.method or "?", 60))
                line += f" {method} {_rtt(asked.rtt)}".rstrip()
            if kind == "error":
                line += " " + escape_control(_error_text(message["error"]))
            else:
                line += " " + brief(message["result"], 80)
            return line
        return "invalid message"

    def render(self, data: bytes, meta: PayloadMeta) -> Rendered:
        value = self._value(data)
        messages = _messages(value)
        lines = []
        if isinstance(value, list):
            lines.append(f"JSON-RPC batch of {len(messages)}")
        for message in messages:
            lines.append(f"JSON-RPC {self._line(message, meta)}")
            kind, ident = _kind(message), message.get("id")
            if kind == "request" and (answer := pair(meta, ident, True)) is not None:
                lines.append(f"  answered on row {answer.row} after {_rtt(answer.rtt)}")
            if kind in ("result", "error") and (asked := pair(meta, ident, False)) is not None:
                lines.append(f"  answers row {asked.row} after {_rtt(asked.rtt)}")
            body = message.get("params", message.get("result", message.get("error")))
            if body is not None:
                lines.append(pretty(body))

        def build() -> TreeNode:
            root = tree(value)
            return TreeNode("", root.value, root.children, "json-rpc")

        return Rendered(
            self.name, "\n".join(lines), Syntax.JSON, build, fields=self._fields(messages)
        )

    def _fields(self, messages: list[Any]) -> dict[str, str]:
        fields: dict[str, str] = {}
        for message in messages:
            method = message.get("method")
            if isinstance(method, str) and "method" not in fields:
                fields["method"] = method
            ident = message.get("id")
            if isinstance(ident, str | int) and "id" not in fields:
                fields["id"] = str(ident)
        return fields

    def fields(self, data: bytes, meta: PayloadMeta) -> dict[str, str]:
        return self._fields(_messages(self._value(data)))

    def summary(self, prefix: bytes, meta: PayloadMeta) -> str | None:
        try:
            value = self._value(prefix)
        except ViewError:
            head = prefix.decode("utf-8", "ignore")
            method = string_member(head, "method")
            return f"JSON-RPC {escape_control(shorten(method, 80))} \u2026" if method else None
        if isinstance(value, list):
            lines = [self._line(m, meta) for m in value[:3]]
            more = ", \u2026" if len(value) > 3 else ""
            return f"JSON-RPC batch {len(value)}: " + ", ".join(lines) + more
        return f"JSON-RPC {self._line(value, meta)}"


def register(registry: Registry) -> None:
    registry.add(JsonRpcView())
