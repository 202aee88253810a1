"""MQTT 3.1.1 and 5 over WebSocket (subprotocol ``mqtt``).

The WebSocket carries the MQTT byte stream: a message may hold several packets or
part of one (MQTT 5.0 section 6). The view reassembles each peer's stream through the
message context: a packet is shown whole on the row its last byte arrives on, and
the rows before say which packet they carry part of. The protocol version (which
decides whether packets have MQTT 5 properties) comes from the session's CONNECT.
A PUBLISH payload is shown through the registry (JSON reads as JSON).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..base import (
    NO_TEXT,
    PayloadMeta,
    Rendered,
    Syntax,
    TreeNode,
    View,
    ViewError,
    one_or_many,
)
from ..registry import Registry
from ..text import escape_control, format_bytes, shorten
from .nested import inner, inner_brief, looks_textual

__all__ = ["MqttPacket", "MqttView", "parse_packet", "register"]

SUBPROTOCOLS = frozenset({"mqtt", "mqttv3.1", "mqttv3.1.1", "mqttv5", "mqttv5.0"})
TYPES = (
    "RESERVED",
    "CONNECT",
    "CONNACK",
    "PUBLISH",
    "PUBACK",
    "PUBREC",
    "PUBREL",
    "PUBCOMP",
    "SUBSCRIBE",
    "SUBACK",
    "UNSUBSCRIBE",
    "UNSUBACK",
    "PINGREQ",
    "PINGRESP",
    "DISCONNECT",
    "AUTH",
)
_FIXED_FLAGS = {6: 2, 8: 2, 10: 2}  # PUBREL, SUBSCRIBE, UNSUBSCRIBE: flags 0010
_V3_CONNACK = (
    "accepted",
    "unacceptable protocol version",
    "identifier rejected",
    "server unavailable",
    "bad user name or password",
    "not authorized",
)
_REASONS = {
    0x00: "success",
    0x01: "granted qos1",
    0x02: "granted qos2",
    0x04: "disconnect with will",
    0x10: "no matching subscribers",
    0x11: "no subscription existed",
    0x18: "continue authentication",
    0x19: "re-authenticate",
    0x80: "unspecified error",
    0x81: "malformed packet",
    0x82: "protocol error",
    0x83: "implementation specific error",
    0x84: "unsupported protocol version",
    0x85: "client identifier not valid",
    0x86: "bad user name or password",
    0x87: "not authorized",
    0x88: "server unavailable",
    0x89: "server busy",
    0x8A: "banned",
    0x8B: "server shutting down",
    0x8C: "bad authentication method",
    0x8D: "keep alive timeout",
    0x8E: "session taken over",
    0x8F: "topic filter invalid",
    0x90: "topic name invalid",
    0x91: "packet identifier in use",
    0x92: "packet identifier not found",
    0x93: "receive maximum exceeded",
    0x94: "topic alias invalid",
    0x95: "packet too large",
    0x96: "message rate too high",
    0x97: "quota exceeded",
    0x98: "administrative action",
    0x99: "payload format invalid",
    0x9A: "retain not supported",
    0x9B: "qos not supported",
    0x9C: "use another server",
    0x9D: "server moved",
    0x9E: "shared subscriptions not supported",
    0x9F: "connection rate exceeded",
    0xA0: "maximum connect time",
    0xA1: "subscription identifiers not supported",
    0xA2: "wildcard subscriptions not supported",
}
# MQTT 5 properties: id -> (name, kind); kinds: 1, 2, 4 (integers of that many
# bytes), "v" varint, "s" UTF-8 string, "b" binary, "p" string pair.
PROPERTIES: dict[int, tuple[str, int | str]] = {
    0x01: ("payload-format", 1),
    0x02: ("message-expiry", 4),
    0x03: ("content-type", "s"),
    0x08: ("response-topic", "s"),
    0x09: ("correlation-data", "b"),
    0x0B: ("subscription-id", "v"),
    0x11: ("session-expiry", 4),
    0x12: ("assigned-client-id", "s"),
    0x13: ("server-keep-alive", 2),
    0x15: ("auth-method", "s"),
    0x16: ("auth-data", "b"),
    0x17: ("request-problem-info", 1),
    0x18: ("will-delay", 4),
    0x19: ("request-response-info", 1),
    0x1A: ("response-info", "s"),
    0x1C: ("server-reference", "s"),
    0x1F: ("reason-string", "s"),
    0x21: ("receive-maximum", 2),
    0x22: ("topic-alias-maximum", 2),
    0x23: ("topic-alias", 2),
    0x24: ("maximum-qos", 1),
    0x25: ("retain-available", 1),
    0x26: ("user-property", "p"),
    0x27: ("maximum-packet-size", 4),
    0x28: ("wildcard-available", 1),
    0x29: ("subscription-ids-available", 1),
    0x2A: ("shared-available", 1),
}
_WALK = 64
_MEMO = 20_000


class _Reader:
    """Reads MQTT's fields from ``data[pos:end]``; errors name the absolute byte."""

    def __init__(self, data: bytes, pos: int, end: int, base: int = 0) -> None:
        self.data, self.pos, self.end, self.base = data, pos, end, base

    def _need(self, n: int, what: str) -> None:
        if self.pos + n > self.end:
            raise ViewError(f"the packet ends inside {what}", self.base + self.end)

    def left(self) -> int:
        return self.end - self.pos

    def uint(self, n: int, what: str) -> int:
        self._need(n, what)
        value = int.from_bytes(self.data[self.pos : self.pos + n], "big")
        self.pos += n
        return value

    def varint(self, what: str) -> int:
        value, shift = 0, 0
        for _ in range(4):
            self._need(1, what)
            b = self.data[self.pos]
            self.pos += 1
            value |= (b & 0x7F) << shift
            if not b & 0x80:
                return value
            shift += 7
        raise ViewError(
            f"{what}: a variable byte integer longer than 4 bytes", self.base + self.pos
        )

    def binary(self, what: str) -> bytes:
        n = self.uint(2, what)
        self._need(n, what)
        value = self.data[self.pos : self.pos + n]
        self.pos += n
        return value

    def string(self, what: str) -> str:
        start = self.pos
        raw = self.binary(what)
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ViewError(f"{what} is not UTF-8", self.base + start + 2 + exc.start) from None

    def properties(self) -> list[tuple[str, Any]]:
        length = self.varint("the properties' length")
        self._need(length, "the properties")
        stop = self.pos + length
        found: list[tuple[str, Any]] = []
        outer_end, self.end = self.end, stop
        try:
            while self.pos < stop:
                at = self.pos
                ident = self.varint("a property id")
                if ident not in PROPERTIES:
                    raise ViewError(f"unknown property 0x{ident:02x}", self.base + at)
                name, kind = PROPERTIES[ident]
                value: Any
                if isinstance(kind, int):
                    value = self.uint(kind, name)
                elif kind == "v":
                    value = self.varint(name)
                elif kind == "s":
                    value = self.string(name)
                elif kind == "b":
                    value = self.binary(name)
                else:
                    value = (self.string(name), self.string(name))
                found.append((name, value))
        finally:
            self.end = outer_end
        return found


@dataclass(slots=True)
class MqttPacket:
    """One MQTT control packet, decoded."""

    type: int
    flags: int
    length: int  # the whole packet's, header included
    version: int | None = None  # 3, 4 (3.1.1) or 5, from a CONNECT or the session
    packet_id: int | None = None
    topic: str | None = None
    qos: int = 0
    retain: bool = False
    dup: bool = False
    payload: bytes = b""
    properties: list[tuple[str, Any]] = field(default_factory=list)
    #: Other decoded values in order (client id, keep alive, reason codes...).
    details: list[tuple[str, Any]] = field(default_factory=list)
    #: (topic filter, options) of a SUBSCRIBE, filters of an UNSUBSCRIBE.
    topics: list[tuple[str, int | None]] = field(default_factory=list)
    codes: list[int] = field(default_factory=list)

    @property
    def name(self) -> str:
        return TYPES[self.type]

    def detail(self, key: str) -> Any:
        for k, v in self.details:
            if k == key:
                return v
        return None


def packet_length(data: bytes, pos: int = 0) -> int | None:
    """The whole length of the packet at ``pos`` from its fixed header, or None when
    the header itself is cut. :class:`ViewError` for a malformed one."""
    if pos >= len(data):
        return None
    b0 = data[pos]
    kind = b0 >> 4
    if kind == 0:
        raise ViewError("packet type 0 is reserved", pos)
    if kind in _FIXED_FLAGS and b0 & 0x0F != _FIXED_FLAGS[kind]:
        raise ViewError(f"{TYPES[kind]} with flags {b0 & 0x0F:04b} (must be 0010)", pos)
    if kind != 3 and kind not in _FIXED_FLAGS and b0 & 0x0F:
        raise ViewError(f"{TYPES[kind]} with flags {b0 & 0x0F:04b} (must be 0000)", pos)
    if kind == 3 and (b0 >> 1) & 3 == 3:
        raise ViewError("PUBLISH with QoS 3", pos)
    value, shift, i = 0, 0, pos + 1
    while True:
        if i >= len(data):
            return None
        b = data[i]
        value |= (b & 0x7F) << shift
        i += 1
        if not b & 0x80:
            return i - pos + value
        shift += 7
        if shift > 21:
            raise ViewError("a remaining length longer than 4 bytes", i)


def parse_packet(data: bytes, pos: int = 0, version: int | None = None) -> MqttPacket:
    """The whole packet at ``pos`` of ``data``; ``version`` 5 reads MQTT 5 properties
    (None: 3.1.1 unless the packet is a CONNECT, which says)."""
    total = packet_length(data, pos)
    if total is None or pos + total > len(data):
        raise ViewError("the data ends inside a packet", len(data))
    b0 = data[pos]
    kind, flags = b0 >> 4, b0 & 0x0F
    head = 1
    while data[pos + head] & 0x80:
        head += 1
    head += 1
    r = _Reader(data, pos + head, pos + total)
    p = MqttPacket(kind, flags, total, version)
    v5 = version == 5
    if kind == 1:
        name = r.string("the protocol name")
        level = r.uint(1, "the protocol level")
        p.version = level
        v5 = level == 5
        if name not in ("MQTT", "MQIsdp"):
            raise ViewError(f"protocol name {name!r} (MQTT expected)", pos + head)
        connect_flags = r.uint(1, "the connect flags")
        keepalive = r.uint(2, "the keep alive")
        props = r.properties() if v5 else []
        client_id = r.string("the client identifier")
        p.details += [("protocol", f"{name} level {level}"), ("client-id", client_id)]
        p.details += [("keep-alive", keepalive), ("clean", bool(connect_flags & 0x02))]
        if connect_flags & 0x04:
            will_props = r.properties() if v5 else []
            p.details.append(("will-topic", r.string("the will topic")))
            p.details.append(("will-payload", r.binary("the will payload")))
            p.details.append(("will-qos", (connect_flags >> 3) & 3))
            if will_props:
                p.details.append(("will-properties", will_props))
        if connect_flags & 0x80:
            p.details.append(("username", r.string("the user name")))
        if connect_flags & 0x40:
            p.details.append(("password", f"({len(r.binary('the password'))} bytes)"))
        p.properties = props
    elif kind == 2:
        p.details.append(("session-present", bool(r.uint(1, "the acknowledge flags") & 1)))
        p.codes.append(r.uint(1, "the return code"))
        if (v5 or version is None) and r.left():
            p.properties = r.properties()
    elif kind == 3:
        p.qos, p.retain, p.dup = (flags >> 1) & 3, bool(flags & 1), bool(flags & 8)
        p.topic = r.string("the topic name")
        if p.qos:
            p.packet_id = r.uint(2, "the packet identifier")
        if v5:
            p.properties = r.properties()
        p.payload = data[r.pos : r.end]
    elif kind in (4, 5, 6, 7):
        p.packet_id = r.uint(2, "the packet identifier")
        if (v5 or version is None) and r.left():
            p.codes.append(r.uint(1, "the reason code"))
            if r.left():
                p.properties = r.properties()
        elif v5:
            p.codes.append(0)  # MQTT 5 3.4.2.1: a reason code left out is 0x00, success
    elif kind in (8, 10):
        p.packet_id = r.uint(2, "the packet identifier")
        if v5:
            p.properties = r.properties()
        while r.left():
            topic = r.string("a topic filter")
            p.topics.append((topic, r.uint(1, "the subscription options") if kind == 8 else None))
        if not p.topics:
            raise ViewError(f"a {p.name} without a topic filter", pos + total)
    elif kind in (9, 11):
        p.packet_id = r.uint(2, "the packet identifier")
        if v5:
            p.properties = r.properties()
        p.codes += list(data[r.pos : r.end])
    elif kind in (14, 15):
        if r.left():
            p.codes.append(r.uint(1, "the reason code"))
            if v5 and r.left():
                p.properties = r.properties()
    elif r.left():  # PINGREQ, PINGRESP
        raise ViewError(f"{p.name} has {r.left()} bytes of data", r.pos)
    if kind in (1, 2, 4, 5, 6, 7) and r.left():
        raise ViewError(f"{r.left()} bytes after the {p.name}'s fields", r.pos)
    return p


# ------------------------------------------------------------- the stream
@dataclass(frozen=True, slots=True)
class _Carry:
    """The start of a packet a message leaves unfinished: its bytes so far and the
    row it began on."""

    data: bytes
    row: int


def _split(data: bytes) -> tuple[list[int], int]:
    """Offsets where complete packets end in ``data`` and where the unfinished rest
    begins (``len(data)``: none). :class:`ViewError` for a malformed header."""
    ends: list[int] = []
    pos = 0
    while pos < len(data):
        total = packet_length(data, pos)
        if total is None or pos + total > len(data):
            break
        pos += total
        ends.append(pos)
    return ends, pos


def carried_into(meta: PayloadMeta) -> _Carry | None:
    """What the same peer's earlier messages left unfinished for this one (None: it
    starts at a packet boundary, as far as the messages before it tell)."""
    ctx = meta.context
    if ctx is None:
        return None
    state = ctx.state("mqtt")
    memo: OrderedDict[int, _Carry | None] = state.setdefault("carry", OrderedDict())
    if ctx.index in memo:
        return memo[ctx.index]
    chain = []
    start: _Carry | None = None
    for message in ctx.before(_WALK * 2):
        if message.meta.sender != meta.sender or not message.meta.is_binary:
            continue
        if message.index in state.setdefault("after", {}):
            start = state["after"][message.index]
            break
        chain.append(message)
        if len(chain) >= _WALK:
            break
    carry = start
    for message in reversed(chain):
        buf = (carry.data if carry else b"") + message.data
        try:
            _, rest = _split(buf)
        except ViewError:
            rest = len(buf)  # a broken stream: start afresh after it
        carry = _Carry(buf[rest:], carry.row if carry and rest == 0 else message.index)
        carry = carry if carry.data else None
        after: dict[int, _Carry | None] = state["after"]
        after[message.index] = carry
        if len(after) > _MEMO:
            after.pop(next(iter(after)))
    memo[ctx.index] = carry
    if len(memo) > _MEMO:
        memo.popitem(last=False)
    return carry


#: What the state's "version" is before :func:`session_version` looked.
_UNSEEN = object()


def session_version(meta: PayloadMeta) -> int | None:
    """The protocol level the session's CONNECT asked for (3, 4 or 5), if seen."""
    ctx = meta.context
    if ctx is None:
        return None
    state = ctx.state("mqtt")
    if "version" not in state:
        version = None
        for message in ctx.first(4):
            if message.meta.is_binary and message.data[:1] == b"\x10":
                try:
                    version = parse_packet(message.data).version
                except ViewError:
                    continue
                break
        state["version"] = version
    version = state["version"]
    return version if isinstance(version, int) else None


def _flags_ok(b0: int) -> bool:
    """The fixed header's type and flags are valid (checked without raising: rating a
    million non-MQTT payloads must stay cheap)."""
    kind, flags = b0 >> 4, b0 & 0x0F
    if kind == 0:
        return False
    if kind == 3:
        return (flags >> 1) & 3 != 3
    return flags == _FIXED_FLAGS.get(kind, 0)


#: The first bytes :func:`_flags_ok` accepts (a set: rating is on every binary row).
_LONE_STARTS = frozenset(b for b in range(256) if _flags_ok(b))
#: The packets that may be their fixed header alone, remaining length 0 (MQTT 5.0
#: 3.12-3.15; a DISCONNECT or AUTH without a reason code is a success).
_BARE_PACKETS = frozenset((0xC0, 0xD0, 0xE0, 0xF0))


def _cannot_fill(data: bytes) -> bool:
    """Whether the fixed header's remaining length rules out a packet of exactly
    ``len(data)`` bytes, from its first two bytes alone (most binary payloads fail
    here: a rating on every binary row must not walk the header or raise). False
    means only that :func:`packet_length` must tell."""
    n = len(data)
    if n < 2:
        return True
    b1 = data[1]
    if b1 < 0x80:
        return b1 + 2 != n
    # Continued: the second length byte alone counts 128 times its value.
    return n >= 3 and ((data[2] & 0x7F) << 7) + 3 > n


def _looks_like_connect(data: bytes) -> bool:
    if data[:1] != b"\x10":
        return False
    i = 1
    while i < min(len(data), 5) and data[i] & 0x80:
        i += 1
    name = data[i + 1 : i + 9]
    return name.startswith(b"\x00\x04MQTT") or name.startswith(b"\x00\x06MQIsdp")


# ----------------------------------------------------------------- view
def _packet_line(p: MqttPacket, size: int | None = None) -> str:
    parts = ["MQTT", p.name]
    if p.type == 1:
        parts.append({3: "v3.1", 4: "v3.1.1", 5: "v5"}.get(p.version or 0, f"level {p.version}"))
        parts.append(f"client={escape_control(shorten(str(p.detail('client-id')), 60))!s}")
        parts.append(f"keepalive={p.detail('keep-alive')}")
    elif p.type == 3:
        if p.topic:
            parts.append(escape_control(shorten(p.topic, 100)))
        elif any(k == "topic-alias" for k, _ in p.properties):
            parts.append(f"alias={dict(p.properties)['topic-alias']}")
        parts.append(f"qos{p.qos}")
        if p.packet_id is not None:
            parts.append(f"id={p.packet_id}")
        if p.retain:
            parts.append("retain")
        if p.dup:
            parts.append("dup")
        parts.append(format_bytes(len(p.payload) if size is None else size))
        if p.payload and looks_textual(p.payload):
            parts.append(inner_brief(p.payload[:256]))
    elif p.type in (8, 10):
        parts.append(f"id={p.packet_id}")
        for topic, options in p.topics[:3]:
            shown = escape_control(shorten(topic, 80))
            parts.append(shown if options is None else f"{shown} qos{options & 3}")
        if len(p.topics) > 3:
            parts.append(f"+{len(p.topics) - 3}")
    else:
        if p.packet_id is not None:
            parts.append(f"id={p.packet_id}")
        for code in p.codes[:4]:
            parts.append(_code_name(p, code))
    return " ".join(parts)


def _code_name(p: MqttPacket, code: int) -> str:
    if p.type == 2 and p.version != 5:
        return _V3_CONNACK[code] if code < len(_V3_CONNACK) else f"code {code}"
    if p.type == 9 and p.version != 5:
        return "failure" if code == 0x80 else f"granted qos{code}"
    if code == 0 and p.type in (2, 4, 5, 6, 7, 9, 11, 14):
        return "success" if p.type != 9 else "granted qos0"
    return _REASONS.get(code, f"code 0x{code:02x}")


def _packet_text(p: MqttPacket) -> tuple[str, Callable[[], TreeNode]]:
    """The packet's text, and how to build its tree (only the window's tree asks)."""
    lines = [f"{p.name}" + (f" (MQTT {'5' if p.version == 5 else '3.1.1'})" if p.version else "")]
    rows: list[tuple[str, Any]] = []
    if p.type == 3:
        rows += [("topic", p.topic), ("qos", p.qos), ("retain", p.retain), ("dup", p.dup)]
    if p.packet_id is not None:
        rows.append(("packet-id", p.packet_id))
    rows += p.details
    rows += [(("filter" if opt is None else f"filter qos{opt & 3}"), t) for t, opt in p.topics]
    rows += [("reason", _code_name(p, c)) for c in p.codes]
    rows += p.properties
    for key, value in rows:
        shown = value.hex(" ") if isinstance(value, bytes) else value
        lines.append(f"{key}: {shown}")
    body = inner(p.payload) if p.type == 3 else None
    if body is not None:
        lines += ["", body.text]

    def build() -> TreeNode:
        children = [TreeNode(k, str(v), (), type(v).__name__) for k, v in rows]
        if body is not None:
            node = body.tree or TreeNode("", format_bytes(len(p.payload)))
            children.append(TreeNode("payload", node.value, node.children, body.view))
        return TreeNode(p.name, "", tuple(children), "MQTT")

    return "\n".join(lines), build


def _fields(packets: list[tuple[MqttPacket, bool]]) -> dict[str, str]:
    # Only packets that begin in this message: their fields are in its bytes.
    for p, own in packets:
        if not own:
            continue
        if p.topic:
            return {"topic": p.topic}
        if p.topics:
            return {"topic": p.topics[0][0]}
        client = p.detail("client-id")
        if isinstance(client, str) and client:
            return {"client_id": client}
    return {}


def _partial_line(pending: bytes) -> str:
    try:
        total = packet_length(pending)
    except ViewError:
        total = None
    of = f" of {format_bytes(total)}" if total else ""
    return f"MQTT {TYPES[pending[0] >> 4]} (part: {format_bytes(len(pending))}{of} so far)"


class MqttView(View):
    name = "mqtt"
    title = "MQTT"
    text_starts = NO_TEXT
    # binary_starts: none, a packet may continue from the message before.
    top_priority = 1.7

    def priority(self, data: bytes, meta: PayloadMeta) -> float:
        if meta.opcode != 2 or not data:
            return -1
        if meta.subprotocol in SUBPROTOCOLS:
            return 1.8
        b0 = data[0]
        if b0 == 0x10 and _looks_like_connect(data):
            return 0.95
        ctx = meta.context
        if ctx is not None:
            # (The version once known, read here without a call: every binary row asks.)
            version = ctx.state("mqtt").get("version", _UNSEEN)
            if version is _UNSEEN:
                version = session_version(meta)
            if version is not None:
                return 1.7  # the session opened with an MQTT CONNECT
        # A lone packet that fills the message exactly and decodes.
        n = len(data)
        if b0 not in _LONE_STARTS or n > 4096 or (meta.size or n) != n or _cannot_fill(data):
            return -1
        if n == 2:
            # A bare fixed header: only PINGREQ, PINGRESP, DISCONNECT and AUTH may be
            # one. Above CBOR's 0.55, which reads c0 00 and d0 00 as tags 0 and 16
            # around the integer 0 (tag 0 must hold a date string, tag 16 an array):
            # an MQTT session seen from its middle (no CONNECT, no subprotocol) sends
            # a ping every keep-alive, and they read as MQTT. (docs/views.md)
            return 0.6 if b0 in _BARE_PACKETS else -1
        try:
            # The fixed header's length first: most binary payloads fail there, and
            # cheaper than a parse that raises.
            if packet_length(data) != len(data):
                return -1
            parse_packet(data)
        except ViewError:
            return -1
        return 0.5

    def _packets(
        self, data: bytes, meta: PayloadMeta
    ) -> tuple[list[tuple[MqttPacket, bool]], _Carry | None, int, bytes]:
        """Packets completed in this message (each with whether it began here), what it
        continued, and the unfinished packet's start offset and bytes."""
        carry = carried_into(meta)
        carried = carry.data if carry else b""
        buf = carried + data
        version = session_version(meta)
        ends, rest = _split(buf)
        packets = []
        start = 0
        for end in ends:
            p = parse_packet(buf[:end], start, version)
            if p.type == 1 and meta.context is not None:
                meta.context.state("mqtt")["version"] = p.version
                version = p.version
            packets.append((p, start >= len(carried)))
            start = end
        return packets, carry, rest - len(carried), buf[rest:]

    def render(self, data: bytes, meta: PayloadMeta) -> Rendered:
        packets, carry, rest, pending = self._packets(data, meta)
        texts: list[str] = []
        nodes: list[Callable[[], TreeNode]] = []
        for p, own in packets:
            text, node = _packet_text(p)
            if not own and carry is not None:
                text = f"(began on row {carry.row})\n" + text
            texts.append(text)
            nodes.append(node)
        if pending:
            try:
                total: int | None = packet_length(pending)
            except ViewError:
                total = None
            kind = TYPES[pending[0] >> 4]
            where = f"begun on row {carry.row}" if carry and rest < 0 else "begins here"
            need = f" of {total}" if total else ""
            texts.append(f"{kind}: {len(pending)}{need} bytes so far ({where}; continues)")
            unfinished = TreeNode(kind, f"{len(pending)}{need} bytes", (), "partial")
            nodes.append(lambda: unfinished)

        def build() -> TreeNode:
            return one_or_many([node() for node in nodes], "packets")

        return Rendered(
            self.name, "\n\n".join(texts), Syntax.KEY_VALUE, build, fields=_fields(packets)
        )

    def fields(self, data: bytes, meta: PayloadMeta) -> dict[str, str]:
        return _fields(self._packets(data, meta)[0])

    def summary(self, prefix: bytes, meta: PayloadMeta) -> str | None:
        size = meta.size if meta.size is not None else len(prefix)
        if size > len(prefix):
            return self._summary_of_cut(prefix, meta, size)
        packets, _, _, pending = self._packets(prefix, meta)
        lines = [_packet_line(p) for p, _ in packets]
        if pending:
            lines.append(_partial_line(pending))
        if not lines:
            return None
        more = f" +{len(lines) - 1}" if len(lines) > 1 else ""
        return lines[0] + more

    def _summary_of_cut(self, prefix: bytes, meta: PayloadMeta, size: int) -> str | None:
        # A big packet (a PUBLISH, nearly always): its header is in the prefix.
        if carried_into(meta) is not None:
            return "MQTT (part of a packet)"
        total = packet_length(prefix)
        if total is None:
            return None
        kind = prefix[0] >> 4
        if kind != 3:
            return f"MQTT {TYPES[kind]} {format_bytes(total)}"
        head = 1
        while prefix[head] & 0x80:
            head += 1
        r = _Reader(prefix, head + 1, len(prefix))
        flags = prefix[0] & 0x0F
        p = MqttPacket(3, flags, total, session_version(meta), qos=(flags >> 1) & 3)
        p.retain, p.dup = bool(flags & 1), bool(flags & 8)
        try:
            p.topic = r.string("the topic name")
            p.packet_id = r.uint(2, "the packet identifier") if p.qos else None
            if p.version == 5:
                p.properties = r.properties()
        except ViewError:
            return f"MQTT PUBLISH {format_bytes(total)}"
        return _packet_line(p, size=total - r.pos)


def register(registry: Registry) -> None:
    registry.add(MqttView())
