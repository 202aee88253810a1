"""What a payload view is: the contract every format (text, JSON, MessagePack, Socket.IO,
MQTT...) implements, and the records it returns.

In the spirit of mitmproxy's content views: a view has a ``name``; given a payload and
what is known about it (:class:`PayloadMeta`: opcode, who sent it, the negotiated
subprotocol, compressed or not) it says how well it can show it (:meth:`View.priority`,
negative: cannot); it renders the payload to text with a highlighting hint and, for
structured data, a tree built only when asked for (:meth:`View.render`); and it gives
a one-line summary for a table row from a bounded prefix of the payload
(:meth:`View.summary`).

A view never raises on bad input: a payload that is not what the view expects renders
with :attr:`Rendered.error` set ("not valid MessagePack at byte 12") and as much as could
be decoded. The registry (:mod:`inspector.views.registry`) enforces this for views
that fail anyway, so a wrong guess never hides the raw bytes.

Some formats need the rest of the session: a Socket.IO packet's binary attachments
are the messages that follow it, an MQTT packet may span frames, a JSON-RPC response
answers a request sent earlier. :attr:`PayloadMeta.context` (a :class:`MessageContext`)
gives a view the messages around this one and a per-session scratch space for its
decoder state; without one (a lone payload) a view shows what the bytes alone say.

:meth:`View.fields` gives the decoded values a search matches (an event name, a
topic). They obey the *literal rule*: each value, UTF-8 encoded, appears verbatim in
the payload's own bytes unless the payload holds a backslash (JSON escapes), so a
search over a million rows can pre-filter on the raw bytes and decode only candidates.
"""

from __future__ import annotations

import enum
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

from ..protocol.constants import Role

__all__ = [
    "ASCII_SPACE",
    "NO_BINARY",
    "NO_TEXT",
    "SUMMARY_PREFIX",
    "ContextMessage",
    "MessageContext",
    "PayloadMeta",
    "Rendered",
    "Syntax",
    "TreeNode",
    "TreeSource",
    "View",
    "ViewError",
    "one_or_many",
]

#: The most payload bytes :meth:`View.summary` is given: a row's summary must cost the
#: same for a 20-byte message and a 64 MiB one.
SUMMARY_PREFIX = 4096


class Syntax(enum.StrEnum):
    """How a rendered text may be highlighted."""

    NONE = "none"
    JSON = "json"
    HEX = "hex"
    KEY_VALUE = "key-value"  # header-like "name: value" lines (STOMP, MQTT properties)
    ERROR = "error"


@dataclass(frozen=True, slots=True)
class PayloadMeta:
    """What is known about a payload besides its bytes.

    ``opcode`` is the message's (1 text, 2 binary) or, for a control frame, the
    frame's (8 close, 9 ping, 10 pong). ``size`` is the whole payload's size, which is
    more than the data given when only a prefix is at hand (a summary, a capped
    capture). ``subprotocol`` is what the handshake negotiated.
    """

    opcode: int
    #: Who sent it (whatever position recorded it: client, server or proxy).
    sender: Role | None = None
    subprotocol: str | None = None
    compressed: bool = False
    truncated: bool = False
    size: int | None = None
    #: The session around this payload, when known (see :class:`MessageContext`).
    context: MessageContext | None = field(default=None, compare=False, repr=False)

    @property
    def is_text(self) -> bool:
        return self.opcode == 1

    @property
    def is_binary(self) -> bool:
        return self.opcode == 2


@dataclass(frozen=True, slots=True)
class ContextMessage:
    """Another data message of the same session, as a :class:`MessageContext` gives it:
    ``index`` is the row it is shown on, ``time`` seconds since the session started."""

    index: int
    data: bytes
    meta: PayloadMeta
    time: float | None = None


class MessageContext(ABC):
    """What a view may know about the session around one message."""

    #: The row the message is shown on.
    index: int
    #: When it was captured, in seconds since the session started (None: unknown).
    time: float | None

    @abstractmethod
    def before(self, limit: int = 64) -> Iterator[ContextMessage]:
        """Earlier complete data messages (text and binary), newest first, at most
        ``limit``. Their ``meta.context`` is None."""

    def kinds_before(self, limit: int = 64) -> Iterator[tuple[int, int, Role | None]]:
        """``(index, opcode, sender)`` of the messages :meth:`before` yields, without
        reading their payloads: a walk that stops at the first text message reads one
        payload, not every one (:meth:`message` gives it)."""
        for m in self.before(limit):
            yield m.index, m.meta.opcode, m.meta.sender

    def text_before(self, starts: tuple[bytes, ...]) -> bool:
        """Whether a text message before this one may begin with one of ``starts``
        (True when unsure): a view that only applies after such a message (a Socket.IO
        attachment after its placeholder packet) says "cannot" in one look-up in a
        session that has none. A store keeps an index of them per ``starts``."""
        return True

    @abstractmethod
    def message(self, index: int) -> ContextMessage | None:
        """The complete data message shown on row ``index`` (None: none there), as
        :meth:`before` and :meth:`after` give it."""

    @abstractmethod
    def after(self, limit: int = 64) -> Iterator[ContextMessage]:
        """Later complete data messages, oldest first, at most ``limit``."""

    @abstractmethod
    def first(self, limit: int = 8) -> Iterator[ContextMessage]:
        """The session's first complete data messages, oldest first, at most ``limit``
        (where a protocol's opening is: an MQTT CONNECT, an Engine.IO open)."""

    @abstractmethod
    def state(self, view: str) -> dict[str, Any]:
        """A scratch dict kept for the whole session for the view called ``view``:
        where a stateful decoder keeps what it learned (an index of requests by id,
        reassembled stream offsets), so that rendering row after row stays cheap."""


@dataclass(frozen=True, slots=True)
class TreeNode:
    """One node of a structured payload: ``label`` (a key, an index, a field number)
    and ``value`` (a scalar's text, or a summary of a container), with its children."""

    label: str
    value: str = ""
    children: tuple[TreeNode, ...] = ()
    #: The value's type in words ("str", "int", "ext 5", "tag 1", "varint"...).
    kind: str = ""


#: What a view gives for :attr:`Rendered.tree`: the tree, or how to build it.
TreeSource = TreeNode | Callable[[], TreeNode | None] | None
_UNBUILT: Any = object()


def one_or_many(nodes: Sequence[TreeNode], what: str) -> TreeNode:
    """The one node of ``nodes``, or a node holding them all (``3 packets``: ``what``
    is the plural)."""
    return nodes[0] if len(nodes) == 1 else TreeNode("", f"{len(nodes)} {what}", tuple(nodes))


@dataclass(frozen=True, slots=True)
class Rendered:
    """A payload as one view shows it.

    ``fields`` holds the decoded values worth searching and summarising (an event name,
    a destination, a topic, a GraphQL operation, a JSON-RPC method), by name.
    ``error`` says what was wrong when the payload is not valid for the view; ``text``
    then shows what could be decoded.

    ``make_tree`` is the structure as a tree, or a function that builds it: only the
    window's tree asks for it (:attr:`tree`, built once), so that printing a message
    for the command line or a timeline never pays for a tree nobody sees (a large JSON
    message's tree costs more than its text).
    """

    view: str
    text: str
    syntax: Syntax = Syntax.NONE
    make_tree: TreeSource = field(default=None, compare=False, repr=False)
    error: str | None = None
    fields: Mapping[str, str] = field(default_factory=dict)
    _tree: TreeNode | None = field(default=_UNBUILT, init=False, compare=False, repr=False)

    @property
    def tree(self) -> TreeNode | None:
        """The tree, built the first time it is asked for (None: no structure)."""
        built = self._tree
        if built is _UNBUILT:
            source = self.make_tree
            built = source() if callable(source) else source
            object.__setattr__(self, "_tree", built)  # (frozen: a cache, not a change)
        return built


class ViewError(ValueError):
    """Raised inside a view for a payload it cannot read; ``offset`` is where.

    Views may raise it from :meth:`View.render`; the registry turns it into a
    :class:`Rendered` with :attr:`Rendered.error` ("not valid CBOR at byte 7: ...").
    """

    def __init__(self, message: str, offset: int | None = None) -> None:
        super().__init__(message)
        self.offset = offset


#: What ``bytes.lstrip()`` removes: a view that strips before looking may start there.
ASCII_SPACE = frozenset(b" \t\n\r\x0b\x0c")
#: No text message at all (a view of binary or close payloads only).
NO_TEXT: frozenset[int] = frozenset()
#: No binary message at all without a subprotocol (a view of text or close only).
NO_BINARY: frozenset[int] = frozenset()


class View(ABC):
    """A way to show a payload. Subclasses set :attr:`name` and :attr:`title`."""

    #: Stable machine name, used by ``--view NAME`` and in ``"view"`` JSON fields.
    name: ClassVar[str]
    #: What the window's view switcher shows.
    title: ClassVar[str]
    #: A promise that lets a choice skip this view: with no subprotocol negotiated,
    #: :meth:`priority` of a text message (opcode 1) is negative when its payload is
    #: empty or starts with a byte not in this set. None: no promise (the view is
    #: asked about every payload). The views' tests check each promise.
    text_starts: ClassVar[frozenset[int] | None] = None
    #: A promise that lets a choice be made once for many payloads: with no subprotocol
    #: negotiated, :meth:`priority` of every text message is this, whatever its
    #: content. None: it depends on the content.
    text_priority: ClassVar[float | None] = None
    #: The same promise as :attr:`text_starts` for a binary message (opcode 2): with no
    #: subprotocol negotiated, :meth:`priority` is negative when its payload is empty or
    #: starts with a byte not in this set. None: no promise (a view whose choice
    #: depends on the session, such as an MQTT packet continuing from the message
    #: before, whatever its first byte, cannot promise).
    binary_starts: ClassVar[frozenset[int] | None] = None
    #: A promise that lets a choice stop early: with no subprotocol negotiated,
    #: :meth:`priority` is never above this, whatever the payload, its kind and the
    #: session around it. A choice asks the views with the highest promises first and
    #: stops when no view left can beat the best so far (a MessagePack map at 0.6 is
    #: not asked about by CBOR, which promises at most 0.55). None: no promise (asked
    #: before any view that promises). A view whose promise depends on how it was
    #: made (protobuf with a schema) sets it in ``__init__``.
    top_priority: float | None = None

    @abstractmethod
    def priority(self, data: bytes, meta: PayloadMeta) -> float:
        """How well this view can show ``data``: negative when it cannot at all; 0-1 for
        content sniffing (1: certain); above 1 when the negotiated subprotocol names this
        format. Must be cheap: read a bounded prefix of ``data``."""

    @abstractmethod
    def render(self, data: bytes, meta: PayloadMeta) -> Rendered:
        """The payload shown in full. May raise :class:`ViewError`."""

    def summary(self, prefix: bytes, meta: PayloadMeta) -> str | None:
        """One line for a table row from at most :data:`SUMMARY_PREFIX` bytes (``meta.size``
        gives the whole size). None: this view has no summary of its own."""
        return None

    def fields(self, data: bytes, meta: PayloadMeta) -> Mapping[str, str]:
        """The decoded values worth searching, by name (``event``, ``topic``,
        ``method``...), under the literal rule (see the module's docstring). Cheaper
        than :meth:`render`. May raise :class:`ViewError`; empty: nothing to offer."""
        return {}

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r}>"
