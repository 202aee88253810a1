"""GraphQL over WebSocket: ``graphql-transport-ws`` (the graphql-ws library's
protocol) and the legacy ``graphql-ws`` (subscriptions-transport-ws).

Every message is a JSON object with a ``type``, most with an ``id`` and a ``payload``:
a subscribe/start carries the query (operation name, variables), a next/data an
execution result (data, errors), an error a list of errors.
"""

from __future__ import annotations

import json
import re
from typing import Any

from ..base import NO_BINARY, PayloadMeta, Rendered, Syntax, TreeNode, View, ViewError
from ..registry import Registry
from ..subprotocols import GRAPHQL_LEGACY, GRAPHQL_TRANSPORT
from ..text import escape_control, shorten
from .structured import brief, json_value, pretty, string_member, tree

__all__ = ["LEGACY", "TRANSPORT", "GraphQLWSView", "message", "operation_name", "register"]

SUBPROTOCOLS = frozenset({"graphql-transport-ws", "graphql-ws"})
TRANSPORT_TYPES = frozenset(
    {"connection_init", "connection_ack", "ping", "pong", "subscribe", "next", "error", "complete"}
)
LEGACY_TYPES = frozenset(
    {
        "connection_init",
        "connection_ack",
        "connection_error",
        "connection_terminate",
        "ka",
        "start",
        "data",
        "error",
        "complete",
        "stop",
    }
)
ALL_TYPES = TRANSPORT_TYPES | LEGACY_TYPES
# Types no other JSON protocol is likely to send; the generic ones ("data", "error",
# "complete") count only with an id, "ping"/"pong" only when negotiated.
_DISTINCT = frozenset(
    {
        "connection_init",
        "connection_ack",
        "connection_error",
        "connection_terminate",
        "ka",
    }
)
# "subscribe", "start", "next", "stop"... are everyday words in other JSON protocols
# (an exchange's {"type": "subscribe", "channel": ...}): without the subprotocol, they
# are GraphQL only with a query (operations) or an id (the rest).
_OPERATIONS = frozenset({"subscribe", "start"})
_OPERATION = re.compile(r"\b(query|mutation|subscription)\s+([_A-Za-z][_0-9A-Za-z]*)")
_OPERATION_KIND = re.compile(r"^\s*(query|mutation|subscription)\b|^\s*\{")

TRANSPORT, LEGACY = GRAPHQL_TRANSPORT, GRAPHQL_LEGACY
# What each protocol calls the client's messages (None: the protocol has no such one).
_CLIENT_TYPES: dict[str, dict[str, str | None]] = {
    TRANSPORT: {"init": "connection_init", "subscribe": "subscribe", "complete": "complete",
                "ping": "ping", "terminate": None},
    LEGACY: {"init": "connection_init", "subscribe": "start", "complete": "stop",
             "ping": None, "terminate": "connection_terminate"},
}  # fmt: skip


def message(
    protocol: str,
    kind: str,
    *,
    id: str | None = None,
    query: str | None = None,
    variables: dict[str, Any] | None = None,
    operation_name: str | None = None,
    payload: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A client message of ``protocol`` (:data:`TRANSPORT` or :data:`LEGACY`), by what
    it does (``kind``: init, subscribe, complete, ping, terminate), named as that
    protocol names it: a subscribe is ``subscribe`` in graphql-transport-ws and
    ``start`` in graphql-ws, a complete is ``stop`` there. ``payload`` is an init's or
    ping's; a subscribe's is built from the query, variables and operation name."""
    try:
        kind_type = _CLIENT_TYPES[protocol][kind]
    except KeyError:
        raise ValueError(f"no {kind!r} message in {protocol!r}") from None
    if kind_type is None:
        raise ValueError(f"{protocol} has no {kind} message")
    out: dict[str, Any] = {"type": kind_type}
    if kind in ("subscribe", "complete"):
        if not id:
            raise ValueError(f"a {kind_type} needs an id")
        out["id"] = id
    if kind == "subscribe":
        if not query or not query.strip():
            raise ValueError("a subscribe needs a query")
        body: dict[str, Any] = {"query": query}
        if variables is not None:
            body["variables"] = variables
        if operation_name:
            body["operationName"] = operation_name
        out["payload"] = body
    elif payload is not None and kind in ("init", "ping"):
        out["payload"] = payload
    return out


def operation_name(payload: Any) -> str | None:
    """The operation a subscribe/start payload names: ``operationName``, else the
    first named operation in its query."""
    if not isinstance(payload, dict):
        return None
    name = payload.get("operationName")
    if isinstance(name, str) and name:
        return name
    query = payload.get("query")
    if isinstance(query, str):
        m = _OPERATION.search(query)
        if m:
            return m.group(2)
    return None


def _operation_kind(payload: Any) -> str | None:
    query = payload.get("query") if isinstance(payload, dict) else None
    if not isinstance(query, str):
        return None
    m = _OPERATION_KIND.search(query)
    if m is None:
        return None
    return m.group(1) or "query"


def _errors(value: Any) -> list[str]:
    items = value if isinstance(value, list) else [value]
    found = []
    for item in items:
        if isinstance(item, dict) and isinstance(item.get("message"), str):
            found.append(item["message"])
        elif isinstance(item, str):
            found.append(item)
    return found


def _sniffed_type(head: str) -> str | None:
    if not head.lstrip().startswith("{"):
        return None
    kind = string_member(head, "type")
    return kind if kind in ALL_TYPES else None


class GraphQLWSView(View):
    name = "graphql-ws"
    title = "GraphQL over WebSocket"
    text_starts = frozenset(b" \t\n\r\x0b\x0c\x1c\x1d\x1e\x1f{") | frozenset(range(0x80, 0x100))
    binary_starts = NO_BINARY
    top_priority = 0.9

    def priority(self, data: bytes, meta: PayloadMeta) -> float:
        if meta.opcode != 1:
            return -1
        head = data[:512].decode("utf-8", "ignore")
        kind = _sniffed_type(head)
        if meta.subprotocol in SUBPROTOCOLS:
            return 1.8 if kind is not None or head.lstrip().startswith("{") else -1
        if kind is None:
            return -1
        if kind in _DISTINCT:
            return 0.9
        if kind in _OPERATIONS:
            return 0.9 if '"query"' in head else -1
        return 0.9 if '"id"' in head else -1

    def _message(self, data: bytes) -> dict[str, Any]:
        value = json_value(data)
        if not isinstance(value, dict):
            raise ViewError("a message must be a JSON object", 0)
        if not isinstance(value.get("type"), str):
            raise ViewError('the message has no "type"', 0)
        return value

    def render(self, data: bytes, meta: PayloadMeta) -> Rendered:
        message = self._message(data)
        kind = message["type"]
        payload = message.get("payload")
        lines = [f"GraphQL {kind}" + ("" if kind in ALL_TYPES else " (not a known type)")]
        if "id" in message:
            lines.append(f"id         {message['id']}")
        if kind in ("subscribe", "start"):
            name = operation_name(payload)
            op_kind = _operation_kind(payload)
            if op_kind or name:
                lines.append(f"operation  {op_kind or ''} {name or ''}".rstrip())
            if isinstance(payload, dict):
                if isinstance(payload.get("query"), str):
                    lines += ["", payload["query"].strip()]
                if payload.get("variables"):
                    lines += ["", "variables " + pretty(payload["variables"])]
        elif kind in ("next", "data") and isinstance(payload, dict):
            errors = _errors(payload.get("errors", []))
            for error in errors:
                lines.append(f"error      {error}")
            if "data" in payload:
                lines += ["", pretty(payload["data"])]
        elif kind in ("error", "connection_error"):
            for error in _errors(payload):
                lines.append(f"error      {error}")
            lines += ["", pretty(payload)]
        elif payload is not None:
            lines += ["", pretty(payload)]

        def build() -> TreeNode:
            nodes = [TreeNode("type", kind, (), "str")]
            if "id" in message:
                nodes.append(tree(message["id"], "id"))
            if payload is not None:
                nodes.append(tree(payload, "payload"))
            return TreeNode("", kind, tuple(nodes), "graphql")

        fields = self._fields(message)
        return Rendered(self.name, "\n".join(lines), Syntax.KEY_VALUE, build, fields=fields)

    def _fields(self, message: dict[str, Any]) -> dict[str, str]:
        fields = {"type": message["type"]}
        if isinstance(message.get("id"), str | int):
            fields["id"] = str(message["id"])
        name = operation_name(message.get("payload"))
        if name is not None:
            fields["operation"] = name
        return fields

    def fields(self, data: bytes, meta: PayloadMeta) -> dict[str, str]:
        return self._fields(self._message(data))

    def summary(self, prefix: bytes, meta: PayloadMeta) -> str | None:
        try:
            message = self._message(prefix)
        except ViewError:
            return self._summary_of_cut(prefix)
        kind = message["type"]
        parts = ["GraphQL", escape_control(shorten(kind, 40))]
        if isinstance(message.get("id"), str | int):
            parts.append(escape_control(shorten(str(message["id"]), 40)))
        payload = message.get("payload")
        if kind in ("subscribe", "start"):
            op_kind, name = _operation_kind(payload), operation_name(payload)
            parts += [p for p in (op_kind, name) if p]
        elif kind in ("next", "data") and isinstance(payload, dict):
            errors = _errors(payload.get("errors", []))
            if errors:
                parts.append(f"errors: {json.dumps(shorten(errors[0], 80), ensure_ascii=False)}")
            elif payload.get("data") is not None:
                parts.append(brief(payload["data"], 100))
        elif kind in ("error", "connection_error"):
            errors = _errors(payload)
            if errors:
                parts.append(json.dumps(shorten(errors[0], 80), ensure_ascii=False))
        return escape_control(" ".join(parts))

    def _summary_of_cut(self, prefix: bytes) -> str | None:
        head = prefix.decode("utf-8", "ignore")
        kind = _sniffed_type(head)
        if kind is None:
            return None
        parts = ["GraphQL", kind]
        ident = string_member(head, "id")
        if ident:
            parts.append(shorten(ident, 40))
        name = string_member(head, "operationName")
        query = string_member(head, "query")
        if not name and query:
            m = _OPERATION.search(query)
            name = m.group(2) if m else None
        if name:
            parts.append(shorten(name, 60))
        return escape_control(" ".join(parts) + " \u2026")


def register(registry: Registry) -> None:
    registry.add(GraphQLWSView())
