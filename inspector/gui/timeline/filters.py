"""What the timeline shows: a filter over a capture store's rows (Qt-free).

The rows are computed with the store's column-wide operations
(:meth:`~CaptureStore.select`, :meth:`~CaptureStore.search`, bytes translation over
whole columns) instead of one Python call per row: a filter over a million frames
takes tenths of a second, where a ``QSortFilterProxyModel`` calling Python per row
takes seconds (measured: 4.3 s). :func:`rows_in_range` applies the same tests to the
rows a live capture adds, so that keeping a filter costs O(new rows).
"""

from __future__ import annotations

import re
from array import array
from collections.abc import Iterable
from itertools import compress
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from ...capture.events import Direction
    from ...capture.store import CaptureStore
    from ...views.conversation import Conversation

__all__ = [
    "FIELD_NAMES",
    "KINDS",
    "FrameFilter",
    "field_query",
    "make_filter",
    "rows_in_range",
    "visible_rows",
]

#: Frame kinds the filter knows, and the opcodes each covers.
KINDS: dict[str, frozenset[int]] = {
    "text": frozenset({0x1}),
    "binary": frozenset({0x2}),
    "continuation": frozenset({0x0}),
    "control": frozenset({0x8, 0x9, 0xA}),
    "reserved": frozenset({3, 4, 5, 6, 7, 0xB, 0xC, 0xD, 0xE, 0xF}),
}


#: The decoded fields a search can name (``topic:sensors/1``): one vocabulary for every
#: payload view (event name, STOMP destination, MQTT topic, GraphQL operation...).
FIELD_NAMES = frozenset(
    (
        "event",
        "namespace",
        "destination",
        "subscription",
        "command",
        "topic",
        "client_id",
        "operation",
        "type",
        "id",
        "method",
        "target",
        "uri",
    )
)


def field_query(search: str, regex: bool = False) -> tuple[str, str] | None:
    """``("topic", "sensors/1")`` for a search ``topic:sensors/1`` that names a decoded
    field (:data:`FIELD_NAMES`); None for a search of the payload bytes (a regular
    expression always is one)."""
    name, sep, value = search.partition(":")
    name = name.strip().lower()
    if regex or not sep or name not in FIELD_NAMES or not value.strip():
        return None
    return name, value.strip()


def _field_rows(
    store: CaptureStore, f: FrameFilter, rows: array[int] | None, conv: Conversation | None
) -> array[int]:
    """The rows (of ``rows``, or all) whose decoded field ``f.search`` names holds its
    value: the payload views decode them (:func:`inspector.views.search.search_fields`
    reads only the rows whose bytes hold the value)."""
    import importlib

    from ...views.conversation import conversation_for

    query = field_query(f.search, f.regex)
    assert query is not None
    name, value = query
    search = importlib.import_module("inspector.views.search")
    conv = conv if conv is not None else conversation_for(store)
    found: array[int] = search.search_fields(conv, value, case=f.case, field=name, rows=rows)
    return found


class FrameFilter(NamedTuple):
    """What the timeline shows. ``None`` for ``dirs``/``kinds`` means all of them.

    ``invalid`` holds the reason when ``search`` is not a valid regular expression:
    such a filter shows no row at all, rather than rows that match something else
    (the previous search) and would look like results.
    """

    dirs: frozenset[Direction] | None = None
    kinds: frozenset[str] | None = None
    hide_ping_pong: bool = False
    violations_only: bool = False
    search: str = ""
    regex: bool = False
    case: bool = False
    invalid: str = ""

    def opcodes(self) -> frozenset[int] | None:
        """The opcodes that may show (None: any), ping and pong hiding included."""
        ops: set[int] | None = None
        if self.kinds is not None:
            ops = set()
            for kind in self.kinds:
                ops |= KINDS[kind]
        if self.hide_ping_pong:
            ops = (set(range(16)) if ops is None else ops) - {0x9, 0xA}
        return None if ops is None else frozenset(ops)

    @property
    def selects(self) -> bool:
        """True when a direction/kind/violation criterion removes rows."""
        return (
            (self.dirs is not None and len(self.dirs) < 2)
            or self.opcodes() is not None
            or self.violations_only
        )

    @property
    def active(self) -> bool:
        return self.selects or bool(self.search)


def make_filter(
    *,
    dirs: Iterable[Direction | str] | None = None,
    kinds: Iterable[str] | None = None,
    hide_ping_pong: bool = False,
    violations_only: bool = False,
    search: str = "",
    regex: bool = False,
    case: bool = False,
) -> FrameFilter:
    """A :class:`FrameFilter` from loose arguments (directions as "in"/"out" too).
    Raises ValueError for an unknown kind or direction; an invalid regular expression
    gives a filter whose :attr:`~FrameFilter.invalid` says why."""
    from ...capture.events import Direction

    f = FrameFilter(
        dirs=None if dirs is None else frozenset(Direction(d) for d in dirs),
        kinds=None if kinds is None else frozenset(kinds),
        hide_ping_pong=hide_ping_pong,
        violations_only=violations_only,
        search=search,
        regex=regex,
        case=case,
    )
    if f.kinds is not None:
        unknown = f.kinds - KINDS.keys()
        if unknown:
            raise ValueError(f"unknown kind(s): {', '.join(sorted(unknown))}")
        if len(f.kinds) == len(KINDS):
            f = f._replace(kinds=None)
    if field_query(search, regex) is not None:
        import importlib.util

        if importlib.util.find_spec("inspector.views.search") is None:
            return f._replace(invalid="Searching decoded fields needs the payload formats")
    if search and regex:
        try:
            # The store compiles a str pattern the same way (as UTF-8 bytes when ASCII,
            # as text otherwise): both forms must compile.
            re.compile(search)
            if search.isascii():
                re.compile(search.encode())
        except re.error as exc:
            return f._replace(invalid=f"Invalid regular expression: {exc}")
    return f


def visible_rows(
    store: CaptureStore, f: FrameFilter, conversation: Conversation | None = None
) -> array[int]:
    """The rows of the whole store that ``f`` shows, in order. A search that names a
    decoded field (``event:chat``) is answered by the payload views of
    ``conversation`` (default: the store's)."""
    if f.invalid:
        return array("q")
    rows: array[int] | None = None
    if f.selects:
        rows = store.select(dirs=f.dirs, opcodes=f.opcodes(), violations_only=f.violations_only)
    if f.search and field_query(f.search, f.regex) is not None:
        rows = _field_rows(store, f, rows, conversation)
    elif f.search:
        rows = store.search(f.search, regex=f.regex, case=f.case, rows=rows)
    return rows if rows is not None else array("q", range(len(store)))


def rows_in_range(
    store: CaptureStore,
    f: FrameFilter,
    start: int,
    end: int,
    conversation: Conversation | None = None,
) -> array[int]:
    """The rows in [start, end) that ``f`` shows: the tests of :func:`visible_rows` on
    column slices."""
    from ...capture.events import Direction
    from ...capture.store import and_masks

    if f.invalid:
        return array("q")
    mask: bytes | None = None
    ops = f.opcodes()
    if ops is not None:
        table = bytes(1 if b & 0x0F in ops else 0 for b in range(256))
        mask = store.b0[start:end].tobytes().translate(table)
    if f.dirs is not None and len(f.dirs) < 2:
        codes = {0 if d is Direction.OUT else 1 for d in f.dirs}
        table = bytes(1 if b in codes else 0 for b in range(256))
        dmask = store.dir[start:end].tobytes().translate(table)
        mask = dmask if mask is None else and_masks(mask, dmask)
    candidates: Iterable[int] = (
        range(start, end) if mask is None else compress(range(start, end), mask)
    )
    if f.violations_only:
        candidates = filter(store.violations.__contains__, candidates)
    rows = array("q", candidates)
    if f.search and rows and field_query(f.search, f.regex) is not None:
        return _field_rows(store, f, rows, conversation)
    if f.search and rows:
        messages = bool(store.messages) and not store.messages.keys().isdisjoint(rows)
        rows = store.search(f.search, regex=f.regex, case=f.case, rows=rows, messages=messages)
    return rows
