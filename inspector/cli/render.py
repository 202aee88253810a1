"""What the commands print for a person: frames, messages, the handshake, states.

Everything a peer controls (payloads, close reasons, status lines, header values,
error messages that quote the peer) is printed through
:func:`~inspector.views.text.escape_control`, here, so that no command can forget to.
Payloads are shown by the payload view registry (:mod:`inspector.views.registry`),
through :class:`PayloadRenderer`: a frame's row ends with the chosen view's one-line
summary, and a payload an application view decodes (JSON, MessagePack, Socket.IO...)
is followed by its rendered text; ``--json`` lines carry the view's name and text.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from json.encoder import encode_basestring

from ..capture.events import (
    AcceptCheck,
    ConnectionState,
    Direction,
    FramesCaptured,
    HandshakeCaptured,
    MessageCaptured,
    PeerCertificate,
    SessionInfo,
    SessionRole,
    StateChanged,
)
from ..capture.store import CaptureStore
from ..protocol.constants import Opcode, Role, close_code_meaning, opcode_name
from ..protocol.events import Message
from ..protocol.frames import Frame, parse_close_payload
from ..protocol.violations import Rule, Violation
from ..views.base import SUMMARY_PREFIX, PayloadMeta, Rendered, View
from ..views.conversation import sender_of
from ..views.registry import Registry, default_registry
from ..views.text import escape_control, shorten

__all__ = [
    "DELIBERATE",
    "RAW_VIEWS",
    "RENDERED_LINES",
    "VIEW_HELP",
    "ConnectionLines",
    "PayloadRenderer",
    "ViewFields",
    "accept_line",
    "certificate_lines",
    "format_frame",
    "format_message",
    "format_problem",
    "format_rows",
    "format_state",
    "format_violation",
    "handshake_lines",
    "message_lines",
    "peer_text",
    "quoted",
    "refused",
    "render_payload",
    "rendered_json",
    "row_lines",
    "with_views",
]

#: How a rule we broke on purpose (a crafted frame) is told apart from the peer's.
DELIBERATE = "sent on purpose"

#: ``--view``'s help (the registry is not loaded to build a parser: the window and
#: ``--help`` would pay for every format's decoder at start).
VIEW_HELP = (
    "show payloads with this view where it can read them: text, json, hex, close, msgpack, "
    "cbor, protobuf, socket.io, stomp, graphql-ws, signalr, mqtt, wamp, json-rpc (an "
    "unknown name lists the views there are)"
)
#: Views whose rendered text is the payload itself, as the row's summary shows it.
RAW_VIEWS = frozenset(("text", "hex", "close"))
#: Lines of a rendered payload printed under its row (``--json`` holds all of it).
RENDERED_LINES = 40
#: Views whose one line is the payload's text as sent: quoted in a row.
_QUOTED = frozenset(("text", "json"))


def peer_text(text: str, limit: int | None = None) -> str:
    """Text a peer controls, made safe for a terminal (and cut to ``limit``)."""
    safe = escape_control(text)
    return safe if limit is None else shorten(safe, limit)


def quoted(text: str | None) -> str:
    """A close reason and the like, quoted and escaped: ``'bye'``."""
    return "None" if text is None else f"'{escape_control(text)}'"


class PayloadRenderer:
    """How the commands show payloads: by the view registry's best view of each one,
    or by the view ``view`` names where it can read the payload (``--view NAME``;
    ``KeyError`` for a name the registry does not know). ``subprotocol`` is what the
    handshake negotiated (or ``decode --subprotocol`` says). Whether RSV1 means
    compressed is the store's to say (:meth:`CaptureStore.is_compressed`)."""

    def __init__(
        self,
        registry: Registry | None = None,
        *,
        view: str | None = None,
        subprotocol: str | None = None,
    ) -> None:
        self.registry = registry if registry is not None else default_registry()
        self.forced = self.registry.get(view) if view is not None else None
        self.subprotocol = subprotocol
        self._metas: dict[tuple[int, int, bool, bool, int], PayloadMeta] = {}
        self._role: SessionRole | None = None
        self._begun: dict[int, tuple[int, bool]] = {}
        self._senders = (Role.CLIENT, Role.SERVER)
        self._flood: dict[tuple[int, int, int, bytes], tuple[PayloadMeta, View] | None] = {}
        self._flood_role: SessionRole | None = None

    # ------------------------------------------------------------ what it is
    def row_payload(self, store: CaptureStore, row: int) -> tuple[bytes, PayloadMeta, bool]:
        """The own payload of the frame at ``row`` of ``store``, what it is, and
        whether it is a whole payload (a control frame, an unfragmented uncompressed
        message) rather than part of a message."""
        b0 = store.b0[row]
        payload = store.payloads[row]
        length = store.length[row]
        if (b0 == 0x81 or b0 == 0x82) and store.msg_start[row] == row:
            # A plain message in one frame, the flood case: its meta as made before.
            key = (b0 & 0x0F, store.dir[row], False, len(payload) < length, length)
            meta = self._metas.get(key)
            if meta is not None and self._role is store.session.role:
                return payload, meta, True
        op = b0 & 0x0F
        compressed = False
        if op >= 8:
            whole = True
        elif op in (Opcode.TEXT, Opcode.BINARY, Opcode.CONT):
            start = store.msg_start[row]
            d = store.dir[row]
            if start >= 0:
                # RSV1 on the first frame is rare: the full rule only then.
                compressed = bool(store.b0[start] & 0x40) and store.is_compressed(row)
                if op == Opcode.CONT:
                    op = store.b0[start] & 0x0F
                elif not b0 & 0x80:  # a message begins in fragments: remembered for
                    self._begun[d] = (op, compressed)  # a store that has only its end
            else:
                # A continuation whose message began before this store did (decode's
                # pieces of a stream): the message as it began, if it was seen.
                op, compressed = self._begun.get(d, (Opcode.BINARY, False))
            whole = start == row and bool(b0 & 0x80) and not compressed
            if compressed:
                op = Opcode.BINARY
        else:
            whole = False
        role = store.session.role
        if role is not self._role:
            self._role = role
            self._senders = (sender_of(role, Direction.OUT), sender_of(role, Direction.IN))
            self._metas.clear()
        d = store.dir[row]
        truncated = not whole or len(payload) < length
        # Metas are shared between payloads alike (most streams repeat a few sizes).
        key = (op, d, compressed, truncated, length)
        meta = self._metas.get(key)
        if meta is None:
            if len(self._metas) > 4096:
                self._metas.clear()
            meta = self._metas[key] = PayloadMeta(
                op, self._senders[d], self.subprotocol, compressed, truncated, length
            )
        return payload, meta, whole

    def message_meta(self, message: Message, sender: Role | None = None) -> PayloadMeta:
        return PayloadMeta(
            message.opcode,
            sender,
            self.subprotocol,
            message.compressed,
            message.truncated,
            len(message.data),
        )

    # --------------------------------------------------------------- showing
    def choose(self, data: bytes, meta: PayloadMeta) -> View:
        """The forced view where it can read ``data``, else the best one; the deflate
        bytes of a compressed message's frames are hex whatever was asked."""
        if meta.compressed and meta.truncated and "hex" in self.registry:
            return self.registry.get("hex")
        forced = self.forced
        if forced is not None:
            try:
                readable = forced.priority(data[:SUMMARY_PREFIX], meta) >= 0
            except Exception:  # a broken view must not hide the payload
                readable = False
            if readable:
                return forced
        return self.registry.best(data, meta)

    def summary(self, data: bytes, meta: PayloadMeta, view: View | None = None) -> str:
        """One line for a row, safe for a terminal; text in double quotes, so that
        where it starts and ends can be seen."""
        view = view if view is not None else self.choose(data, meta)
        line: str | None = None
        try:
            line = view.summary(data[:SUMMARY_PREFIX], meta)
        except Exception:  # a view's bug: the registry's fallback says what it can
            line = None
        if line is None:
            line = self.registry.summary(data, meta, view)
        if not line.isprintable():  # (every control character is unprintable)
            line = escape_control(line)
        return f'"{line}"' if view.name in _QUOTED else line

    def render(self, data: bytes, meta: PayloadMeta, view: View | None = None) -> Rendered:
        return self.registry.render(
            data, meta, view if view is not None else self.choose(data, meta)
        )

    def rendered_lines(
        self, data: bytes, meta: PayloadMeta, view: View, indent: str = "      "
    ) -> list[str]:
        """The rendered text of a payload an application view decodes, indented
        under its row (at most :data:`RENDERED_LINES`); nothing for the raw views,
        whose text the summary already is."""
        if view.name in RAW_VIEWS:
            return []
        rendered = self.registry.render(data, meta, view)
        if rendered.error:
            # What could be decoded is in --json; a person needs where it went wrong.
            return [f"{indent}! {escape_control(rendered.error)}"]
        lines: list[str] = []
        text = rendered.text.split("\n")
        lines.extend(indent + escape_control(line) for line in text[:RENDERED_LINES])
        if len(text) > RENDERED_LINES:
            lines.append(f"{indent}... ({len(text) - RENDERED_LINES} more lines; --json has all)")
        return lines

    def flood_view(self, store: CaptureStore, row: int) -> tuple[PayloadMeta, View] | None:
        """The meta and view of the frame at ``row`` when it is a text frame that is
        a whole message and the registry settles its view by the first byte (the flood
        case); None otherwise. Those are the same for every such frame of one
        direction, size and first byte: looked up, not made and chosen again."""
        if store.b0[row] != 0x81 or store.msg_start[row] != row or self.forced is not None:
            return None
        known = self._flood_of(store)
        data = store.payloads[row]
        key = (store.dir[row], store.length[row], len(data), data[:1])
        try:
            return known[key]
        except KeyError:
            pass
        _, meta, _ = self.row_payload(store, row)
        view = self.registry.settled(data, meta)
        if len(self._flood) > 4096:
            self._flood.clear()
        got = self._flood[key] = None if view is None else (meta, view)
        return got

    def _flood_of(
        self, store: CaptureStore
    ) -> dict[tuple[int, int, int, bytes], tuple[PayloadMeta, View] | None]:
        """:meth:`flood_view`'s table for ``store``: by direction, declared size, size
        kept and first byte."""
        if store.session.role is not self._flood_role:  # (the sender depends on it)
            self._flood.clear()
            self._flood_role = store.session.role
        return self._flood

    def row_summaries(self, store: CaptureStore) -> tuple[list[str], dict[int, list[str]]]:
        """The :meth:`summary` of every frame's own payload in ``store`` (for
        :func:`format_rows`), and the :meth:`rendered_lines` of the rows whose whole
        payload an application view decodes, by row."""
        summaries: list[str] = []
        rendered: dict[int, list[str]] = {}
        add = summaries.append
        # Bound once: a stream of a million rows makes these calls a million times.
        row_payload, choose, summarise = self.row_payload, self.choose, self.summary
        flood = self.flood_view
        known = self._flood_of(store) if self.forced is None else None
        raw = RAW_VIEWS
        b0s, msg_start, dirs = store.b0, store.msg_start, store.dir
        payloads, lengths = store.payloads, store.length
        # The payloads in one pass (C-level copies out of the arena), not an index
        # per row.
        for row, data in enumerate(payloads):
            got = None
            if known is not None and b0s[row] == 0x81 and msg_start[row] == row:
                # flood_view's lookup, inline: it is most of the rows of a flood.
                got = known.get((dirs[row], lengths[row], len(data), data[:1]))
                if got is None:  # not seen yet (or not settled by its first byte)
                    got = flood(store, row)
            if got is not None:
                meta, view = got
                add(summarise(data, meta, view))
                if view.name not in raw:
                    rendered[row] = self.rendered_lines(data, meta, view)
                continue
            data, meta, whole = row_payload(store, row)
            view = choose(data, meta)
            add(summarise(data, meta, view))
            if whole and view.name not in raw:  # raw views: the summary says all
                rendered[row] = self.rendered_lines(data, meta, view)
        return summaries, rendered

    def json_fields(self, data: bytes, meta: PayloadMeta) -> str:
        """``,"view":NAME,"rendered":TEXT`` (and ``"view_error"`` when the view could
        not read it all), to end a capture line's object with."""
        return rendered_json(self.render(data, meta))


class ViewFields:
    """The payload view's fields of capture lines (a
    :class:`~inspector.capture.formats.jsonl.write.LineFields`): the line that holds a
    whole payload (a control frame's or a one-frame message's frame line, a kept
    message's line) ends with ``"view"`` and ``"rendered"`` (see :func:`rendered_json`)."""

    def __init__(self, renderer: PayloadRenderer) -> None:
        self.renderer = renderer

    def frame_fields(self, store: CaptureStore, row: int, text_json: str = "null") -> str:
        renderer = self.renderer
        if text_json != "null":  # a flood's text frame: its view looked up, not chosen
            got = renderer.flood_view(store, row)
            if got is not None and got[1].name == "text":
                return ',"view":"text","rendered":' + text_json
        data, meta, whole = renderer.row_payload(store, row)
        if not whole:
            return ""
        view = renderer.choose(data, meta)
        if view.name == "text" and text_json != "null":
            # The text view renders valid UTF-8 as itself: the line's "text" already
            # is its JSON (a flood of text frames would otherwise encode it twice).
            return ',"view":"text","rendered":' + text_json
        return rendered_json(renderer.registry.render(data, meta, view))

    def message_fields(self, store: CaptureStore, row: int) -> str:
        message = store.messages[row].message
        sender = sender_of(store.session.role, store.direction(row))
        renderer = self.renderer
        return renderer.json_fields(message.data, renderer.message_meta(message, sender))


def with_views(
    store: CaptureStore, lines: Iterable[str], renderer: PayloadRenderer
) -> Iterator[str]:
    """The capture ``lines`` of ``store`` (as :func:`~inspector.capture.formats.jsonl.
    iter_lines` writes them) with :class:`ViewFields`' fields; ``iter_lines(store,
    ViewFields(renderer))`` makes the same lines in one pass."""
    fields = ViewFields(renderer)
    messages = store.messages
    row = -1
    for line in lines:
        if line.startswith('{"type":"frame"'):
            row += 1
            extra = fields.frame_fields(store, row)
            if extra:
                line = line[:-1] + extra + "}"
        elif line.startswith('{"type":"message"') and row in messages:
            line = line[:-1] + fields.message_fields(store, row) + "}"
        yield line


def rendered_json(rendered: Rendered) -> str:
    """``,"view":NAME,"rendered":TEXT`` (and ``"view_error"`` when the view could not
    read it all), to end a capture line's JSON object with."""
    enc = encode_basestring
    extra = f',"view":{enc(rendered.view)},"rendered":{enc(rendered.text)}'
    if rendered.error:
        extra += f',"view_error":{enc(rendered.error)}'
    return extra


_DEFAULT_RENDERER: PayloadRenderer | None = None


def _renderer() -> PayloadRenderer:
    global _DEFAULT_RENDERER
    if _DEFAULT_RENDERER is None:
        _DEFAULT_RENDERER = PayloadRenderer()
    return _DEFAULT_RENDERER


def render_payload(data: bytes, opcode: int, limit: int = 80) -> str:
    """A payload alone as one line of terminal text (at most about ``limit``
    characters): the best view's summary, text in double quotes."""
    if not data:
        return ""
    renderer = _renderer()
    meta = PayloadMeta(opcode, size=len(data))
    view = renderer.choose(data, meta)
    line = escape_control(renderer.registry.summary(data, meta, view))
    if view.name in _QUOTED:
        return f'"{shorten(line, limit)}"'
    return shorten(line, limit)


def format_violation(violation: Violation) -> str:
    ours = f" ({DELIBERATE})" if violation.deliberate else ""
    return f"    ! {violation.rule.rfc}: {escape_control(violation.message)}{ours}"


_BITS = tuple(
    ("F" if b & 0x80 else ".") + "".join("1" if b & bit else "." for bit in (0x40, 0x20, 0x10))
    for b in range(256)
)
_OPCOL = tuple(f"{opcode_name(b):<12}" for b in range(16))
_FORM = tuple(
    "" if n < 126 else " (16-bit len)" if n == 126 else " (64-bit len)" for n in range(128)
)


def _close_body(payload: bytes) -> str:
    code, reason, _ = parse_close_payload(payload)
    if code is None:
        return "(no code)"
    return f"code={code} ({close_code_meaning(code).split(':')[0]}) reason={quoted(reason)}"


#: A frame's row: seq, offset, FIN/RSV and opcode, mask key, length and its form, the
#: body (after the direction, right-stripped: an empty body leaves no trailing spaces).
_ROW_HEAD = "#%-5d @%-8d %s mask="
_ROW_TAIL = " len=%d%s  %s"
_ROW = "%s" + _ROW_HEAD + "%-8s" + _ROW_TAIL
#: The columns of a row that depend on one header byte, by the byte (by b0: the bits
#: and the opcode; by b1: the length form).
_HEAD_OF = tuple(f"{_BITS[b]} {_OPCOL[b & 0x0F]}" for b in range(256)).__getitem__
_FORM_OF = tuple(_FORM[b & 0x7F] for b in range(256)).__getitem__
_IS_CLOSE = bytes(1 if b & 0x0F == Opcode.CLOSE else 0 for b in range(256))
_IS_MASKED = bytes(b >> 7 for b in range(256))
_IS_LONG = bytes(1 if b & 0x7F >= 126 else 0 for b in range(256))


def _row(
    direction: str,
    seq: int,
    offset: int,
    b0: int,
    b1: int,
    key: str,
    length: int,
    body: str,
    violations: tuple[Violation, ...] | None,
) -> str:
    line = (
        _ROW
        % (
            direction,
            seq,
            offset,
            _HEAD_OF(b0),
            key,
            length,
            _FORM[b1 & 0x7F],
            body,
        )
    ).rstrip()
    if not violations:
        return line
    return "\n".join([line, *(format_violation(v) for v in violations)])


def format_frame(frame: Frame, direction: str = "", summary: str | None = None) -> str:
    """One row: seq, offset, FIN/RSV, opcode, mask, length form, the payload's
    ``summary`` (default: :func:`render_payload`'s) or the close code and reason; then
    one line per violation."""
    key = frame.mask_key
    header = frame.header
    if frame.opcode == 8:
        body = _close_body(frame.payload)
    else:
        body = summary if summary is not None else render_payload(frame.payload, frame.opcode)
        if frame.truncated:
            body += f" [{len(frame.payload)} of {frame.length} bytes kept]"
    return _row(
        direction,
        frame.seq,
        frame.offset,
        header[0],
        header[1],
        key.hex() if key is not None else "-",
        frame.length,
        body,
        frame.violations,
    )


def format_rows(store: CaptureStore, summaries: list[str], direction: str = "") -> list[str]:
    """:func:`format_frame` of every frame of ``store``, read from its columns, each
    with its payload's summary from ``summaries`` (a close frame shows its code and
    reason instead). No :class:`Frame` is made and rows are formatted in bulk: ``decode``
    formats a million of them."""
    b0s, b1s = store.b0.tobytes(), store.b1.tobytes()
    payloads, lengths = store.payloads, store.length
    bodies = summaries
    closing = b0s.translate(_IS_CLOSE)
    cut = any(map(int.__lt__, map(len, payloads), lengths))
    if 1 in closing or cut:
        bodies = list(summaries)
        for row in range(len(bodies)):
            if closing[row]:
                bodies[row] = _close_body(payloads[row])
            elif len(payloads[row]) < lengths[row]:
                bodies[row] += f" [{len(payloads[row])} of {lengths[row]} bytes kept]"
    # One format for the whole store, its constant parts written in: a row costs one
    # %-format of six values (a million rows are formatted in C, not in bytecode).
    columns: list[Iterable[object]] = [store.seq, store.offset, map(_HEAD_OF, b0s)]
    masked = b1s.translate(_IS_MASKED).count(1)
    if masked == len(b1s):  # a client's stream: every key a number
        key = "%08x"
        columns.append(store.mask_key)
    elif masked == 0:
        key = "-       "
    else:
        key = "%-8s"
        columns.append(
            [f"{k:08x}" if b1 & 0x80 else "-" for k, b1 in zip(store.mask_key, b1s, strict=True)]
        )
    tail = _ROW_TAIL
    columns.append(lengths)
    if 1 in b1s.translate(_IS_LONG):
        columns.append(map(_FORM_OF, b1s))
    else:  # 7-bit lengths only: no form to say
        tail = tail.replace("%d%s", "%d", 1)
    columns.append(bodies)
    form = direction.replace("%", "%%") + _ROW_HEAD + key + tail
    rows = list(map(str.rstrip, map(form.__mod__, zip(*columns, strict=True))))
    for row, found in store.violations.items():
        rows[row] = "\n".join([rows[row], *(format_violation(v) for v in found)])
    return rows


def row_lines(renderer: PayloadRenderer, store: CaptureStore, direction: str = "") -> list[str]:
    """The lines of every frame of ``store``, one item a row: :func:`format_rows` with
    the payloads' summaries, and under a row the rendered text of a whole payload an
    application view decodes. What ``decode`` and ``capture`` print for frames."""
    summaries, rendered = renderer.row_summaries(store)
    lines = format_rows(store, summaries, direction)
    # Lines under a row join its own (a flood of JSON payloads has them under every
    # row: no list is rebuilt around them).
    for row, under in rendered.items():
        if under:
            lines[row] = "\n".join([lines[row], *under])
    return lines


def message_lines(
    renderer: PayloadRenderer, message: Message, sender: Role | None, direction: str = ""
) -> list[str]:
    """A message's line (a message of several frames, or compressed) and its rendered
    text under it: what ``decode`` and ``capture`` print for messages."""
    meta = renderer.message_meta(message, sender)
    view = renderer.choose(message.data, meta)
    line = format_message(message, direction, renderer.summary(message.data, meta, view))
    return [line, *renderer.rendered_lines(message.data, meta, view)]


class ConnectionLines:
    """The frames and composite messages of one connection as its events come, in
    :func:`row_lines` and :func:`message_lines`: what ``capture``, ``serve`` and
    ``proxy`` print for them (``decode`` prints the same of a byte stream). Each
    frames event is read as a small store with the connection's handshake response,
    so that the store says whether RSV1 means compressed, and the response's
    subprotocol picks the views. ``role`` is the seat the events were recorded from
    (who sent what went which way)."""

    def __init__(self, renderer: PayloadRenderer, role: SessionRole) -> None:
        self.renderer = renderer
        self.role = role
        self._session = SessionInfo("", role, "", 0.0)
        self._response: HandshakeCaptured | None = None

    def handshake(self, event: HandshakeCaptured) -> None:
        """Take note of a response (a proxy sees two, alike: the last one counts)."""
        if event.start_line.startswith("HTTP/"):
            self.renderer.subprotocol = event.subprotocol or None
            self._response = event

    def frames(self, event: FramesCaptured, direction: str = "") -> list[str]:
        """The event's frames, one item a row (see :func:`row_lines`)."""
        store = CaptureStore(self._session, max_payload_bytes=None)
        if self._response is not None:
            store.add(self._response)
        store.add(event)
        return row_lines(self.renderer, store, direction)

    def message(self, event: MessageCaptured, direction: str = "") -> list[str]:
        """A message's lines when its frames do not show it (fragmented or
        compressed); nothing for a message of one plain frame, whose row said it."""
        message = event.message
        if message.fragments <= 1 and not message.compressed:
            return []
        sender = sender_of(self.role, event.dir)
        return message_lines(self.renderer, message, sender, direction)


def format_message(message: Message, direction: str = "", summary: str | None = None) -> str:
    kind = "TEXT" if message.opcode == 1 else "BINARY"
    extra = []
    if message.fragments > 1:
        extra.append(f"{message.fragments} frames #{message.first_seq}-#{message.last_seq}")
    if message.compressed:
        extra.append(f"inflated from {message.wire_size} bytes")
    if message.truncated:
        extra.append("truncated")
    preview = summary if summary is not None else render_payload(message.data, message.opcode)
    details = f" ({', '.join(extra)})" if extra else ""
    return f"{direction}  = {kind} message, {len(message.data)} bytes{details} {preview}".rstrip()


# --------------------------------------------------------------------- handshake
def accept_line(accept: AcceptCheck) -> str:
    if accept.ok:
        return f"Sec-WebSocket-Accept ok (expected {accept.expected})"
    if accept.received is None:
        return f"Sec-WebSocket-Accept missing (expected {accept.expected})"
    return (
        f"Sec-WebSocket-Accept wrong: {peer_text(accept.received, 60)} (expected {accept.expected})"
    )


def format_problem(problem: Violation | str) -> str:
    """A handshake problem: a :class:`Violation` with its RFC section, or (from files
    and engines before handshake problems were structured) a sentence."""
    if isinstance(problem, Violation):
        return f"! {escape_control(problem.message)} ({problem.rule.rfc})"
    return f"! {escape_control(problem)}"


def refused(event: HandshakeCaptured) -> bool:
    """Whether this response refused the upgrade (a status other than 101): then its
    Accept check says nothing, and the engine's error says why in one sentence."""
    return any(isinstance(p, Violation) and p.rule is Rule.RESPONSE_STATUS for p in event.problems)


def handshake_lines(event: HandshakeCaptured, arrow: str) -> Iterator[str]:
    """The start line; for a response, the Accept check (of a 101) and the problems."""
    yield f"{arrow}{peer_text(event.start_line)}"
    if event.accept is not None and not refused(event):
        yield f"   {accept_line(event.accept)}"
    for problem in event.problems:
        yield f"   {format_problem(problem)}"


def certificate_lines(certificate: PeerCertificate, indent: str = "  ") -> list[str]:
    """The peer's certificate, one field a line (escaped: the peer wrote it)."""
    rows = certificate.fields()
    width = max(len(label) for label, _ in rows) + 1
    return [f"{indent}{label + ':':<{width}} {peer_text(value, 400)}" for label, value in rows]


# ------------------------------------------------------------------------- state
def format_state(event: StateChanged, *, detail: bool = True) -> str:
    text = event.state.value
    if event.state is ConnectionState.CLOSED:
        text += f" code={event.code} reason={quoted(event.reason)} clean={event.clean}"
        if detail and event.detail:
            text += f" ({peer_text(event.detail, 300)})"
    return f"** {text}"
