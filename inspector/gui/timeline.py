"""The frame timeline: a table model over a :class:`CaptureStore` and its view.

:class:`FrameTableModel` reads the store's columns directly; it never makes an object
per frame. Rows appear by polling: a controller calls :meth:`FrameTableModel.refresh`
from a 30-50 ms timer and each call inserts every row added since the last one with a
single ``beginInsertRows``/``endInsertRows`` (a repaint costs 4-6 ms however many
rows arrived, so one insert per frame would drown the GUI). Filtering is done here,
not by a ``QSortFilterProxyModel`` calling Python once per row (measured: 4.3 s per
filter on a million rows): the model keeps an ``array('q')`` of the visible store
rows, computed with the store's column-wide :meth:`~CaptureStore.select` and
:meth:`~CaptureStore.search`, and tests only the new rows as they arrive.

:class:`TimelineView` puts a filter bar over a ``QTableView`` and follows the tail
of a live capture while the user is at the bottom.
"""

from __future__ import annotations

import re
import time
from array import array
from bisect import bisect_left
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from itertools import compress
from typing import Any, ClassVar

from PySide6.QtCore import (
    QAbstractTableModel,
    QEvent,
    QItemSelection,
    QItemSelectionModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QSize,
    Qt,
    QTimer,
    Signal,
    Slot,
)
from PySide6.QtGui import (
    QBrush,
    QColor,
    QFont,
    QFontMetrics,
    QIcon,
    QPainter,
    QPaintEvent,
    QPen,
    QPixmap,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMenu,
    QSizePolicy,
    QStyle,
    QTableView,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ..capture.events import Direction
from ..capture.store import CaptureStore
from ..protocol.constants import close_code_meaning, opcode_name
from . import theme

__all__ = [
    "COLUMNS",
    "FIRST_FRAGMENT",
    "FRAGMENT_ROLE",
    "INSIDE_MESSAGE",
    "KINDS",
    "LAST_FRAGMENT",
    "MIDDLE_FRAGMENT",
    "STORE_ROW_ROLE",
    "FrameFilter",
    "FrameTableModel",
    "TimelineView",
    "close_summary",
    "deflate_negotiated",
    "fragment_icons",
]

#: Column titles, in order; the ``COL_*`` constants index them.
COLUMNS = ("#", "Time", "Dir", "FIN", "RSV", "Opcode", "MASK", "Mask key", "Length", "Payload")
(
    COL_ROW,
    COL_TIME,
    COL_DIR,
    COL_FIN,
    COL_RSV,
    COL_OPCODE,
    COL_MASK,
    COL_KEY,
    COL_LENGTH,
    COL_PAYLOAD,
) = range(len(COLUMNS))

_COLUMN_TIPS = (
    "Row in the capture (both directions, in arrival order)",
    "Seconds since the session started (or wall-clock time)",
    "Direction: \u2191 sent by us, \u2193 received from the peer",
    "FIN bit: 1 on the last frame of a message (RFC 6455 \u00a75.2)",
    "RSV1, RSV2, RSV3 bits: 1 shown as the digit, 0 as '-' (RFC 6455 \u00a75.2)",
    "Opcode; \u250c \u2502 \u2514 bracket the frames of a fragmented message",
    "MASK bit: 1 when the payload is masked (clients must mask, RFC 6455 \u00a75.3)",
    "The 32-bit masking key, in hex",
    "Payload length the header declares, in bytes",
    "Payload: text, hex for binary, close code and reason for close frames",
)

#: Frame kinds the filter knows, and the opcodes each covers.
KINDS: dict[str, frozenset[int]] = {
    "text": frozenset({0x1}),
    "binary": frozenset({0x2}),
    "continuation": frozenset({0x0}),
    "control": frozenset({0x8, 0x9, 0xA}),
    "reserved": frozenset({3, 4, 5, 6, 7, 0xB, 0xC, 0xD, 0xE, 0xF}),
}

#: ``data(index, STORE_ROW_ROLE)`` gives the store row shown at ``index``.
STORE_ROW_ROLE = int(Qt.ItemDataRole.UserRole) + 1

#: ``data(index, FRAGMENT_ROLE)``: where the frame sits in a fragmented message:
#: 0 not a fragment, :data:`FIRST_FRAGMENT`, :data:`MIDDLE_FRAGMENT`, :data:`LAST_FRAGMENT`.
FRAGMENT_ROLE = int(Qt.ItemDataRole.UserRole) + 2
#: :data:`INSIDE_MESSAGE`: a control frame sent between two fragments of a message.
FIRST_FRAGMENT, MIDDLE_FRAGMENT, LAST_FRAGMENT, INSIDE_MESSAGE = 1, 2, 3, 4
_FRAGMENT_WORDS = (
    "",
    "first fragment",
    "fragment",
    "last fragment",
    "control frame between fragments",
)
_FRAGMENT_GLYPHS = ("", "\u250c", "\u2502", "\u2514", "\u250a")
#: How far back a control frame looks for an unfinished message of its direction.
_INSIDE_LOOKBACK = 64

_BRACKET_WIDTH = 12
_QWIDGETSIZE_MAX = (1 << 24) - 1

PREVIEW_CHARS = 120
_PREVIEW_HEX_BYTES = 40
_PREVIEW_CACHE = 4096  # previews kept (a few screens' worth); cleared when full

# Control characters become spaces or middle dots so a preview stays one line.
_CTRL = {c: " " for c in (9, 10, 11, 12, 13)}
_CTRL.update({c: "\u00b7" for c in range(32) if c not in _CTRL})
_CTRL[127] = "\u00b7"

_RSV_TEXT = tuple(
    ("1" if b0 & 0x40 else "-") + ("2" if b0 & 0x20 else "-") + ("3" if b0 & 0x10 else "-")
    for b0 in range(256)
)
_OPNAME = tuple(opcode_name(i) for i in range(16))

_DISPLAY = int(Qt.ItemDataRole.DisplayRole)
_DECORATION = int(Qt.ItemDataRole.DecorationRole)
_TOOLTIP = int(Qt.ItemDataRole.ToolTipRole)
_FONT = int(Qt.ItemDataRole.FontRole)
_ALIGN = int(Qt.ItemDataRole.TextAlignmentRole)
_BACKGROUND = int(Qt.ItemDataRole.BackgroundRole)
_FOREGROUND = int(Qt.ItemDataRole.ForegroundRole)
_ACCESSIBLE = int(Qt.ItemDataRole.AccessibleTextRole)

_RIGHT = int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
_CENTER = int(Qt.AlignmentFlag.AlignCenter)
_LEFT = int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
_ALIGNMENTS = (_RIGHT, _RIGHT, _LEFT, _CENTER, _CENTER, _LEFT, _CENTER, _LEFT, _RIGHT, _LEFT)


def _and(a: bytes, b: bytes) -> bytes:
    """Bytewise AND of two equal-length 0/1 masks, through big integers (C speed)."""
    return (int.from_bytes(a, "little") & int.from_bytes(b, "little")).to_bytes(len(a), "little")


def _sanitize(text: str) -> str:
    return text.translate(_CTRL)


def close_summary(payload: bytes) -> str:
    """``"1000 Normal closure · bye"`` for a close frame's payload."""
    if not payload:
        return "(no status code)"
    if len(payload) == 1:
        return f"(1-byte payload {payload.hex()}: no room for a code)"
    code = (payload[0] << 8) | payload[1]
    name = close_code_meaning(code).split(":", 1)[0]
    reason = payload[2 : 2 + PREVIEW_CHARS * 4].decode("utf-8", "replace")
    text = f"{code} {name}"
    if reason:
        text += " \u00b7 " + _sanitize(reason[:PREVIEW_CHARS])
    return text


def deflate_negotiated(store: CaptureStore) -> bool:
    """True when the session's handshake agreed on permessage-deflate, so that RSV1 on
    a message's first frame means "compressed" (RFC 7692)."""
    for d in (Direction.IN, Direction.OUT):
        hs = store.handshake(d)
        if hs is not None and hs.extensions and "permessage-deflate" in hs.extensions:
            return True
    return False


class _InvalidIndex(Exception):
    """Raised inside the model's role handlers for an invalid index."""


@dataclass(frozen=True, slots=True)
class FrameFilter:
    """What the timeline shows. ``None`` for ``dirs``/``kinds`` means all of them."""

    dirs: frozenset[Direction] | None = None
    kinds: frozenset[str] | None = None
    hide_ping_pong: bool = False
    violations_only: bool = False
    search: str = ""
    regex: bool = False
    case: bool = False

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


class FrameTableModel(QAbstractTableModel):
    """A table of the frames in a :class:`CaptureStore`, read from its columns.

    Call :meth:`refresh` from a timer to show frames added to the store since the
    last call (one row insert for all of them). :meth:`set_filter` narrows the rows;
    :meth:`store_row` / :meth:`view_row` map between table rows and store rows.
    ``filterError(str)`` reports an invalid search (empty string: the error is gone).
    """

    filterError = Signal(str)
    filterChanged = Signal()

    #: The standard warning icon, shared by every model (made on first use).
    _warning_icon: ClassVar[QIcon | None] = None
    _mono_font: ClassVar[QFont | None] = None

    def __init__(self, store: CaptureStore | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._store: CaptureStore | None = store
        self._seen = len(store) if store is not None else 0  # store rows the model knows
        self._visible: array[int] | None = None  # filtered store rows; None: all rows
        self._filter = FrameFilter()
        self._wall_clock = False
        self._previews: dict[int, str] = {}
        self._fragment_icons: tuple[QIcon, ...] | None = None
        self._roles: dict[int, Callable[[QModelIndex], Any]] = {
            _DISPLAY: self._display,
            _FOREGROUND: self._foreground,
            _BACKGROUND: self._background,
            _ALIGN: self._alignment,
            _FONT: self._font,
            _DECORATION: self._decoration,
            _TOOLTIP: self._tooltip,
            _ACCESSIBLE: self._accessible,
            STORE_ROW_ROLE: self._store_row_of,
            FRAGMENT_ROLE: self._fragment,
        }
        self._columns: tuple[Callable[[int], str], ...] = (
            self._col_row,
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
        self.update_theme()

    # ------------------------------------------------------------ the store
    @property
    def store(self) -> CaptureStore | None:
        return self._store

    def set_store(self, store: CaptureStore | None) -> None:
        """Show ``store`` (None: nothing); the current filter applies to it."""
        self.beginResetModel()
        self._store = store
        self._seen = len(store) if store is not None else 0
        self._previews.clear()
        self._visible = self._compute_all() if self._filter.active else None
        self.endResetModel()

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
        rows = self._match_range(start, n)
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
        """Replace the filter. Returns None, or an error message (an invalid regular
        expression, an unknown kind) in which case the filter is left as it was and
        ``filterError`` is emitted. Every criterion given must hold for a row to show.

        ``dirs``: directions to show (:class:`Direction` or "in"/"out"); ``kinds``:
        any of :data:`KINDS`; ``search``: text (or a regex) in the payload, or in the
        reassembled message of a fragmented or compressed message's last frame."""
        try:
            new = FrameFilter(
                dirs=None if dirs is None else frozenset(Direction(d) for d in dirs),
                kinds=None if kinds is None else frozenset(kinds),
                hide_ping_pong=hide_ping_pong,
                violations_only=violations_only,
                search=search,
                regex=regex,
                case=case,
            )
            if new.kinds is not None and not new.kinds <= KINDS.keys():
                raise ValueError(f"unknown kind(s): {', '.join(sorted(new.kinds - KINDS.keys()))}")
            if search and regex:
                re.compile(search)  # the store compiles it the same way (bytes for ASCII)
                if self._store is not None:
                    self._store.search(search, regex=True, case=case, rows=array("q"))
        except re.error as exc:
            return self._filter_error(f"Invalid regular expression: {exc}")
        except ValueError as exc:
            return self._filter_error(str(exc))
        if new.kinds is not None and len(new.kinds) == len(KINDS):
            new = FrameFilter(
                new.dirs, None, new.hide_ping_pong, new.violations_only, search, regex, case
            )
        self.filterError.emit("")
        if new == self._filter:
            return None
        self.beginResetModel()
        self._filter = new
        if self._store is not None:
            self._seen = len(self._store)
        self._visible = self._compute_all() if new.active else None
        self.endResetModel()
        self.filterChanged.emit()
        return None

    def clear_filter(self) -> None:
        self.set_filter()

    def _filter_error(self, message: str) -> str:
        self.filterError.emit(message)
        return message

    def _compute_all(self) -> array[int]:
        """Visible rows for the whole store, with the store's column-wide filters."""
        store = self._store
        f = self._filter
        if store is None:
            return array("q")
        rows: array[int] | None = None
        if f.selects:
            rows = store.select(dirs=f.dirs, opcodes=f.opcodes(), violations_only=f.violations_only)
        if f.search:
            rows = store.search(f.search, regex=f.regex, case=f.case, rows=rows)
        return rows if rows is not None else array("q", range(len(store)))

    def _match_range(self, start: int, end: int) -> array[int]:
        """The rows in [start, end) that pass the filter: the same tests as
        :meth:`_compute_all` on column slices, so a live capture costs O(new rows)."""
        store = self._store
        assert store is not None
        f = self._filter
        mask: bytes | None = None
        ops = f.opcodes()
        if ops is not None:
            table = bytes(1 if b & 0x0F in ops else 0 for b in range(256))
            mask = store.b0[start:end].tobytes().translate(table)
        if f.dirs is not None and len(f.dirs) < 2:
            codes = {0 if d is Direction.OUT else 1 for d in f.dirs}
            table = bytes(1 if b in codes else 0 for b in range(256))
            dmask = store.dir[start:end].tobytes().translate(table)
            mask = dmask if mask is None else _and(mask, dmask)
        candidates: Iterable[int] = (
            range(start, end) if mask is None else compress(range(start, end), mask)
        )
        if f.violations_only:
            candidates = filter(store.violations.__contains__, candidates)
        rows = array("q", candidates)
        if f.search and rows:
            messages = bool(store.messages) and not store.messages.keys().isdisjoint(rows)
            rows = store.search(f.search, regex=f.regex, case=f.case, rows=rows, messages=messages)
        return rows

    # ------------------------------------------------------------- options
    @property
    def wall_clock(self) -> bool:
        return self._wall_clock

    def set_wall_clock(self, on: bool) -> None:
        """Show wall-clock times (from the session's start) instead of seconds."""
        if on != self._wall_clock:
            self._wall_clock = on
            n = self.rowCount()
            if n:
                self.dataChanged.emit(
                    self.index(0, COL_TIME), self.index(n - 1, COL_TIME), [_DISPLAY]
                )
            self.headerDataChanged.emit(Qt.Orientation.Horizontal, COL_TIME, COL_TIME)

    def update_theme(self) -> None:
        """Rebuild the cached brushes from the application palette (call on a
        palette change)."""
        th = theme.current()
        self._fg_out = QBrush(th.outgoing)
        self._fg_in = QBrush(th.incoming)
        self._fg_fragment = QBrush(th.fragment)
        self._fg_control = QBrush(th.control)
        self._fg_violation = QBrush(th.violation)
        self._bg = (QBrush(th.outgoing_tint), QBrush(th.incoming_tint))
        self._bg_violation = QBrush(th.violation_tint)
        if FrameTableModel._mono_font is None:
            FrameTableModel._mono_font = theme.monospace_font()
        n = self.rowCount()
        if n:
            self.dataChanged.emit(self.index(0, 0), self.index(n - 1, len(COLUMNS) - 1))

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
            return _COLUMN_TIPS[section]
        if role == _ALIGN:
            return _ALIGNMENTS[section]
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

    def _store_row_of(self, index: QModelIndex) -> int:
        return self._row_of(index)

    def _display(self, index: QModelIndex) -> str:
        return self._columns[index.column()](self._row_of(index))

    def _alignment(self, index: QModelIndex) -> int | None:
        c = index.column()
        return _ALIGNMENTS[c] if c >= 0 else None

    def _font(self, index: QModelIndex) -> QFont | None:
        c = index.column()
        return self._mono_font if c in (COL_KEY, COL_RSV) else None

    def _foreground(self, index: QModelIndex) -> QBrush | None:
        c = index.column()
        store = self._store
        assert store is not None
        if c == COL_DIR:
            return self._fg_in if store.dir[self._row_of(index)] else self._fg_out
        if c == COL_OPCODE:
            r = self._row_of(index)
            op = store.b0[r] & 0x0F
            if op & 0x08:
                return self._fg_control
            ms = store.msg_start[r]
            if ms >= 0 and (ms != r or not store.b0[r] & 0x80):
                return self._fg_fragment
        return None

    def _background(self, index: QModelIndex) -> QBrush:
        store = self._store
        assert store is not None
        r = self._row_of(index)
        if r in store.violations:
            return self._bg_violation
        return self._bg[store.dir[r]]

    def set_fragment_icons(self, icons: tuple[QIcon, ...] | None) -> None:
        """Icons the Opcode column shows by :data:`FRAGMENT_ROLE` position (see
        :func:`fragment_icons`); None: no brackets."""
        self._fragment_icons = icons
        n = self.rowCount()
        if n:
            self.dataChanged.emit(
                self.index(0, COL_OPCODE), self.index(n - 1, COL_OPCODE), [_DECORATION]
            )

    def _decoration(self, index: QModelIndex) -> QIcon | None:
        c = index.column()
        if c == COL_OPCODE:
            icons = self._fragment_icons
            if icons is None:
                return None
            return icons[self.fragment_position(self._row_of(index))]
        if c != COL_ROW:
            return None
        store = self._store
        assert store is not None
        if self._row_of(index) not in store.violations:
            return None
        icon = FrameTableModel._warning_icon
        if icon is None:
            style = QApplication.style()
            icon = FrameTableModel._warning_icon = style.standardIcon(
                QStyle.StandardPixmap.SP_MessageBoxWarning
            )
        return icon

    def _tooltip(self, index: QModelIndex) -> str | None:
        store = self._store
        assert store is not None
        r = self._row_of(index)
        found = store.violations.get(r)
        lines: list[str] = []
        if found:
            lines.append(f"{len(found)} violation{'s' if len(found) > 1 else ''}:")
            lines.extend(f"\u2022 {v.rule.rfc} {v.rule.slug}: {v.message}" for v in found)
        c = index.column()
        if c == COL_PAYLOAD:
            if lines:
                lines.append("")
            lines.append(self._long_preview(r))
        elif c == COL_OPCODE:
            pos = self.fragment_position(r)
            if pos == INSIDE_MESSAGE:
                lines.append("A control frame sent between two fragments of a message")
            elif pos:
                first = store.msg_start[r]
                lines.append(
                    f"{_FRAGMENT_GLYPHS[pos]} {_FRAGMENT_WORDS[pos].capitalize()} of the "
                    f"{_OPNAME[store.b0[first] & 0x0F]} message that starts at row {first}"
                )
        elif c == COL_ROW and not lines:
            where = "sent" if store.dir[r] == 0 else "received"
            lines.append(
                f"Frame #{store.seq[r]} of the {where} stream, at byte {store.offset[r]:,}"
            )
        return "\n".join(lines) if lines else None

    def _accessible(self, index: QModelIndex) -> str | None:
        c = index.column()
        if c == COL_DIR:
            store = self._store
            assert store is not None
            return "received" if store.dir[self._row_of(index)] else "sent"
        if c == COL_ROW:
            store = self._store
            assert store is not None
            r = self._row_of(index)
            found = store.violations.get(r)
            if found:
                return f"{r}, {len(found)} violations"
        elif c == COL_OPCODE:
            r = self._row_of(index)
            pos = self.fragment_position(r)
            if pos:
                return f"{self._col_opcode(r)}, {_FRAGMENT_WORDS[pos]}"
        return None

    # ------------------------------------------------------- column texts
    def _col_row(self, r: int) -> str:
        return str(r)

    def _col_time(self, r: int) -> str:
        store = self._store
        assert store is not None
        t = store.t[r]
        if self._wall_clock:
            stamp = datetime.fromtimestamp(store.session.started_unix + t)
            return stamp.strftime("%H:%M:%S.%f")[:-3]
        return f"{t:.6f}"

    def _col_dir(self, r: int) -> str:
        store = self._store
        assert store is not None
        return "\u2193 in" if store.dir[r] else "\u2191 out"

    def _col_fin(self, r: int) -> str:
        store = self._store
        assert store is not None
        return "1" if store.b0[r] & 0x80 else "0"

    def _col_rsv(self, r: int) -> str:
        store = self._store
        assert store is not None
        return _RSV_TEXT[store.b0[r]]

    def _col_opcode(self, r: int) -> str:
        store = self._store
        assert store is not None
        return _OPNAME[store.b0[r] & 0x0F]

    def fragment_position(self, r: int) -> int:
        """Where store row ``r`` sits in a fragmented message (``*_FRAGMENT`` or 0)."""
        store = self._store
        assert store is not None
        ms = store.msg_start[r]
        if ms < 0:
            if store.b0[r] & 0x08:
                # A control frame inside a fragmented message of its direction?
                d = store.dir[r]
                dirs = store.dir
                b0 = store.b0
                for prev in range(r - 1, max(-1, r - _INSIDE_LOOKBACK), -1):
                    if dirs[prev] == d and not b0[prev] & 0x08:
                        if store.msg_start[prev] >= 0 and not b0[prev] & 0x80:
                            return INSIDE_MESSAGE
                        return 0
            return 0
        fin = store.b0[r] & 0x80
        if ms == r:
            return 0 if fin else FIRST_FRAGMENT
        return LAST_FRAGMENT if fin else MIDDLE_FRAGMENT

    def _fragment(self, index: QModelIndex) -> int:
        return self.fragment_position(self._row_of(index))

    def _col_mask(self, r: int) -> str:
        store = self._store
        assert store is not None
        return "1" if store.b1[r] & 0x80 else "0"

    def _col_key(self, r: int) -> str:
        store = self._store
        assert store is not None
        return f"{store.mask_key[r]:08x}" if store.b1[r] & 0x80 else ""

    def _col_length(self, r: int) -> str:
        store = self._store
        assert store is not None
        return f"{store.length[r]:,}"

    def _col_payload(self, r: int) -> str:
        cached = self._previews.get(r)
        if cached is None:
            cached = self._preview(r, PREVIEW_CHARS)
            previews = self._previews
            if len(previews) >= _PREVIEW_CACHE:
                previews.clear()
            previews[r] = cached
        return cached

    def _deflate_negotiated(self) -> bool:
        return self._store is not None and deflate_negotiated(self._store)

    def _long_preview(self, r: int) -> str:
        return self._preview(r, 600)

    def _preview(self, r: int, limit: int) -> str:
        """A one-line preview of at most ``limit`` characters; reads at most
        ``4 * limit`` payload bytes, whatever the payload's size."""
        store = self._store
        assert store is not None
        payload = store.payloads[r]
        declared = store.length[r]
        b0 = store.b0[r]
        op = b0 & 0x0F
        if not payload:
            if declared:
                return f"(payload not kept: {declared:,} bytes)"
            return "(empty)"
        more = len(payload) < declared
        if op == 0x8:
            return close_summary(payload[: 2 + limit * 4])
        prefix = ""
        kind = op
        ms = store.msg_start[r]
        if op == 0:
            kind = store.b0[ms] & 0x0F if ms >= 0 else 0
        msg = store.messages.get(r)
        if msg is not None and msg.message.compressed:
            data = msg.message.data
            prefix = f"\u21f2 {len(data):,} B inflated: "
            payload = data
            kind = msg.message.opcode
            more = False
        elif ms >= 0 and store.b0[ms] & 0x40 and self._deflate_negotiated():
            prefix = "(deflate) "
            kind = 2
        if kind == 0x1 or op in (0x9, 0xA):
            head = payload[: limit * 4]
            text: str | None
            if kind == 0x1:
                # A fragment may start or end inside a character: show what decodes.
                text = head.decode("utf-8", "replace")
            else:
                try:
                    text = head.decode("utf-8")
                except UnicodeDecodeError:
                    text = None
                if text is not None and not text.isprintable():
                    text = None
            if text is not None:
                cut = len(text) > limit or len(payload) > len(head) or more
                return prefix + _sanitize(text[:limit]) + ("\u2026" if cut else "")
        n = max(4, (limit - len(prefix)) // 3)
        hexed = payload[:n].hex(" ")
        return prefix + hexed + (" \u2026" if len(payload) > n or more else "")


def fragment_icons(width: int, height: int, color: QColor) -> tuple[QIcon, ...]:
    """Icons for :data:`FRAGMENT_ROLE` positions (index 0: a blank one that keeps the
    text aligned): a bracket joining a fragmented message's frames from row to row,
    \u250c first, \u2502 middle, \u2514 last, dotted past a control frame sent in
    between. Drawn by Qt as decorations, so they cost no Python per painted cell."""
    icons = []
    x = width // 2
    mid = height // 2
    for pos in range(5):
        pixmap = QPixmap(width, height)
        pixmap.fill(Qt.GlobalColor.transparent)
        if pos:
            p = QPainter(pixmap)
            if pos == INSIDE_MESSAGE:
                p.setPen(QPen(color, 1, Qt.PenStyle.DotLine))
                p.drawLine(x, 0, x, height)
            else:
                p.setPen(QPen(color, 2))
                top = mid if pos == FIRST_FRAGMENT else 0
                bottom = mid if pos == LAST_FRAGMENT else height
                p.drawLine(x, top, x, bottom)
                if pos != MIDDLE_FRAGMENT:
                    p.drawLine(x, mid, width, mid)
            p.end()
        icons.append(QIcon(pixmap))
    return tuple(icons)


class _FilterLineEdit(QLineEdit):
    """The search field; Escape clears it."""

    def keyPressEvent(self, event: Any) -> None:
        if event.key() == Qt.Key.Key_Escape and self.text():
            self.clear()
            return
        super().keyPressEvent(event)


def _tool_button(
    parent: QWidget, name: str, text: str, accessible: str, tip: str, checkable: bool = True
) -> QToolButton:
    button = QToolButton(parent)
    button.setObjectName(name)
    button.setText(text)
    button.setAccessibleName(accessible)
    button.setToolTip(tip)
    button.setCheckable(checkable)
    button.setAutoRaise(False)
    button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
    return button


class _FrameTable(QTableView):
    """The timeline's table; it measures its repaints (:attr:`paint_seconds`), the
    main cost of showing new rows, so that a controller can space its updates."""

    paint_seconds = 0.0

    def paintEvent(self, e: QPaintEvent) -> None:
        t = time.perf_counter()
        super().paintEvent(e)
        self.paint_seconds = time.perf_counter() - t


class TimelineView(QWidget):
    """The frame timeline: filter bar, table, follow-tail indicator.

    ``frameSelected(int)`` carries the STORE row of the selected frame (-1 when the
    selection is cleared). Call :meth:`refresh` from the controller's poll timer (or
    :meth:`FrameTableModel.refresh` on :attr:`model`).
    """

    frameSelected = Signal(int)
    followChanged = Signal(bool)

    SEARCH_DEBOUNCE_MS = 150

    def __init__(self, store: CaptureStore | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("timelineView")
        self.setAccessibleName("Frame timeline")
        self._model = FrameTableModel(store, self)
        self._following = True
        self._new_while_paused = 0
        self._selected = -1  # store row
        self._was_following = True
        self._resetting = False
        self._build()
        self._connect()
        self._update_follow_indicator()
        self._update_status()

    # -------------------------------------------------------------- building
    def _build(self) -> None:
        bar = QWidget(self)
        bar.setObjectName("timelineFilterBar")
        row = QHBoxLayout(bar)
        row.setContentsMargins(4, 4, 4, 4)
        row.setSpacing(4)

        self.out_button = _tool_button(
            bar, "filterOut", "\u2191 Out", "Show sent frames", "Show frames we sent"
        )
        self.in_button = _tool_button(
            bar, "filterIn", "\u2193 In", "Show received frames", "Show frames the peer sent"
        )
        for b in (self.out_button, self.in_button):
            b.setChecked(True)
            row.addWidget(b)

        self.kinds_button = _tool_button(
            bar,
            "filterKinds",
            "Kinds",
            "Frame kinds to show",
            "Choose the frame kinds shown",
            checkable=False,
        )
        self.kinds_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        menu = QMenu(self.kinds_button)
        menu.setObjectName("filterKindsMenu")
        menu.setAccessibleName("Frame kinds")
        self.kind_actions = {}
        for kind, label in (
            ("text", "Text"),
            ("binary", "Binary"),
            ("continuation", "Continuation"),
            ("control", "Control (close, ping, pong)"),
            ("reserved", "Reserved opcodes"),
        ):
            action = menu.addAction(label)
            action.setObjectName(f"kind_{kind}")
            action.setCheckable(True)
            action.setChecked(True)
            self.kind_actions[kind] = action
        self.kinds_button.setMenu(menu)
        row.addWidget(self.kinds_button)

        self.ping_button = _tool_button(
            bar,
            "filterHidePingPong",
            "Hide ping/pong",
            "Hide ping and pong frames",
            "Hide PING and PONG frames",
        )
        row.addWidget(self.ping_button)
        self.violations_button = _tool_button(
            bar,
            "filterViolations",
            "\u26a0 Violations only",
            "Show only violations",
            "Show only frames that break a rule",
        )
        row.addWidget(self.violations_button)

        self.search_edit = _FilterLineEdit(bar)
        self.search_edit.setObjectName("filterSearch")
        self.search_edit.setAccessibleName("Search payloads")
        self.search_edit.setPlaceholderText("Search payloads\u2026")
        self.search_edit.setClearButtonEnabled(True)
        for clear in self.search_edit.findChildren(QToolButton):
            clear.setObjectName("filterSearchClear")
            clear.setAccessibleName("Clear the search")
        self.search_edit.setToolTip(
            "Find frames whose payload (or reassembled message) contains this text"
        )
        self.search_edit.setMinimumWidth(160)
        self.search_edit.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        row.addWidget(self.search_edit, 1)
        self.regex_button = _tool_button(
            bar,
            "filterRegex",
            ".*",
            "Regular expression",
            "Treat the search as a regular expression",
        )
        self.case_button = _tool_button(
            bar, "filterCase", "Aa", "Match case", "Match upper and lower case exactly"
        )
        row.addWidget(self.regex_button)
        row.addWidget(self.case_button)

        self.clock_button = _tool_button(
            bar,
            "timeWallClock",
            "Clock",
            "Show wall-clock times",
            "Show wall-clock times instead of seconds since the start",
        )
        row.addWidget(self.clock_button)

        status = QWidget(self)
        status.setObjectName("timelineStatusBar")
        srow = QHBoxLayout(status)
        srow.setContentsMargins(4, 0, 4, 2)
        srow.setSpacing(6)
        self.status_label = QLabel(status)
        self.status_label.setObjectName("timelineStatus")
        self.status_label.setAccessibleName("Frame count")
        self.status_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.error_label = QLabel(status)
        self.error_label.setObjectName("filterError")
        self.error_label.setAccessibleName("Filter error")
        self.error_label.setVisible(False)
        self.error_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.follow_button = _tool_button(
            status,
            "followButton",
            "",
            "Follow new frames",
            "Keep the newest frame in view; scroll up to pause",
        )
        self.follow_button.setAutoRaise(True)
        srow.addWidget(self.status_label)
        srow.addWidget(self.error_label, 1)
        srow.addStretch(0)
        srow.addWidget(self.follow_button)

        self.table: QTableView = _FrameTable(self)
        table = self.table
        table.setObjectName("frameTable")
        table.setAccessibleName("Frames")
        table.setModel(self._model)
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.setWordWrap(False)
        table.setTextElideMode(Qt.TextElideMode.ElideRight)
        table.setShowGrid(False)
        table.setSortingEnabled(False)
        table.setCornerButtonEnabled(False)
        table.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerItem)
        table.setHorizontalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        fm = QFontMetrics(table.font())
        row_height = fm.height() + 6
        # Icons as tall as a row, so the fragment brackets join from row to row; the
        # warning icon keeps its aspect ratio inside.
        table.setIconSize(QSize(_BRACKET_WIDTH, row_height))
        vh = table.verticalHeader()
        vh.setVisible(False)
        vh.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        vh.setMinimumSectionSize(1)
        vh.setDefaultSectionSize(row_height)
        hh = table.horizontalHeader()
        hh.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        hh.setStretchLastSection(True)
        hh.setHighlightSections(False)
        hh.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        mono = QFontMetrics(theme.monospace_font())
        # Narrow fixed columns leave the width to the payload preview, the column
        # people read most; every width is still interactive.
        pad = 12
        widths = {
            COL_ROW: fm.horizontalAdvance("000000") + 14 + pad,
            COL_TIME: fm.horizontalAdvance("00:00:00.000") + pad,
            COL_DIR: fm.horizontalAdvance("\u2193 out") + pad,
            COL_FIN: fm.horizontalAdvance("FIN") + pad,
            COL_RSV: max(mono.horizontalAdvance("123"), fm.horizontalAdvance("RSV")) + pad,
            # Every opcode's name in full, a reserved one's included (what a broken peer
            # sends), beside the fragment bracket and its spacing.
            COL_OPCODE: max(map(fm.horizontalAdvance, _OPNAME)) + _BRACKET_WIDTH + pad + 4,
            COL_MASK: fm.horizontalAdvance("MASK") + pad,
            COL_KEY: mono.horizontalAdvance("00000000") + pad,
            COL_LENGTH: fm.horizontalAdvance("0,000,000") + pad,
        }
        for col, w in widths.items():
            table.setColumnWidth(col, w)
        self._install_fragment_icons()

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(bar)
        layout.addWidget(table, 1)
        layout.addWidget(status)

        self._debounce = QTimer(self)
        self._debounce.setObjectName("filterDebounce")
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(self.SEARCH_DEBOUNCE_MS)

    def _connect(self) -> None:
        m = self._model
        m.rowsInserted.connect(self._on_rows_inserted)
        m.modelAboutToBeReset.connect(self._on_about_to_reset)
        m.modelReset.connect(self._on_reset)
        m.filterError.connect(self._on_filter_error)
        sel = self.table.selectionModel()
        sel.selectionChanged.connect(self._on_selection_changed)
        bar = self.table.verticalScrollBar()
        bar.rangeChanged.connect(self._on_range_changed)
        bar.valueChanged.connect(self._on_scrolled)
        for b in (
            self.out_button,
            self.in_button,
            self.ping_button,
            self.violations_button,
            self.regex_button,
            self.case_button,
        ):
            b.toggled.connect(self._apply_filter)
        for action in self.kind_actions.values():
            action.toggled.connect(self._apply_filter)
            action.toggled.connect(self._update_kinds_label)
        self.search_edit.textChanged.connect(self._debounce.start)
        self.search_edit.returnPressed.connect(self._apply_now)
        self._debounce.timeout.connect(self._apply_filter)
        self.follow_button.clicked.connect(self._on_follow_clicked)
        self.clock_button.toggled.connect(self._model.set_wall_clock)

    # ------------------------------------------------------------ public API
    @property
    def model(self) -> FrameTableModel:
        return self._model

    @property
    def following(self) -> bool:
        return self._following

    @property
    def paint_seconds(self) -> float:
        """How long the table's last repaint took (0 before the first)."""
        table = self.table
        return table.paint_seconds if isinstance(table, _FrameTable) else 0.0

    def set_store(self, store: CaptureStore | None) -> None:
        """Show ``store`` (None: nothing); the filter stays, the selection is cleared
        (``frameSelected(-1)`` if there was one) and following starts again."""
        had_selection = self._selected >= 0
        self._selected = -1
        self._following = True
        self._new_while_paused = 0
        self._model.set_store(store)
        self._update_follow_indicator()
        self._update_status()
        if had_selection:
            self.frameSelected.emit(-1)

    @Slot(result=int)
    def refresh(self) -> int:
        """Take in the frames added to the store since the last call."""
        n = self._model.refresh()
        self._update_status()
        return n

    @Slot()
    def focus_filter(self) -> None:
        """Put the keyboard focus in the search field (for a Ctrl+F shortcut)."""
        self.search_edit.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search_edit.selectAll()

    @Slot(bool)
    def set_following(self, on: bool) -> None:
        """Follow the newest frame (scrolling to it now) or stop following."""
        if on:
            self._new_while_paused = 0
            self._set_following(True)
            self.table.scrollToBottom()
        else:
            self._set_following(False)

    @Slot()
    def jump_to_latest(self) -> None:
        self.set_following(True)

    @Slot(int)
    def select_store_row(self, store_row: int) -> bool:
        """Select the frame at ``store_row`` and scroll to it; False when it is
        filtered out (or unknown)."""
        view_row = self._model.view_row(store_row)
        if view_row is None:
            return False
        index = self._model.index(view_row, 0)
        self.table.setCurrentIndex(index)
        self.table.scrollTo(index, QAbstractItemView.ScrollHint.PositionAtCenter)
        return True

    def selected_store_row(self) -> int:
        return self._selected

    # -------------------------------------------------------------- filtering
    @Slot()
    def _apply_now(self) -> None:
        self._debounce.stop()
        self._apply_filter()

    @Slot()
    def _apply_filter(self) -> None:
        self._debounce.stop()
        dirs = [
            d
            for d, b in ((Direction.OUT, self.out_button), (Direction.IN, self.in_button))
            if b.isChecked()
        ]
        kinds = [k for k, a in self.kind_actions.items() if a.isChecked()]
        self._model.set_filter(
            dirs=None if len(dirs) == 2 else dirs,
            kinds=None if len(kinds) == len(self.kind_actions) else kinds,
            hide_ping_pong=self.ping_button.isChecked(),
            violations_only=self.violations_button.isChecked(),
            search=self.search_edit.text(),
            regex=self.regex_button.isChecked(),
            case=self.case_button.isChecked(),
        )
        self._update_status()

    @Slot()
    def _update_kinds_label(self) -> None:
        n = sum(a.isChecked() for a in self.kind_actions.values())
        self.kinds_button.setText("Kinds" if n == len(self.kind_actions) else f"Kinds ({n})")

    @Slot(str)
    def _on_filter_error(self, message: str) -> None:
        self.error_label.setText(message)
        self.error_label.setVisible(bool(message))
        if message:
            th = theme.current()
            self.error_label.setStyleSheet(f"color: {th.violation.name()};")
            self.search_edit.setStyleSheet(
                f"QLineEdit {{ border: 1px solid {th.violation.name()}; }}"
            )
            self.search_edit.setToolTip(message)
        else:
            self.search_edit.setStyleSheet("")
            self.search_edit.setToolTip(
                "Find frames whose payload (or reassembled message) contains this text"
            )

    # ------------------------------------------------------------ follow-tail
    def _set_following(self, on: bool) -> None:
        if on != self._following:
            self._following = on
            if on:
                self._new_while_paused = 0
            self.followChanged.emit(on)
        self._update_follow_indicator()

    def _at_bottom(self) -> bool:
        bar = self.table.verticalScrollBar()
        return bar.value() >= bar.maximum()

    @Slot(QModelIndex, int, int)
    def _on_rows_inserted(self, parent: QModelIndex, first: int, last: int) -> None:
        if self._following:
            self.table.scrollToBottom()
        else:
            self._new_while_paused += last - first + 1
            self._update_follow_indicator()

    @Slot(int, int)
    def _on_range_changed(self, low: int, high: int) -> None:
        if self._following and not self._resetting:
            self.table.verticalScrollBar().setValue(high)

    @Slot(int)
    def _on_scrolled(self, value: int) -> None:
        if self._resetting:
            return
        self._set_following(value >= self.table.verticalScrollBar().maximum())

    @Slot()
    def _on_follow_clicked(self) -> None:
        self.set_following(not self._following or self.follow_button.isChecked())

    def _update_follow_indicator(self) -> None:
        b = self.follow_button
        b.blockSignals(True)
        b.setChecked(self._following)
        b.blockSignals(False)
        if self._following:
            b.setText("\u25cf Following")
            b.setToolTip("Showing the newest frames as they arrive; scroll up to pause")
            b.setAccessibleName("Following new frames")
        else:
            n = self._new_while_paused
            b.setText(f"Paused \u2014 {n:,} new \u00b7 Jump to latest \u2913")
            b.setToolTip("Following is paused; click to jump to the newest frame")
            b.setAccessibleName(f"Paused, {n} new frames; jump to latest")

    # -------------------------------------------------------------- selection
    @Slot(QItemSelection, QItemSelection)
    def _on_selection_changed(self, selected: QItemSelection, deselected: QItemSelection) -> None:
        if self._resetting:
            return
        rows = self.table.selectionModel().selectedRows()
        store_row = self._model.store_row(rows[0].row()) if rows else -1
        if store_row == self._selected:
            return
        self._selected = store_row
        if store_row >= 0 and rows and rows[0].row() < self._model.rowCount() - 1:
            # Looking at a frame: stop it from scrolling away.
            self._set_following(False)
        self.frameSelected.emit(store_row)

    @Slot()
    def _on_about_to_reset(self) -> None:
        self._resetting = True
        self._was_following = self._following

    @Slot()
    def _on_reset(self) -> None:
        try:
            # Qt lays the view out again after a reset; do it now so the scroll
            # range is right before the position is restored.
            self.table.doItemsLayout()
            view_row = self._model.view_row(self._selected) if self._selected >= 0 else None
            if view_row is not None:
                index = self._model.index(view_row, 0)
                self.table.selectionModel().setCurrentIndex(
                    index,
                    QItemSelectionModel.SelectionFlag.ClearAndSelect
                    | QItemSelectionModel.SelectionFlag.Rows,
                )
                self.table.scrollTo(index, QAbstractItemView.ScrollHint.PositionAtCenter)
            elif self._selected >= 0:
                self._selected = -1
                self.frameSelected.emit(-1)
            self._following = self._was_following
            self._new_while_paused = 0
            if self._following:
                self.table.scrollToBottom()
        finally:
            self._resetting = False
        self._update_follow_indicator()
        self._update_status()

    def _update_status(self) -> None:
        m = self._model
        total = m.total_count()
        shown = m.visible_count()
        if m.filter.active:
            self._set_status_text(f"{shown:,} of {total:,} frames")
        else:
            self._set_status_text(f"{total:,} frame{'s' if total != 1 else ''}")

    def _set_status_text(self, text: str) -> None:
        """Show the frame count, which changes on every tick of a flood, without a
        layout pass: a label whose size can change makes Qt lay out every widget up
        to the main window again and repaint them all (measured: the whole window
        repainted on each tick, ~25% of the ingest rate lost). So the label has a
        fixed size, grown (with room for a few more digits) only when a text does
        not fit, and reset when the font changes."""
        label = self.status_label
        if text == label.text():
            return
        label.setText(text)
        hint = label.sizeHint()
        if hint.width() > label.maximumWidth() or hint.height() != label.maximumHeight():
            room = label.fontMetrics().horizontalAdvance("0,000")
            label.setFixedSize(hint.width() + room, hint.height())

    def changeEvent(self, e: QEvent) -> None:
        kind = e.type()
        if kind == QEvent.Type.PaletteChange:
            self._model.update_theme()
            self._install_fragment_icons()
        elif kind == QEvent.Type.FontChange or kind == QEvent.Type.StyleChange:
            label = self.status_label
            label.setMinimumSize(0, 0)
            label.setMaximumSize(_QWIDGETSIZE_MAX, _QWIDGETSIZE_MAX)
            text = label.text()
            label.clear()
            self._set_status_text(text)
        super().changeEvent(e)

    def _install_fragment_icons(self) -> None:
        size = self.table.iconSize()
        self._model.set_fragment_icons(
            fragment_icons(size.width(), size.height(), theme.current().fragment)
        )
