"""Format-aware library items (kind ``format``): a message kept as the source the
compose pane's Format tab was given (a JSON value for MessagePack or CBOR, a
Socket.IO event's name and arguments, a STOMP frame's command, headers and body, a
GraphQL operation), built into bytes only when sent, by the same encoders the
Format tab uses (:mod:`inspector.views.compose`), variables expanded in each field
first. The item's ``view`` names the format."""

from __future__ import annotations

from collections.abc import Mapping

from ..views import compose
from .variables import Expander

__all__ = ["FORMAT_FIELDS", "JSON_FIELDS", "build_format", "expand_fields"]

#: The fields of each format, in the Format tab's order.
FORMAT_FIELDS: dict[str, tuple[str, ...]] = {
    "msgpack": ("value",),
    "cbor": ("value",),
    "socket.io": ("packet", "namespace", "event", "args", "ack"),
    "stomp": ("command", "headers", "body"),
    "graphql": ("message", "protocol", "id", "query", "operation", "variables", "payload"),
}
#: Fields holding JSON: their variables are expanded as JSON string content.
JSON_FIELDS = frozenset({"value", "args", "variables", "payload"})


def expand_fields(
    fields: Mapping[str, str], counter: int, expander: Expander
) -> tuple[dict[str, str], bool]:
    """Each field with its variables expanded; and whether the counter was used."""
    used = False
    out: dict[str, str] = {}
    for name, value in fields.items():
        expansion = expander.expand(value, counter, json_string=name in JSON_FIELDS)
        out[name] = expansion.text
        used = used or expansion.used_counter
    return out, used


def build_format(fmt: str, fields: Mapping[str, str], subprotocol: str | None) -> compose.Composed:
    """The message ``fields`` describe in ``fmt``; ``ValueError`` says what is wrong
    (as the Format tab would). ``subprotocol`` names the GraphQL protocol when the
    item says "as negotiated" (an empty ``protocol``)."""
    f = {name: fields.get(name, "") for name in FORMAT_FIELDS.get(fmt, ())}
    if fmt in ("msgpack", "cbor"):
        return compose.json_as(f["value"], fmt)
    if fmt == "socket.io":
        return compose.socketio_packet(
            f["packet"] or "event", f["namespace"], f["event"], f["args"], f["ack"]
        )
    if fmt == "stomp":
        return compose.stomp_frame(f["command"], f["headers"], f["body"])
    if fmt == "graphql":
        protocol = f["protocol"] or compose.graphql_protocol(subprotocol)
        return compose.graphql_message(
            protocol,
            f["message"] or "subscribe",
            id=f["id"],
            query=f["query"],
            variables=f["variables"],
            operation_name=f["operation"],
            payload=f["payload"],
        )
    raise ValueError(f"no format {fmt!r} (one of {', '.join(FORMAT_FIELDS)})")
