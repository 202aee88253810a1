"""WAMP v2 (``wamp.2.json``, ``wamp.2.msgpack``, ``wamp.2.cbor``; the ``.batched``
JSON variant too): each message an array whose first item is its type, shown by name
with its request id, URI (realm, topic, procedure, error) and arguments."""

from __future__ import annotations

from typing import Any

from ..base import (
    ASCII_SPACE,
    NO_BINARY,
    PayloadMeta,
    Rendered,
    Syntax,
    TreeNode,
    View,
    ViewError,
    one_or_many,
)
from ..registry import Registry
from ..text import escape_control, shorten
from . import cbor as cbor_format
from . import msgpack as msgpack_format
from .structured import brief, json_value, pretty, tree

__all__ = ["WampView", "register"]

#: Type code -> (name, the names of the items after it).
MESSAGES: dict[int, tuple[str, tuple[str, ...]]] = {
    1: ("HELLO", ("realm", "details")),
    2: ("WELCOME", ("session", "details")),
    3: ("ABORT", ("details", "reason")),
    4: ("CHALLENGE", ("authmethod", "extra")),
    5: ("AUTHENTICATE", ("signature", "extra")),
    6: ("GOODBYE", ("details", "reason")),
    8: ("ERROR", ("request_type", "request", "details", "error", "args", "kwargs")),
    16: ("PUBLISH", ("request", "options", "topic", "args", "kwargs")),
    17: ("PUBLISHED", ("request", "publication")),
    32: ("SUBSCRIBE", ("request", "options", "topic")),
    33: ("SUBSCRIBED", ("request", "subscription")),
    34: ("UNSUBSCRIBE", ("request", "subscription")),
    35: ("UNSUBSCRIBED", ("request", "details")),
    36: ("EVENT", ("subscription", "publication", "details", "args", "kwargs")),
    48: ("CALL", ("request", "options", "procedure", "args", "kwargs")),
    49: ("CANCEL", ("request", "options")),
    50: ("RESULT", ("request", "details", "args", "kwargs")),
    64: ("REGISTER", ("request", "options", "procedure")),
    65: ("REGISTERED", ("request", "registration")),
    66: ("UNREGISTER", ("request", "registration")),
    67: ("UNREGISTERED", ("request", "details")),
    68: ("INVOCATION", ("request", "registration", "details", "args", "kwargs")),
    69: ("INTERRUPT", ("request", "options")),
    70: ("YIELD", ("request", "options", "args", "kwargs")),
}
SUBPROTOCOLS = {
    "wamp.2.json": "json",
    "wamp.2.json.batched": "json",
    "wamp.2.msgpack": "msgpack",
    "wamp.2.msgpack.batched": "msgpack",
    "wamp.2.cbor": "cbor",
    "wamp.2.cbor.batched": "cbor",
}
_URIS = ("realm", "reason", "error", "topic", "procedure")
_IDS = {"request": "id", "session": "session", "subscription": "sub", "publication": "pub"}
_IDS |= {"registration": "reg"}


def _items(value: Any) -> dict[str, Any]:
    if not isinstance(value, list) or not value or not isinstance(value[0], int):
        raise ViewError("a WAMP message is an array starting with its type", 0)
    kind = value[0]
    if kind not in MESSAGES:
        raise ViewError(f"unknown WAMP message type {kind}", 0)
    name, keys = MESSAGES[kind]
    required = len([k for k in keys if k not in ("args", "kwargs")])
    if len(value) - 1 < required:
        raise ViewError(f"{name} needs {required} items after its type, has {len(value) - 1}", 0)
    return {"type": name} | dict(zip(keys, value[1:], strict=False))


def _decode(data: bytes, meta: PayloadMeta) -> list[dict[str, Any]]:
    serializer = SUBPROTOCOLS.get(meta.subprotocol or "")
    if serializer is None:
        serializer = "json" if meta.opcode == 1 else "msgpack"
    if serializer == "json":
        if meta.subprotocol == "wamp.2.json.batched":
            parts = [p for p in data.split(b"\x18") if p]
            return [_items(json_value(p)) for p in parts]
        return [_items(json_value(data))]
    decode = msgpack_format.decode_one if serializer == "msgpack" else cbor_format.decode_one
    if meta.subprotocol and meta.subprotocol.endswith(".batched"):
        found, pos = [], 0
        while pos + 4 <= len(data):  # 4-byte big-endian length per message
            n = int.from_bytes(data[pos : pos + 4], "big")
            found.append(_items(decode(data[pos + 4 : pos + 4 + n])))
            pos += 4 + n
        return found
    return [_items(decode(data))]


def _line(m: dict[str, Any]) -> str:
    parts = [m["type"]]
    if m["type"] == "ERROR":
        kind = m.get("request_type")
        parts.append(MESSAGES[kind][0] if kind in MESSAGES else str(kind))
    for key in _URIS:
        if isinstance(m.get(key), str):
            parts.append(escape_control(shorten(m[key], 100)))
    for key, shown in _IDS.items():
        if key in m and isinstance(m[key], int):
            parts.append(f"{shown}={m[key]}")
    if m.get("args"):
        parts.append(brief(m["args"], 80))
    if m.get("kwargs"):
        parts.append(brief(m["kwargs"], 60))
    return " ".join(parts)


class WampView(View):
    name = "wamp"
    title = "WAMP"
    text_starts = ASCII_SPACE | frozenset(b"[")
    binary_starts = NO_BINARY  # (wamp.2.msgpack and .cbor are negotiated)
    top_priority = 0.85

    def priority(self, data: bytes, meta: PayloadMeta) -> float:
        if meta.opcode not in (1, 2):
            return -1
        if meta.subprotocol in SUBPROTOCOLS:
            return 1.8
        if meta.opcode != 1:
            return -1
        head = data[:16].lstrip()
        if not head.startswith(b"["):
            return -1
        digits = head[1:].lstrip().split(b",", 1)[0].strip()
        if not digits.isdigit() or int(digits) not in MESSAGES:
            return -1
        # A JSON array that starts with a WAMP type: HELLO's realm makes it sure.
        return 0.85 if int(digits) == 1 and b'"' in head else 0.3

    def render(self, data: bytes, meta: PayloadMeta) -> Rendered:
        messages = _decode(data, meta)
        texts = []
        for m in messages:
            lines = [f"WAMP {m['type']}"]
            for key, value in m.items():
                if key != "type":
                    lines.append(f"{key:<12} {pretty(value)}")
            texts.append("\n".join(lines))

        def build() -> TreeNode:
            nodes = [
                TreeNode(
                    m["type"], "", tuple(tree(v, k) for k, v in m.items() if k != "type"), "wamp"
                )
                for m in messages
            ]
            return one_or_many(nodes, "messages")

        fields = _fields(messages)
        return Rendered(self.name, "\n\n".join(texts), Syntax.KEY_VALUE, build, fields=fields)

    def fields(self, data: bytes, meta: PayloadMeta) -> dict[str, str]:
        return _fields(_decode(data, meta))

    def summary(self, prefix: bytes, meta: PayloadMeta) -> str | None:
        try:
            messages = _decode(prefix, meta)
        except ViewError:
            return "WAMP \u2026" if meta.size and meta.size > len(prefix) else None
        more = f" +{len(messages) - 1}" if len(messages) > 1 else ""
        return f"WAMP {_line(messages[0])}{more}" if messages else None


def _fields(messages: list[dict[str, Any]]) -> dict[str, str]:
    for m in messages:
        for key in _URIS:
            if isinstance(m.get(key), str):
                return {"uri": m[key]}
    return {}


def register(registry: Registry) -> None:
    registry.add(WampView())
