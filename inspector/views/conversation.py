"""The view state of one captured session: which payload a row shows, how, and its summary.

A timeline row is a frame; what a person wants to read is the message it completes (the
fragments reassembled, the payload inflated). :class:`Conversation` answers, for a row
of a :class:`~inspector.capture.store.CaptureStore`: the payload to show and what is
known about it (:meth:`Conversation.payload`), the one-line summary (cached, computed
only when asked, so only for the rows a table paints), the full rendering by the best
view or by the one the user forced for this connection or this message.
"""

from __future__ import annotations

import weakref
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from ..capture.events import Direction, SessionRole
from ..capture.store import CaptureStore
from ..protocol.constants import Opcode, Role
from .base import SUMMARY_PREFIX, MessageContext, PayloadMeta, Rendered, View
from .context import StoreContext
from .registry import Registry, default_registry

__all__ = ["Conversation", "conversation_for", "sender_of"]

#: Summaries kept per session; a table paints a few hundred rows at a time.
SUMMARY_CACHE = 20_000


#: Rows :meth:`Conversation.text_starting_before` scans past the row asked about (a
#: bounded cost, at most this many messages tested once each, for the rows to come).
_SCAN_AHEAD = 1024

#: 1 for a first header byte with FIN and a text or continuation opcode, else 0.
_TEXT_OR_CONT_END = bytes(
    1 if b & 0x80 and b & 0x0F in (Opcode.CONT, Opcode.TEXT) else 0 for b in range(256)
)


def sender_of(role: SessionRole, direction: Direction) -> Role:
    """Who sent what went ``direction`` in a session recorded by ``role``: a client's
    OUT is the client's; a server's OUT the server's; a proxy records OUT for
    client-to-server and IN for server-to-client."""
    if role is SessionRole.SERVER:
        return Role.SERVER if direction is Direction.OUT else Role.CLIENT
    return Role.CLIENT if direction is Direction.OUT else Role.SERVER


class Conversation:
    """Views over one session's store. The store may grow (a live session)."""

    def __init__(self, store: CaptureStore, registry: Registry | None = None) -> None:
        self.store = store
        self.registry = registry if registry is not None else default_registry()
        self._forced: str | None = None
        self._subprotocol: str | None = None
        self._forced_rows: dict[int, str] = {}
        self._summaries: OrderedDict[int, str] = OrderedDict()
        # Decoder state of the stateful views (Socket.IO attachments, MQTT streams,
        # JSON-RPC pairs), one dict per view for the whole session.
        self._states: dict[str, dict[str, Any]] = {}
        # Rows of text messages beginning with given bytes, by those bytes, and how
        # far the store has been scanned for them (text_starting_before).
        self._text_rows: dict[tuple[bytes, ...], tuple[list[int], int]] = {}
        self._listeners: list[weakref.WeakMethod[Callable[[], None]] | Callable[[], None]] = []

    # ------------------------------------------------------------- what it is
    @property
    def subprotocol(self) -> str | None:
        """The subprotocol the handshake agreed (the response's), if any."""
        known = self._subprotocol
        if known is not None:
            return known or None
        for direction in (Direction.IN, Direction.OUT):
            hs = self.store.handshake(direction)
            if hs is not None and hs.subprotocol:
                # Kept: asked for every row painted, and agreed once per connection.
                self._subprotocol = hs.subprotocol
                return hs.subprotocol
        if len(self.store):
            # Frames come after the handshake: none agreed, none will be.
            self._subprotocol = ""
        return None

    def text_starting_before(self, row: int, starts: tuple[bytes, ...]) -> bool:
        """Whether a complete text message before ``row`` begins with one of
        ``starts`` (its reassembled, inflated data). The store is scanned once, as far
        as asked, for its text messages' last frames by their first header byte (in
        C: a session of binary messages costs a few milliseconds per million rows),
        and the rows found are kept."""
        store = self.store
        entry = self._text_rows.get(starts)
        if entry is not None and row <= entry[1] <= len(store.b0):
            return bool(entry[0]) and entry[0][0] < row  # (every row painted asks)
        found, scanned = entry if entry is not None else ([], 0)
        if scanned > len(store):  # the store was cleared
            found, scanned = [], 0
        # Ahead of ``row`` too: a table paints down from it, and each row asks (rows
        # asked one at a time would each scan one more row, the slow way).
        end = min(row + _SCAN_AHEAD, len(store))
        if scanned < end:
            b0 = store.b0
            flags = bytes(b0[scanned:end]).translate(_TEXT_OR_CONT_END)
            pos = flags.find(1)
            while pos >= 0:
                r = scanned + pos
                if b0[r] & 0x0F == Opcode.TEXT or (
                    store.msg_start[r] >= 0 and b0[store.msg_start[r]] & 0x0F == Opcode.TEXT
                ):
                    captured = store.messages.get(r)
                    data = captured.message.data if captured is not None else store.payloads[r]
                    if data.startswith(starts):
                        found.append(r)
                pos = flags.find(1, pos + 1)
            scanned = end
        self._text_rows[starts] = (found, scanned)
        return bool(found) and found[0] < row

    def sender(self, row: int) -> Role:
        return sender_of(self.store.session.role, self.store.direction(row))

    def context(self, row: int) -> MessageContext:
        """The session around ``row``, for the views that read neighbours."""
        return StoreContext(self, row, self._states)

    def payload(self, row: int, *, context: bool = True) -> tuple[bytes, PayloadMeta]:
        """What ``row`` shows: the whole message when the row's frame completes a
        fragmented or compressed one, else the frame's own payload (a fragment in the
        middle of a message shows its own bytes, with the message's opcode).
        ``context``: the meta carries :meth:`context` (off for the context's own
        reads of neighbours)."""
        store = self.store
        ctx = self.context(row) if context else None
        op = store.opcode(row)
        message = store.message_for(row)
        if message is not None:
            data = message.data
            meta = PayloadMeta(
                opcode=message.opcode,
                sender=self.sender(row),
                subprotocol=self.subprotocol,
                compressed=message.compressed,
                truncated=message.truncated,
                size=len(data),
                context=ctx,
            )
            return data, meta
        data = store.payloads[row]
        if op == Opcode.CONT:
            start = store.msg_start[row]
            op = store.opcode(start) if start >= 0 else Opcode.BINARY
            partial = True
        else:
            partial = op in (Opcode.TEXT, Opcode.BINARY) and not store.b0[row] & 0x80
        declared = store.length[row]
        meta = PayloadMeta(
            opcode=op,
            sender=self.sender(row),
            subprotocol=self.subprotocol,
            compressed=bool(store.b0[store.msg_start[row]] & 0x40)
            if store.msg_start[row] >= 0
            else False,
            truncated=partial or len(data) < declared,
            size=declared,
            context=ctx,
        )
        return data, meta

    # ------------------------------------------------------------------ views
    def force(self, view: str | None, row: int | None = None) -> None:
        """Show every message (``row`` None) or one message with ``view``; None goes
        back to the best view. ``KeyError`` for a name the registry does not know."""
        if view is not None:
            self.registry.get(view)
        if row is None:
            self._forced = view
            self._forced_rows.clear()
        elif view is None:
            self._forced_rows.pop(row, None)
        else:
            self._forced_rows[row] = view
        self._summaries.clear()
        self._changed()

    def add_listener(self, callback: Callable[[], None]) -> None:
        """Call ``callback()`` after a forced view changes (a table repaints its
        summaries). A bound method is held weakly: a closed pane does not stay alive
        for its store's sake."""
        try:
            self._listeners.append(weakref.WeakMethod(callback))  # type: ignore[arg-type]
        except TypeError:
            self._listeners.append(callback)

    def _changed(self) -> None:
        alive: list[weakref.WeakMethod[Callable[[], None]] | Callable[[], None]] = []
        for entry in self._listeners:
            callback = entry() if isinstance(entry, weakref.WeakMethod) else entry
            if callback is None:
                continue
            alive.append(entry)
            callback()
        self._listeners = alive

    def forced(self, row: int | None = None) -> str | None:
        if row is not None and row in self._forced_rows:
            return self._forced_rows[row]
        return self._forced

    def _view_for(self, row: int, data: bytes, meta: PayloadMeta) -> View:
        # A view forced for one message applies whatever it makes of it; one forced
        # for the connection applies where it can read (a close frame stays a close).
        name = self._forced_rows.get(row)
        if name is not None:
            return self.registry.get(name)
        if self._forced is not None:
            view = self.registry.get(self._forced)
            if view.priority(data[:SUMMARY_PREFIX], meta) >= 0:
                return view
        return self.registry.best(data, meta)

    def view_of(self, row: int) -> View:
        """The view ``row`` is shown with: forced for it, for the connection (where it
        can read the payload), or the best one."""
        data, meta = self.payload(row)
        return self._view_for(row, data, meta)

    def applicable(self, row: int) -> list[View]:
        data, meta = self.payload(row)
        return self.registry.applicable(data, meta)

    def render(self, row: int, view: str | None = None) -> Rendered:
        data, meta = self.payload(row)
        chosen: str | View = view if view is not None else self._view_for(row, data, meta)
        return self.registry.render(data, meta, chosen)

    def fields(self, row: int) -> Mapping[str, str]:
        """Decoded values worth searching (an event name, a topic...), by name, from
        the view the row is shown with (cheaper than rendering it)."""
        data, meta = self.payload(row)
        return self.registry.fields(data, meta, self._view_for(row, data, meta))

    def summary(self, row: int) -> str:
        """One line for ``row``'s table cell (cached)."""
        cached = self._summaries.get(row)
        if cached is not None:
            return cached
        return self.summaries((row,))[0]

    def summaries(self, rows: Iterable[int]) -> list[str]:
        """:meth:`summary` of each of ``rows``, in order: the uncached ones computed in
        one loop (a table asks for the rows it is about to paint at once: the same
        work costs about 2.5 times less in a tight loop than spread over a paint's
        data() calls, between which Qt evicts the interpreter's caches)."""
        summaries = self._summaries
        registry = self.registry
        view_for = self._view_for
        payload = self.payload
        lines = []
        for row in rows:
            line = summaries.get(row)
            if line is None:
                data, meta = payload(row)
                prefix = data[:SUMMARY_PREFIX]
                line = registry.summary(prefix, meta, view_for(row, prefix, meta))
                summaries[row] = line
                if len(summaries) > SUMMARY_CACHE:
                    summaries.popitem(last=False)
            lines.append(line)
        return lines


_shared: weakref.WeakKeyDictionary[CaptureStore, Conversation] = weakref.WeakKeyDictionary()


def conversation_for(store: CaptureStore, registry: Registry | None = None) -> Conversation:
    """The one :class:`Conversation` of ``store``: the timeline, the detail pane and
    copy-out share it, so that a view forced in one applies in the others. A
    ``registry`` other than the one it was made with makes a new one."""
    conv = _shared.get(store)
    if conv is None or (registry is not None and conv.registry is not registry):
        conv = _shared[store] = Conversation(store, registry)
    return conv
