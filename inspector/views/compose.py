"""Messages in an application format, from what a person typed: the compose pane's
Format tab, without Qt.

Each builder takes the fields as typed (JSON as text, headers as ``name:value``
lines), raises ``ValueError`` saying what is wrong and where, and returns a
:class:`Composed`: the payload, whether it goes as a text or a binary message, and
the view that reads it back. The encoding itself lives beside each view
(``msgpack.encode``, ``cbor.encode``, ``socketio.encode``, ``stomp.encode_frame``,
``graphql.message``), so what we send and what we show cannot drift apart.
"""

from __future__ import annotations

import importlib
import json
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from .base import PayloadMeta
from .registry import default_registry
from .subprotocols import GRAPHQL_LEGACY, GRAPHQL_TRANSPORT
from .text import escape_control, format_bytes

__all__ = [
    "SOCKETIO_KINDS",
    "Composed",
    "graphql_message",
    "graphql_protocol",
    "json_as",
    "parse_json",
    "preview",
    "socketio_packet",
    "stomp_frame",
    "summary",
]


def _format(name: str) -> ModuleType:
    """A format module, loaded when first used: the window builds the compose pane at
    start and must not wait for MessagePack, CBOR and the rest."""
    return importlib.import_module(f".formats.{name}", __package__)


#: The Socket.IO packets a client sends as text, by what the user picks.
SOCKETIO_KINDS = {"event": 2, "connect": 0, "disconnect": 1, "ack": 3}
_PREVIEW_BYTES = 4096


@dataclass(frozen=True, slots=True)
class Composed:
    """A message to send: ``payload`` as a text (UTF-8) or binary message, and the
    name of the view that reads it."""

    payload: bytes
    is_text: bool
    view: str

    @property
    def opcode(self) -> int:
        return 1 if self.is_text else 2

    @property
    def text(self) -> str:
        return self.payload.decode("utf-8")


def parse_json(text: str, what: str) -> Any:
    """``text`` as JSON; ``ValueError`` names ``what`` and the line and column."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(
            f"{what}: not valid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}"
        ) from None


def _optional_json(text: str, what: str) -> Any:
    return parse_json(text, what) if text.strip() else None


def _object(text: str, what: str) -> dict[str, Any] | None:
    value = _optional_json(text, what)
    if value is not None and not isinstance(value, dict):
        raise ValueError(f"{what}: a JSON object {{...}}, not {type(value).__name__}")
    return value


def json_as(text: str, fmt: str) -> Composed:
    """JSON text as a binary message in ``fmt`` (``msgpack`` or ``cbor``)."""
    if not text.strip():
        raise ValueError("type the JSON value to send")
    value = parse_json(text, "the value")
    if fmt == "msgpack":
        return Composed(_format("msgpack").encode(value), False, "msgpack")
    if fmt == "cbor":
        return Composed(_format("cbor").encode(value), False, "cbor")
    raise ValueError(f"no binary format {fmt!r}")


def socketio_packet(
    kind: str, namespace: str = "/", event: str = "", args: str = "", ack: str = ""
) -> Composed:
    """A Socket.IO v5 packet in an Engine.IO v4 message. ``kind``: event, connect
    (``args``: the auth object, optional), disconnect, or ack (``args`` answer the
    server's ack id ``ack``). An event's ``args`` are a JSON array of its arguments
    (empty: none); ``ack`` (optional for an event) asks the server to acknowledge."""
    try:
        socket_type = SOCKETIO_KINDS[kind]
    except KeyError:
        raise ValueError(f"no Socket.IO packet {kind!r}") from None
    namespace = namespace.strip() or "/"
    ack_id: int | None = None
    if ack.strip():
        if not ack.strip().isdigit():
            raise ValueError(f"the ack id is a number: {ack.strip()!r}")
        ack_id = int(ack)
    data: Any = None
    if kind == "connect":
        data = _object(args, "the auth object")
        ack_id = None
    elif kind in ("event", "ack"):
        values = _optional_json(args, "the arguments")
        if values is None:
            values = []
        if not isinstance(values, list):
            raise ValueError('the arguments are a JSON array, e.g. ["hello", {"n": 1}]')
        if kind == "event":
            if not event:
                raise ValueError("an event needs a name")
            data = [event, *values]
        else:
            if ack_id is None:
                raise ValueError("an ack answers an ack id: type the server's")
            data = values
    else:
        ack_id = None
    return Composed(
        _format("socketio")
        .encode(socket_type, namespace=namespace, data=data, ack=ack_id)
        .encode(),
        True,
        "socket.io",
    )


def _headers(text: str) -> list[tuple[str, str]]:
    headers = []
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        name, colon, value = line.partition(":")
        if not colon:
            raise ValueError(f"header line {n} has no ':' (name:value)")
        headers.append((name.strip(), value.strip()))
    return headers


def stomp_frame(command: str, headers: str = "", body: str = "") -> Composed:
    """A STOMP frame as a text message; ``headers`` one ``name:value`` a line."""
    command = command.strip().upper()
    if not command:
        raise ValueError("a STOMP frame needs a command")
    data = _format("stomp").encode_frame(command, _headers(headers), body.encode("utf-8"))
    return Composed(data, True, "stomp")


def graphql_protocol(subprotocol: str | None) -> str:
    """The GraphQL protocol a connection speaks: the legacy one only when negotiated."""
    return GRAPHQL_LEGACY if subprotocol == GRAPHQL_LEGACY else GRAPHQL_TRANSPORT


def graphql_message(
    protocol: str,
    kind: str,
    *,
    id: str = "",
    query: str = "",
    variables: str = "",
    operation_name: str = "",
    payload: str = "",
) -> Composed:
    """A GraphQL-over-WebSocket client message (see :func:`graphql.message`), JSON
    fields as typed."""
    message = _format("graphql").message(
        protocol,
        kind,
        id=id.strip() or None,
        query=query,
        variables=_object(variables, "the variables"),
        operation_name=operation_name.strip() or None,
        payload=_object(payload, "the payload"),
    )
    text = json.dumps(message, ensure_ascii=False, separators=(",", ":"))
    return Composed(text.encode("utf-8"), True, "graphql-ws")


def _meta(composed: Composed, subprotocol: str | None) -> PayloadMeta:
    return PayloadMeta(composed.opcode, subprotocol=subprotocol, size=len(composed.payload))


def summary(composed: Composed, subprotocol: str | None = None) -> str:
    """One line, as our view reads the message back (``socket.io EVENT "chat"``)."""
    registry = default_registry()
    return registry.summary(composed.payload, _meta(composed, subprotocol), composed.view)


def preview(composed: Composed, subprotocol: str | None = None) -> str:
    """What Send puts in the message, and how our view reads it back: the bytes (hex
    for binary, the text escaped for text), then the view's rendering."""
    data = composed.payload
    kind = "TEXT" if composed.is_text else "BINARY"
    lines = [f"{kind} message, {format_bytes(len(data))}"]
    shown = data[:_PREVIEW_BYTES]
    if composed.is_text:
        lines.append(escape_control(shown.decode("utf-8", "replace"), keep_newlines=True))
    else:
        lines.extend(
            f"{off:08x}  {shown[off : off + 16].hex(' ')}" for off in range(0, len(shown), 16)
        )
    if len(data) > _PREVIEW_BYTES:
        lines.append(f"… ({format_bytes(len(data) - _PREVIEW_BYTES)} more)")
    rendered = default_registry().render(data, _meta(composed, subprotocol), composed.view)
    title = default_registry().get(composed.view).title
    lines += ["", f"As the {title} view reads it back:"]
    if rendered.error:
        lines.append(rendered.error)
    lines.append(escape_control(rendered.text, keep_newlines=True))
    return "\n".join(lines)
