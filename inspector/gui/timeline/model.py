"""The timeline's table model: an adapter over a :class:`CaptureStore`'s columns.

:class:`FrameTableModel` reads the store's columns directly; it never makes an object
per frame. Rows appear by polling: a controller calls :meth:`FrameTableModel.refresh`
from a 30-50 ms timer and each call inserts every row added since the last one with a
single ``beginInsertRows``/``endInsertRows`` (a repaint costs 4-6 ms however many
rows arrived, so one insert per frame would drown the GUI). Filtering is done here,
not by a ``QSortFilterProxyModel`` calling Python once per row: the model keeps an
``array('q')`` of the visible store rows (:mod:`.filters`) and tests only the new
rows as they arrive.
"""

from __future__ import annotations

from array import array
from bisect import bisect_left
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtGui import QBrush, QFont, QIcon

from ...views.preview import PREVIEW_CHARS, frame_carriage, frame_preview, frame_previews
from ..widgets import theme
from .columns import (
    ALIGNMENTS,
    COL_DIR,
    COL_KEY,
    COL_OPCODE,
    COL_PAYLOAD,
    COL_ROW,
    COL_RSV,
    COL_TIME,
    COLUMN_TIPS,
    COLUMNS,
    FRAGMENT_ROLE,
    OPNAME,
    RSV_TEXT,
    STORE_ROW_ROLE,
)
from .filters import FrameFilter, make_filter, rows_in_range, visible_rows
from .fragments import FRAGMENT_GLYPHS, FRAGMENT_WORDS, INSIDE_MESSAGE, fragment_position
from .icons import deliberate_color, deliberate_icon, deliberate_tint, warning_icon

if TYPE_CHECKING:
    from datetime import datetime

    # The data model and the payload views load with the first capture shown.
    from ...capture.events import Direction, SessionRole
    from ...capture.store import CaptureStore
    from ...views.conversation import Conversation
    from ...views.registry import Registry

__all__ = ["FrameTableModel"]

_PREVIEW_CACHE = 4096  # summaries kept (a few screens' worth); cleared when full
_LONG_PREVIEW = 600

_DISPLAY = int(Qt.ItemDataRole.DisplayRole)
_DECORATION = int(Qt.ItemDataRole.DecorationRole)
_TOOLTIP = int(Qt.ItemDataRole.ToolTipRole)
_FONT = int(Qt.ItemDataRole.FontRole)
_ALIGN = int(Qt.ItemDataRole.TextAlignmentRole)
_BACKGROUND = int(Qt.ItemDataRole.BackgroundRole)
_FOREGROUND = int(Qt.ItemDataRole.ForegroundRole)
_ACCESSIBLE = int(Qt.ItemDataRole.AccessibleTextRole)


class _InvalidIndex(Exception):
    """Raised inside the model's role handlers for an invalid index."""


def _count(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


class _RowPaint:
    """What the rows are drawn with, from one palette's theme."""

    __slots__ = (
        "bg",
        "bg_deliberate",
        "bg_violation",
        "fg_control",
        "fg_fragment",
        "fg_in",
        "fg_out",
        "mono",
    )

    def __init__(self, th: theme.Theme) -> None:
        self.fg_out = QBrush(th.outgoing)
        self.fg_in = QBrush(th.incoming)
        self.fg_fragment = QBrush(th.fragment)
        self.fg_control = QBrush(th.control)
        self.bg = (QBrush(th.outgoing_tint), QBrush(th.incoming_tint))
        self.bg_violation = QBrush(th.violation_tint)
        self.bg_deliberate = QBrush(deliberate_tint(th))
        self.mono = theme.monospace_font()


class FrameTableModel(QAbstractTableModel):
    """A table of the frames in a :class:`CaptureStore`, read from its columns.

    Call :meth:`refresh` from a timer to show frames added to the store since the
    last call (one row insert for all of them). :meth:`set_filter` narrows the rows;
    :meth:`store_row` / :meth:`view_row` map between table rows and store rows.
    ``filterError(str)`` reports an invalid search (empty string: the error is gone).
    """

    filterError = Signal(str)
    filterChanged = Signal()

    def __init__(
        self,
        store: CaptureStore | None = None,
        parent: QObject | None = None,
        registry: Registry | None = None,
    ) -> None:
        super().__init__(parent)
        self._store: CaptureStore | None = store
        #: The payload views the Summary column asks (None: the default registry).
        self._registry = registry
        self._conversation: Conversation | None = None
        self._seen = len(store) if store is not None else 0  # store rows the model knows
        self._visible: array[int] | None = None  # filtered store rows; None: all rows
        self._filter = FrameFilter()
        self._wall_clock = False
        #: ``datetime.fromtimestamp``, once wall-clock times are first shown (the
        #: datetime module costs the window's start ~1.8 ms; it shows seconds).
        self._local_time: Callable[[float], datetime] | None = None
        #: The Dir column's words (sent, received) per session role, made when first
        #: painted: the cells ask for them without a call per cell.
        self._dir_words: dict[SessionRole, tuple[str, str]] = {}
        # Summaries are computed by data(), so only for the rows a view paints, and
        # kept here (the Conversation keeps more, for the detail pane and copy-out).
        self._previews: dict[int, str] = {}
        #: The table rows a view is about to paint (:meth:`set_painted_rows`).
        self._painted = (-1, -1)
        #: What the Summary column shows for a row (store, row, characters).
        self.previewer: Callable[[CaptureStore, int, int], str] = self._summary_of
        self._fragment_icons: tuple[QIcon, ...] | None = None
        self._compressed_icon: QIcon | None = None
        self._warning_icon: QIcon | None = None
        self._deliberate_icon: QIcon | None = None
        #: The rows' brushes and font, made when a row is first drawn (making a QBrush
        #: first makes PySide6's QGradient and QImage classes: ~3 ms of the start).
        self._paint: _RowPaint | None = None
        self._roles: dict[int, Callable[[QModelIndex], Any]] = {
            _DISPLAY: self._display,
            _FOREGROUND: self._foreground,
            _BACKGROUND: self._background,
            _ALIGN: self._alignment,
            _FONT: self._font,
            _DECORATION: self._decoration,
            _TOOLTIP: self._tooltip,
            _ACCESSIBLE: self._accessible,
            STORE_ROW_ROLE: self._row_of,
            FRAGMENT_ROLE: self._fragment,
        }
        self._columns: tuple[Callable[[int], str], ...] = (
            str,
            self._col_time,
            self._col_dir,
            self._col_fin,
            self._col_rsv,
            self._col_opcode,
            self._col_mask,
            self._col_key,
            self._col_length,
            self._col_payload,
        )

    # ------------------------------------------------------------ the store
    @property
    def store(self) -> CaptureStore | None:
        return self._store

    def set_store(self, store: CaptureStore | None) -> None:
        """Show ``store`` (None: nothing); the current filter applies to it."""
        self.beginResetModel()
        self._store = store
        self._conversation = None
        self._seen = len(store) if store is not None else 0
        self._previews.clear()
        self._painted = (-1, -1)
        self._visible = self._compute_all() if self._filter.active else None
        self.endResetModel()

    @property
    def conversation(self) -> Conversation | None:
        """The payload views of the store shown (shared with the detail pane: a view
        forced in either applies in both)."""
        store = self._store
        if store is None:
            return None
        conv = self._conversation
        if conv is None:
            from ...views.conversation import conversation_for

            conv = self._conversation = conversation_for(store, self._registry)
            conv.add_listener(self._views_changed)
        return conv

    def _summary_of(self, store: CaptureStore, row: int, limit: int) -> str:
        return frame_preview(store, row, limit, self.conversation)

    def force_view(self, view: str | None, row: int | None = None) -> None:
        """Show every payload (``row`` None) or one message with ``view`` (a registry
        name; None: the best view again). ``KeyError`` for an unknown name."""
        conv = self.conversation
        if conv is not None:
            conv.force(view, row)

    def forced_view(self, row: int | None = None) -> str | None:
        conv = self._conversation if self._store is not None else None
        return conv.forced(row) if conv is not None else None

    def _views_changed(self) -> None:
        self._previews.clear()
        n = self.rowCount()
        if n:
            self.dataChanged.emit(
                self.index(0, COL_PAYLOAD), self.index(n - 1, COL_PAYLOAD), [_DISPLAY, _TOOLTIP]
            )

    def refresh(self) -> int:
        """Show the frames added to the store since the last call, in ONE row insert.
        Returns the number of rows inserted (after filtering)."""
        store = self._store
        if store is None:
            return 0
        n = len(store)
        start = self._seen
        if n == start:
            return 0
        if n < start:  # the store was cleared under us
            self.set_store(store)
            return 0
        vis = self._visible
        if vis is None:
            self.beginInsertRows(QModelIndex(), start, n - 1)
            self._seen = n
            self.endInsertRows()
            return n - start
        rows = rows_in_range(store, self._filter, start, n, self.conversation)
        self._seen = n
        if rows:
            first = len(vis)
            self.beginInsertRows(QModelIndex(), first, first + len(rows) - 1)
            vis.extend(rows)
            self.endInsertRows()
        return len(rows)

    def pending(self) -> int:
        """Store rows not yet shown (added since the last :meth:`refresh`)."""
        return len(self._store) - self._seen if self._store is not None else 0

    def total_count(self) -> int:
        """Store rows the model has taken in (shown or filtered out)."""
        return self._seen

    def visible_count(self) -> int:
        return len(self._visible) if self._visible is not None else self._seen

    def store_row(self, view_row: int) -> int:
        """The store row shown at table row ``view_row``."""
        vis = self._visible
        return vis[view_row] if vis is not None else view_row

    def view_row(self, store_row: int) -> int | None:
        """The table row showing ``store_row``, or None when it is filtered out."""
        vis = self._visible
        if vis is None:
            return store_row if 0 <= store_row < self._seen else None
        i = bisect_left(vis, store_row)
        return i if i < len(vis) and vis[i] == store_row else None

    # ----------------------------------------------------------- filtering
    @property
    def filter(self) -> FrameFilter:
        return self._filter

    def set_filter(
        self,
        *,
        dirs: Iterable[Direction | str] | None = None,
        kinds: Iterable[str] | None = None,
        hide_ping_pong: bool = False,
        violations_only: bool = False,
        search: str = "",
        regex: bool = False,
        case: bool = False,
    ) -> str | None:
        """Replace the filter; every criterion given must hold for a row to show.
        Returns None, or what is wrong, also emitted as ``filterError``: for an
        invalid regular expression the filter is applied and shows no row (old
        results would pass for matches); for an unknown kind the filter is left as
        it was.

        ``dirs``: directions to show (:class:`Direction` or "in"/"out"); ``kinds``:
        any of :data:`~.filters.KINDS`; ``search``: text (or a regex) in the payload,
        or in the reassembled message of a fragmented or compressed message's last
        frame."""
        try:
            new = make_filter(
                dirs=dirs,
                kinds=kinds,
                hide_ping_pong=hide_ping_pong,
                violations_only=violations_only,
                search=search,
                regex=regex,
                case=case,
            )
        except ValueError as exc:
            self.filterError.emit(str(exc))
            return str(exc)
        self.filterError.emit(new.invalid)
        if new != self._filter:
            self.beginResetModel()
            self._filter = new
            self._painted = (-1, -1)  # table rows: they mean other store rows now
            if self._store is not None:
                self._seen = len(self._store)
            self._visible = self._compute_all() if new.active else None
            self.endResetModel()
            self.filterChanged.emit()
        return new.invalid or None

    def clear_filter(self) -> None:
        self.set_filter()

    def _compute_all(self) -> array[int]:
        if self._store is None:
            return array("q")
        return visible_rows(self._store, self._filter, self.conversation)

    # ------------------------------------------------------------- options
    @property
    def wall_clock(self) -> bool:
        return self._wall_clock

    def set_wall_clock(self, on: bool) -> None:
        """Show wall-clock times (from the session's start) instead of seconds."""
        if on != self._wall_clock:
            if on and self._local_time is None:
                from datetime import datetime

                self._local_time = datetime.fromtimestamp
            self._wall_clock = on
            n = self.rowCount()
            if n:
                self.dataChanged.emit(
                    self.index(0, COL_TIME), self.index(n - 1, COL_TIME), [_DISPLAY]
                )
            self.headerDataChanged.emit(Qt.Orientation.Horizontal, COL_TIME, COL_TIME)

    def update_theme(self) -> None:
        """Forget the brushes and marks made from the application palette (call on a
        palette change): they are made again when a row is next drawn."""
        self._paint = None
        self._deliberate_icon = None  # drawn again in the new colour on first use
        n = self.rowCount()
        if n:
            self.dataChanged.emit(self.index(0, 0), self.index(n - 1, len(COLUMNS) - 1))

    def _row_paint(self) -> _RowPaint:
        if self._paint is None:
            self._paint = _RowPaint(theme.current())
        return self._paint

    def set_fragment_icons(self, icons: tuple[QIcon, ...] | None) -> None:
        """Icons the Opcode column shows by :data:`FRAGMENT_ROLE` position (see
        :func:`~.icons.fragment_icons`); None: no brackets."""
        self._fragment_icons = icons
        n = self.rowCount()
        if n:
            self.dataChanged.emit(
                self.index(0, COL_OPCODE), self.index(n - 1, COL_OPCODE), [_DECORATION]
            )

    def set_compressed_icon(self, icon: QIcon | None) -> None:
        """The icon the Payload column shows on a compressed message's frames."""
        self._compressed_icon = icon
        n = self.rowCount()
        if n:
            self.dataChanged.emit(
                self.index(0, COL_PAYLOAD), self.index(n - 1, COL_PAYLOAD), [_DECORATION]
            )

    # ------------------------------------------------------ Qt model API
    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        if parent.isValid():
            return 0
        vis = self._visible
        return len(vis) if vis is not None else self._seen

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = _DISPLAY) -> Any:
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(COLUMNS):
            return None
        if role == _DISPLAY:
            if section == COL_TIME and self._wall_clock:
                return "Clock"
            return COLUMNS[section]
        if role == _TOOLTIP:
            return COLUMN_TIPS[section]
        if role == _ALIGN:
            return ALIGNMENTS[section]
        return None

    _FLAGS = (
        Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemNeverHasChildren
    )
    _NO_FLAGS = Qt.ItemFlag.NoItemFlags

    def flags(self, index: QModelIndex | QPersistentModelIndex) -> Qt.ItemFlag:
        # Called for every painted cell: no enum arithmetic here.
        return self._FLAGS if index.isValid() else self._NO_FLAGS

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = _DISPLAY) -> Any:
        # Called ~7 roles x ~270 cells per repaint: one dict lookup for unused roles,
        # and no isValid() call (an invalid index has row -1: _row_of raises).
        handler = self._roles.get(role)
        if handler is None or self._store is None:
            return None
        try:
            return handler(index)  # type: ignore[arg-type]
        except _InvalidIndex:
            return None

    # -------------------------------------------------------- role handlers
    def _row_of(self, index: QModelIndex) -> int:
        r = index.row()
        if r < 0:
            raise _InvalidIndex
        vis = self._visible
        return vis[r] if vis is not None else r

    def _display(self, index: QModelIndex) -> str:
        return self._columns[index.column()](self._row_of(index))

    def _alignment(self, index: QModelIndex) -> int | None:
        c = index.column()
        return ALIGNMENTS[c] if c >= 0 else None

    def _font(self, index: QModelIndex) -> QFont | None:
        c = index.column()
        return (self._paint or self._row_paint()).mono if c in (COL_KEY, COL_RSV) else None

    def _foreground(self, index: QModelIndex) -> QBrush | None:
        c = index.column()
        store = self._store
        assert store is not None
        if c == COL_DIR:
            paint = self._paint or self._row_paint()
            return paint.fg_in if store.dir[self._row_of(index)] else paint.fg_out
        if c == COL_OPCODE:
            r = self._row_of(index)
            op = store.b0[r] & 0x0F
            if op & 0x08:
                return (self._paint or self._row_paint()).fg_control
            ms = store.msg_start[r]
            if ms >= 0 and (ms != r or not store.b0[r] & 0x80):
                return (self._paint or self._row_paint()).fg_fragment
        return None

    def _peer_fault(self, r: int) -> bool | None:
        """None: the frame breaks no rule; True: a rule the peer broke (or a frame
        of ours with a fault we did not mean); False: only rules we broke on purpose."""
        assert self._store is not None
        found = self._store.violations.get(r)
        if not found:
            return None
        return not all(v.deliberate for v in found)

    def _background(self, index: QModelIndex) -> QBrush:
        store = self._store
        assert store is not None
        r = self._row_of(index)
        paint = self._paint or self._row_paint()
        if r in store.violations:
            return paint.bg_violation if self._peer_fault(r) else paint.bg_deliberate
        return paint.bg[store.dir[r]]

    def _decoration(self, index: QModelIndex) -> QIcon | None:
        c = index.column()
        if c == COL_OPCODE:
            icons = self._fragment_icons
            if icons is None:
                return None
            assert self._store is not None
            return icons[fragment_position(self._store, self._row_of(index))]
        if c == COL_PAYLOAD:
            icon = self._compressed_icon
            if icon is None:
                return None
            assert self._store is not None
            return icon if frame_carriage(self._store, self._row_of(index)).compressed else None
        if c != COL_ROW:
            return None
        fault = self._peer_fault(self._row_of(index))
        if fault is None:
            return None
        if fault:
            if self._warning_icon is None:
                self._warning_icon = warning_icon()
            return self._warning_icon
        if self._deliberate_icon is None:
            self._deliberate_icon = deliberate_icon(16, deliberate_color(theme.current()))
        return self._deliberate_icon

    def _violation_lines(self, r: int) -> list[str]:
        assert self._store is not None
        found = self._store.violations.get(r, ())
        peer = [v for v in found if not v.deliberate]
        ours = [v for v in found if v.deliberate]
        lines: list[str] = []
        if peer:
            lines.append(_count(len(peer), "violation", "violations") + ":")
            lines.extend(f"\u2022 {v.rule.rfc} {v.rule.slug}: {v.message}" for v in peer)
        if ours:
            lines.append(
                _count(len(ours), "rule", "rules")
                + " broken on purpose (sent on purpose: we crafted this frame):"
            )
            lines.extend(f"\u2691 {v.rule.rfc} {v.rule.slug}: {v.message}" for v in ours)
        return lines

    def _tooltip(self, index: QModelIndex) -> str | None:
        store = self._store
        assert store is not None
        r = self._row_of(index)
        lines = self._violation_lines(r)
        c = index.column()
        if c == COL_PAYLOAD:
            if lines:
                lines.append("")
            lines.append(self.previewer(store, r, _LONG_PREVIEW))
            conv = self.conversation
            whole = r in store.messages or not store.is_compressed(r)
            if conv is not None and store.payloads[r] and whole:
                lines.append(
                    f"Shown by the {conv.view_of(r).title} view "
                    "(right-click \u25b8 Show payloads as; the detail pane lists every view)"
                )
            carriage = frame_carriage(store, r)
            if carriage.inflated is not None:
                lines.append(
                    f"\u21f2 compressed message: {carriage.inflated:,} bytes once inflated "
                    "(shown above)"
                )
            elif carriage.compressed:
                lines.append(
                    "\u21f2 a frame of a compressed message: its bytes are deflate data; the "
                    "message's last frame shows it inflated"
                )
        elif c == COL_OPCODE:
            pos = fragment_position(store, r)
            if pos == INSIDE_MESSAGE:
                lines.append("A control frame sent between two fragments of a message")
            elif pos:
                first = store.msg_start[r]
                lines.append(
                    f"{FRAGMENT_GLYPHS[pos]} {FRAGMENT_WORDS[pos].capitalize()} of the "
                    f"{OPNAME[store.b0[first] & 0x0F]} message that starts at row {first}"
                )
        elif c == COL_ROW and not lines:
            where = "sent" if store.dir[r] == 0 else "received"
            lines.append(
                f"Frame #{store.seq[r]} of the {where} stream, at byte {store.offset[r]:,}"
            )
        return "\n".join(lines) if lines else None

    def _accessible(self, index: QModelIndex) -> str | None:
        c = index.column()
        store = self._store
        assert store is not None
        if c == COL_DIR:
            return "received" if store.dir[self._row_of(index)] else "sent"
        if c == COL_ROW:
            r = self._row_of(index)
            found = store.violations.get(r)
            if found:
                ours = sum(v.deliberate for v in found)
                parts = []
                if len(found) - ours:
                    parts.append(f"{len(found) - ours} violations")
                if ours:
                    parts.append(f"{ours} rules broken on purpose")
                return f"{r}, " + ", ".join(parts)
        elif c == COL_OPCODE:
            r = self._row_of(index)
            pos = fragment_position(store, r)
            if pos:
                return f"{self._col_opcode(r)}, {FRAGMENT_WORDS[pos]}"
        return None

    def fragment_position(self, r: int) -> int:
        """Where store row ``r`` sits in a fragmented message (see :mod:`.fragments`)."""
        assert self._store is not None
        return fragment_position(self._store, r)

    def _fragment(self, index: QModelIndex) -> int:
        assert self._store is not None
        return fragment_position(self._store, self._row_of(index))

    # ------------------------------------------------------- column texts
    def _col_time(self, r: int) -> str:
        store = self._store
        assert store is not None
        t = store.t[r]
        if self._wall_clock and self._local_time is not None:
            stamp = self._local_time(store.session.started_unix + t)
            return stamp.strftime("%H:%M:%S.%f")[:-3]
        return f"{t:.6f}"

    def _col_dir(self, r: int) -> str:
        store = self._store
        assert store is not None
        role = store.session.role
        words = self._dir_words.get(role)
        if words is None:
            from ...views.frame_fields import direction_words

            words = (direction_words(role, False)[0], direction_words(role, True)[0])
            self._dir_words[role] = words
        return words[1 if store.dir[r] else 0]

    def _col_fin(self, r: int) -> str:
        assert self._store is not None
        return "1" if self._store.b0[r] & 0x80 else "0"

    def _col_rsv(self, r: int) -> str:
        assert self._store is not None
        return RSV_TEXT[self._store.b0[r]]

    def _col_opcode(self, r: int) -> str:
        assert self._store is not None
        return OPNAME[self._store.b0[r] & 0x0F]

    def _col_mask(self, r: int) -> str:
        assert self._store is not None
        return "1" if self._store.b1[r] & 0x80 else "0"

    def _col_key(self, r: int) -> str:
        store = self._store
        assert store is not None
        return f"{store.mask_key[r]:08x}" if store.b1[r] & 0x80 else ""

    def _col_length(self, r: int) -> str:
        assert self._store is not None
        return f"{self._store.length[r]:,}"

    def set_painted_rows(self, first: int, last: int) -> None:
        """The table rows a view is about to paint (from its ``rowAt()``; -1: none):
        the first summary it asks for that is not cached fills those of every row
        from there to ``last`` in one call to the payload views."""
        self._painted = (first, last)

    def _col_payload(self, r: int) -> str:
        # (r: a store row; the painted range: table rows.)
        cached = self._previews.get(r)
        if cached is None:
            assert self._store is not None
            first, last = self._painted
            if self.previewer == self._summary_of and 0 <= first <= last:
                return self._fill_previews(r, first, last)
            cached = self.previewer(self._store, r, PREVIEW_CHARS)
            previews = self._previews
            if len(previews) >= _PREVIEW_CACHE:
                previews.clear()
            previews[r] = cached
        return cached

    def _fill_previews(self, r: int, first: int, last: int) -> str:
        """Row ``r``'s summary, with those of the uncached store rows shown from there
        to table row ``last`` when ``r`` is shown between ``first`` and ``last`` (the
        painted ones: still only what is seen), else alone."""
        assert self._store is not None
        previews = self._previews
        vis = self._visible
        last = min(last, self.visible_count() - 1)
        at = r if vis is None else bisect_left(vis, r)
        if not first <= at <= last or (vis is not None and vis[at] != r):
            rows: list[int] | range = [r]
        else:
            rows = range(r, last + 1) if vis is None else vis[at : last + 1].tolist()
        wanted = [row for row in rows if row not in previews]
        if len(previews) + len(wanted) > _PREVIEW_CACHE:
            previews.clear()
        lines = frame_previews(self._store, wanted, PREVIEW_CHARS, self.conversation)
        previews.update(zip(wanted, lines, strict=True))
        return previews[r]
