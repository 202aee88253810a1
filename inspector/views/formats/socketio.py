"""Socket.IO v5 over Engine.IO v4 (also the v3 pings ``2probe``/``3probe``).

An Engine.IO text message is one packet: its type digit (0 open, 1 close, 2 ping,
3 pong, 4 message, 5 upgrade, 6 noop) and data. A message packet carries a Socket.IO
packet: ``<type>[<attachments>-][<namespace>,][<ack id>][<JSON>]``, for example
``42["chat","hi"]`` or ``452-/admin,12["upload",{"_placeholder":true,"num":0},...]``.
A binary event's attachments are the next binary messages the same peer sends, one
per placeholder: the view joins them (both ways) through the message context.
"""

from __future__ import annotations

import json
import re
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from ..base import ContextMessage, PayloadMeta, Rendered, Syntax, TreeNode, View, ViewError
from ..registry import Registry
from ..text import escape_control, format_bytes, shorten
from .structured import brief, pretty, tree

__all__ = ["SocketIOPacket", "SocketIOView", "encode", "opens_session", "parse", "register"]

ENGINE_TYPES = ("OPEN", "CLOSE", "PING", "PONG", "MESSAGE", "UPGRADE", "NOOP")
SOCKET_TYPES = (
    "CONNECT",
    "DISCONNECT",
    "EVENT",
    "ACK",
    "CONNECT_ERROR",
    "BINARY_EVENT",
    "BINARY_ACK",
)
_BINARY_TYPES = (5, 6)
# A Socket.IO packet inside an Engine.IO message, as far as its JSON begins.
_SOCKET = re.compile(rb"4([0-6])(?:(\d+)-)?(?:(/[^,]*),?)?(\d*)")
# An event's name at the start of its JSON array, for a summary from a prefix.
_EVENT_NAME = re.compile(r'\[\s*("(?:[^"\\]|\\.)*")')
_LONE = frozenset({b"1", b"2", b"3", b"5", b"6", b"2probe", b"3probe"})
# Messages walked back to find the packet a binary message is an attachment of.
_ATTACHMENT_WALK = 16
#: How a packet that awaits attachments begins (Engine.IO message, binary event/ack).
_PLACEHOLDER_STARTS = (b"45", b"46")
_MEMO = 20_000


@dataclass(frozen=True, slots=True)
class SocketIOPacket:
    """One Engine.IO packet and, for a message, the Socket.IO packet inside."""

    engine: int
    socket: int | None = None
    attachments: int = 0
    #: As written; None for the default namespace "/" left out.
    namespace: str | None = None
    ack: int | None = None
    #: The JSON part as text ("" when there is none) and decoded (None when absent).
    json_text: str = ""
    data: Any = None
    #: Engine.IO data that is not a Socket.IO packet (ping's "probe", a plain message).
    engine_data: str = ""

    @property
    def event(self) -> str | None:
        if self.socket in (2, 5) and isinstance(self.data, list) and self.data:
            first = self.data[0]
            return first if isinstance(first, str) else None
        return None

    @property
    def type_name(self) -> str:
        if self.socket is not None:
            return SOCKET_TYPES[self.socket]
        return ENGINE_TYPES[self.engine]

    @property
    def protocol(self) -> str:
        return "engine.io" if self.socket is None else "socket.io"


def _json(text: str, base: int) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        at = base + len(text[: exc.pos].encode("utf-8"))
        raise ViewError(f"{exc.msg} in the packet's JSON", at) from None


def parse(data: bytes, *, decode_json: bool = True) -> SocketIOPacket:
    """``data`` (a text message) as an Engine.IO packet; :class:`ViewError` with the byte
    where it is not one. ``decode_json`` off: the JSON is kept as text only."""
    if not data:
        raise ViewError("an empty message is no Engine.IO packet", 0)
    engine = data[0] - 0x30
    if not 0 <= engine <= 6:
        raise ViewError(f"{data[:1]!r} is not an Engine.IO packet type (0-6)", 0)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ViewError("not UTF-8", exc.start) from None
    if engine == 0:
        return SocketIOPacket(
            0, json_text=text[1:], data=_json(text[1:], 1) if decode_json else None
        )
    if engine != 4:
        return SocketIOPacket(engine, engine_data=text[1:])
    m = _SOCKET.match(data)
    if m is None:
        return SocketIOPacket(4, engine_data=text[1:])
    socket = int(m.group(1))
    attachments = int(m.group(2)) if m.group(2) else 0
    if socket in _BINARY_TYPES and m.group(2) is None:
        raise ViewError("a binary packet needs its attachment count", 2)
    namespace = m.group(3).decode("utf-8") if m.group(3) else None
    ack = int(m.group(4)) if m.group(4) else None
    end = m.end()
    json_text = data[end:].decode("utf-8")
    value = _json(json_text, end) if json_text and decode_json else None
    if decode_json and socket in (2, 3, 5, 6) and not isinstance(value, list):
        raise ViewError(f"{SOCKET_TYPES[socket]} data must be an array", end)
    return SocketIOPacket(4, socket, attachments, namespace, ack, json_text, value)


def opens_session(data: bytes) -> bool:
    """``data`` is an Engine.IO OPEN packet, the first message of an Engine.IO server
    (``0{"sid":"...","pingInterval":25000,...}``): from then on, its ``2`` are pings."""
    if not data.startswith(b"0{"):
        return False
    try:
        value = json.loads(data[1:])
    except (ValueError, UnicodeDecodeError):
        return False
    return isinstance(value, dict) and "sid" in value and "pingInterval" in value


def encode(
    socket_type: int, *, namespace: str = "/", data: Any = None, ack: int | None = None
) -> str:
    """A Socket.IO packet (``SOCKET_TYPES`` index) in an Engine.IO message, as
    ``socket.io-parser`` writes it: ``4`` + type + namespace (left out when "/") + ack
    id + JSON (compact, like ``JSON.stringify``). ``data``: a CONNECT's auth object, an
    EVENT's ``[name, *args]``, an ACK's ``[*args]``; None leaves it out.
    ``ValueError`` says what cannot be written."""
    if not 0 <= socket_type < len(SOCKET_TYPES) or socket_type in _BINARY_TYPES:
        raise ValueError(f"packet type {socket_type} is not one written as text")
    if not namespace.startswith("/"):
        raise ValueError(f"a namespace starts with '/': {namespace!r}")
    if "," in namespace:
        raise ValueError(f"a namespace cannot hold ',': {namespace!r}")
    if ack is not None and ack < 0:
        raise ValueError("an ack id is a number from 0")
    if socket_type in (2, 3) and not isinstance(data, list):
        raise ValueError(f"{SOCKET_TYPES[socket_type]} data is an array")
    if socket_type == 2 and not (data and isinstance(data[0], str)):
        raise ValueError("an EVENT's first element is its name, a string")
    out = f"4{socket_type}"
    if namespace != "/":
        out += namespace + ","
    if ack is not None:
        out += str(ack)
    if data is not None:
        out += json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return out


def _event_from_prefix(packet: SocketIOPacket) -> str | None:
    if packet.socket not in (2, 5):
        return None
    m = _EVENT_NAME.match(packet.json_text)
    if m is None:
        return None
    try:
        name = json.loads(m.group(1))
    except json.JSONDecodeError:
        return None
    return name if isinstance(name, str) else None


def _fill(value: Any, attachments: list[bytes | None]) -> Any:
    """``value`` with each placeholder replaced by its attachment's bytes."""
    if isinstance(value, dict):
        num = value.get("num")
        if value.get("_placeholder") is True and isinstance(num, int) and len(value) == 2:
            if 0 <= num < len(attachments) and attachments[num] is not None:
                return attachments[num]
            return value
        return {k: _fill(v, attachments) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v, attachments) for v in value]
    return value


@dataclass(frozen=True, slots=True)
class _Attachment:
    """A binary message that is attachment ``num`` of ``count`` of the packet on row
    ``packet_row``."""

    packet_row: int
    num: int
    count: int
    event: str | None


def _placeholder_packet(message: ContextMessage) -> SocketIOPacket | None:
    if not message.meta.is_text:
        return None
    try:
        packet = parse(message.data[:4096], decode_json=False)
    except ViewError:
        return None
    if packet.socket in _BINARY_TYPES and packet.attachments > 0:
        return packet
    return None


def attachment_of(meta: PayloadMeta) -> _Attachment | None:
    """Which packet's attachment a binary message is, from the messages before it."""
    ctx = meta.context
    if ctx is None or not meta.is_binary or not ctx.text_before(_PLACEHOLDER_STARTS):
        return None
    state = ctx.state("socket.io")
    memo: OrderedDict[int, _Attachment | None] | None = state.get("attachments")
    if memo is None:
        memo = state["attachments"] = OrderedDict()
    if ctx.index in memo:
        return memo[ctx.index]
    senders: dict[int, object] = state.setdefault("senders", {})
    # Row after row (a table painting down, a session of binary messages) the row
    # before was just answered: when it is the same peer's and no attachment, neither
    # is this one, without reading any message.
    before = ctx.index - 1
    if before in memo and memo[before] is None and senders.get(before) == meta.sender:
        return _remember(memo, senders, ctx.index, meta, None)
    # The same peer's messages back to its last text message: the attachments of one
    # packet follow it without another text message in between.
    binaries: list[int] = []
    found: _Attachment | None = None
    # (By kind first: only the text message the walk stops at is read.)
    for index, opcode, sender in ctx.kinds_before(limit=_ATTACHMENT_WALK * 4):
        if sender != meta.sender:
            continue
        if opcode == 2:
            if index in memo:
                known = memo[index]
                if known is not None:
                    found = _Attachment(
                        known.packet_row, known.num + 1 + len(binaries), known.count, known.event
                    )
                break
            binaries.append(index)
            if len(binaries) > _ATTACHMENT_WALK:
                break
            continue
        message = ctx.message(index)
        packet = _placeholder_packet(message) if message is not None else None
        if packet is not None:
            event = _event_from_prefix(packet)
            found = _Attachment(index, len(binaries), packet.attachments, event)
        break
    result = found if found is not None and found.num < found.count else None
    return _remember(memo, senders, ctx.index, meta, result)


def _remember(
    memo: OrderedDict[int, _Attachment | None],
    senders: dict[int, object],
    row: int,
    meta: PayloadMeta,
    result: _Attachment | None,
) -> _Attachment | None:
    memo[row] = result
    senders[row] = meta.sender
    if len(memo) > _MEMO:
        old, _ = memo.popitem(last=False)
        senders.pop(old, None)
    return result


def _strong(data: bytes) -> bool:
    """Whether a text payload can only be Engine.IO/Socket.IO: an open packet, or a
    Socket.IO packet with its data."""
    head = data[:64]
    if head.startswith(b'0{"sid"'):
        return True
    m = _SOCKET.match(head)
    if m is None or (int(m.group(1)) in _BINARY_TYPES and m.group(2) is None):
        return False
    return head[m.end() : m.end() + 1] in (b"[", b"{", b'"')


def _opened_as_engineio(meta: PayloadMeta) -> bool:
    """Whether the session shows itself as Engine.IO: it opened like one, or a
    recent message is a Socket.IO packet."""
    context = meta.context
    if context is None:
        return False
    state = context.state("socket.io")
    if state.get("seen"):
        return True
    seen = any(_strong(m.data) for m in context.first(4)) or any(
        _strong(m.data) for m in context.before(8)
    )
    if seen:  # only a yes is kept: a live session may show itself later
        state["seen"] = True
    return seen


def _attachments_after(meta: PayloadMeta, count: int) -> list[bytes | None]:
    found: list[bytes | None] = []
    ctx = meta.context
    if ctx is not None:
        for message in ctx.after(limit=count * 4 + 8):
            if len(found) >= count:
                break
            if message.meta.sender != meta.sender:
                continue
            if not message.meta.is_binary:
                break
            found.append(message.data)
    return found + [None] * (count - len(found))


class SocketIOView(View):
    name = "socket.io"
    title = "Socket.IO"
    text_starts = frozenset(b"0123456789")
    # binary_starts: none, any binary message may be a packet's attachment.
    top_priority = 0.95

    def priority(self, data: bytes, meta: PayloadMeta) -> float:
        if meta.opcode == 2:
            # Most sessions have no placeholder packet at all: said by the store's
            # index in one look-up, before attachment_of's walk.
            ctx = meta.context
            if ctx is None or not ctx.text_before(_PLACEHOLDER_STARTS):
                return -1
            return 0.95 if attachment_of(meta) is not None else -1
        if meta.opcode != 1 or not data:
            return -1
        head = data[:64]
        if head in _LONE:
            # "1", "2", "3" are as often plain text (a counter, an echo test) as
            # Engine.IO packets: take them for Engine.IO only in a session that opened
            # like one. "2probe"/"3probe" say it themselves.
            return 0.6 if head.endswith(b"probe") or _opened_as_engineio(meta) else -1
        if head.startswith(b'0{"sid"'):
            return 0.95
        m = _SOCKET.match(head)
        if m is None:
            return -1
        socket = int(m.group(1))
        if socket in _BINARY_TYPES and m.group(2) is None:
            return -1
        rest = head[m.end() : m.end() + 1]
        if rest in (b"[", b"{", b'"'):
            return 0.95
        if not rest and len(data) == m.end() and socket in (0, 1):
            return 0.6  # "40", "41/admin,": a connect or disconnect without data
        return -1

    def _attachment(self, data: bytes, found: _Attachment) -> Rendered:
        event = f' of "{found.event}"' if found.event else ""
        text = (
            f"attachment {found.num + 1} of {found.count}{event} (the packet on row "
            f"{found.packet_row}), {format_bytes(len(data))}\n\n" + data[:4096].hex(" ")
        )

        def build() -> TreeNode:
            return TreeNode("attachment", f"{found.num + 1}/{found.count}", (tree(data, "data"),))

        return Rendered(self.name, text, Syntax.NONE, build)

    def render(self, data: bytes, meta: PayloadMeta) -> Rendered:
        if meta.opcode == 2:
            found = attachment_of(meta)
            if found is None:
                raise ViewError("a binary message that follows no binary Socket.IO packet")
            return self._attachment(data, found)
        packet = parse(data)
        lines = [f"{packet.protocol} {packet.type_name}"]
        if packet.socket is not None:
            lines.append(f"namespace  {packet.namespace or '/'}")
            if packet.ack is not None:
                lines.append(f"ack id     {packet.ack}")
            if packet.event is not None:
                lines.append(f"event      {packet.event}")
        value = packet.data
        if packet.attachments:
            joined = _attachments_after(meta, packet.attachments)
            have = sum(1 for a in joined if a is not None)
            lines.append(f"attachments {have} of {packet.attachments} joined")
            value = _fill(value, joined)
        if packet.engine_data:
            lines.append(f"data       {packet.engine_data!r}")
        body = ""
        if value is not None:
            shown = value[1:] if packet.event is not None else value
            body = "\n\n" + pretty(shown)

        def build() -> TreeNode:
            children = [TreeNode("type", packet.type_name, (), packet.protocol)]
            if packet.socket is not None:
                children.append(TreeNode("namespace", packet.namespace or "/", (), "str"))
            if packet.ack is not None:
                children.append(TreeNode("ack id", str(packet.ack), (), "int"))
            if value is not None:
                children.append(tree(value, "data"))
            return TreeNode("", packet.type_name, tuple(children), packet.protocol)

        return Rendered(
            self.name, "\n".join(lines) + body, Syntax.KEY_VALUE, build, fields=self._fields(packet)
        )

    def _fields(self, packet: SocketIOPacket) -> dict[str, str]:
        fields: dict[str, str] = {}
        event = packet.event if packet.data is not None else _event_from_prefix(packet)
        if event is not None:
            fields["event"] = event
        if packet.namespace:
            fields["namespace"] = packet.namespace
        if packet.ack is not None:
            fields["id"] = str(packet.ack)
        return fields

    def fields(self, data: bytes, meta: PayloadMeta) -> dict[str, str]:
        if meta.opcode == 2:
            return {}  # the event name is in the packet's message, not here
        return self._fields(parse(data[:4096], decode_json=False))

    def summary(self, prefix: bytes, meta: PayloadMeta) -> str | None:
        if meta.opcode == 2:
            found = attachment_of(meta)
            if found is None:
                return None
            of = f' of "{escape_control(shorten(found.event, 60))}"' if found.event else ""
            size = meta.size if meta.size is not None else len(prefix)
            return f"socket.io attachment {found.num + 1}/{found.count}{of} {format_bytes(size)}"
        packet = parse(prefix, decode_json=False)
        parts = [packet.protocol, packet.type_name]
        if packet.socket is None:
            if packet.engine == 0:
                parts.append(_open_brief(packet.json_text))
            elif packet.engine_data:
                parts.append(escape_control(shorten(packet.engine_data, 80)))
            return " ".join(p for p in parts if p)
        event = _event_from_prefix(packet)
        if event is not None:
            parts.append(escape_control(json.dumps(shorten(event, 60), ensure_ascii=False)))
        if packet.namespace:
            parts.append(escape_control(shorten(packet.namespace, 60)))
        if packet.ack is not None:
            parts.append(f"ack={packet.ack}")
        if packet.attachments:
            parts.append(f"+{packet.attachments} binary")
        rest = _rest_brief(packet, event is not None)
        if rest:
            parts.append(rest)
        return " ".join(parts)


def _open_brief(json_text: str) -> str:
    try:
        value = json.loads(json_text)
    except json.JSONDecodeError:
        return ""
    if not isinstance(value, dict):
        return ""
    keys = ("sid", "pingInterval", "pingTimeout", "upgrades")
    return escape_control(" ".join(f"{k}={json.dumps(value[k])}" for k in keys if k in value))


def _rest_brief(packet: SocketIOPacket, skip_event: bool) -> str:
    """The packet's data after the event name, as a brief line (from a prefix: the
    whole data when it decodes, else nothing)."""
    if not packet.json_text:
        return ""
    try:
        value = json.loads(packet.json_text)
    except json.JSONDecodeError:
        return "\u2026"
    if packet.socket == 4 and isinstance(value, dict) and isinstance(value.get("message"), str):
        return escape_control(json.dumps(shorten(value["message"], 100), ensure_ascii=False))
    if skip_event and isinstance(value, list):
        value = value[1:]
        if not value:
            return ""
    return brief(value, 100)


def register(registry: Registry) -> None:
    registry.add(SocketIOView())
