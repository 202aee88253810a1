"""The frame timeline widget: filter bar, table, follow-tail indicator.

:class:`TimelineView` follows the tail of a live capture while the user is at the
bottom, and keeps the frame the user selected: a filter that hides it (or Escape,
which clears the search) does not take it from the detail pane, and it is selected
again when a filter shows it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import (
    QEvent,
    QItemSelection,
    QItemSelectionModel,
    QModelIndex,
    QSize,
    Qt,
    Signal,
    Slot,
)
from PySide6.QtGui import QFontMetrics, QPainter, QPaintEvent, QPalette, QResizeEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMenu,
    QSizePolicy,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from ..widgets import theme
from ..widgets.viewport import plain_viewport
from .columns import (
    COL_DIR,
    COL_FIN,
    COL_KEY,
    COL_LENGTH,
    COL_MASK,
    COL_OPCODE,
    COL_PAYLOAD,
    COL_ROW,
    COL_RSV,
    COL_TIME,
    OPNAME,
)
from .delegates import SearchHighlightDelegate
from .filter_bar import FilterBar, tool_button
from .icons import compressed_icon, fragment_icons
from .model import FrameTableModel
from .view_menu import payload_view_menu

if TYPE_CHECKING:
    from ...capture.store import CaptureStore
    from ...views.registry import Registry

__all__ = ["TimelineView"]

_BRACKET_WIDTH = 12
_QWIDGETSIZE_MAX = (1 << 24) - 1
#: Columns a narrow timeline leaves out, first to last, so that the payload keeps
#: room: the masking bits say little row by row (clients mask, servers do not) and
#: the detail pane shows them for the selected frame.
_COMPACT_COLUMNS = (COL_KEY, COL_MASK)
#: The least width the Payload column keeps before a compact column goes.
_MIN_PAYLOAD = 180

NO_FRAMES_HINT = (
    "No frames yet.\nFrames appear here as they cross the connection: send one from "
    "the compose pane below once connected, or open a capture (File \u25b8 Open "
    "capture\u2026)."
)


class _FrameTable(QTableView):
    """The timeline's table. It measures its repaints (:attr:`paint_seconds`), the
    main cost of showing new rows, so that a controller can space its updates; and
    says what to do when it has no row to show (:attr:`empty_hint`)."""

    paint_seconds = 0.0
    empty_hint = ""
    #: Called with the viewport's width when it changes (the view fits its columns).
    on_width: Callable[[int], None] | None = None

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setViewport(plain_viewport(self))

    def resizeEvent(self, e: QResizeEvent) -> None:
        super().resizeEvent(e)
        if self.on_width is not None:
            self.on_width(self.viewport().width())

    def paintEvent(self, e: QPaintEvent) -> None:
        t = time.perf_counter()
        model = self.model()
        if isinstance(model, FrameTableModel):
            # The Summary column fills the rows about to be painted in one call.
            rect = e.rect()
            first = self.rowAt(rect.top())
            last = self.rowAt(rect.bottom())
            if first < 0:
                model.set_painted_rows(-1, -1)
            else:
                model.set_painted_rows(first, last if last >= 0 else model.rowCount() - 1)
        super().paintEvent(e)
        if self.empty_hint and model is not None and model.rowCount() == 0:
            viewport = self.viewport()
            p = QPainter(viewport)
            p.setPen(theme.current(self.palette()).muted)
            area = viewport.rect().adjusted(24, 24, -24, -24)
            flags = int(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop)
            p.drawText(area, flags | int(Qt.TextFlag.TextWordWrap), self.empty_hint)
            p.end()
        self.paint_seconds = time.perf_counter() - t


class TimelineView(QWidget):
    """The frame timeline: filter bar, table, follow-tail indicator.

    ``frameSelected(int)`` carries the STORE row of the selected frame (-1 when the
    selection is cleared, or the store changes). A filter that hides the selected
    frame does not clear it. Call :meth:`refresh` from the controller's poll timer
    (or :meth:`FrameTableModel.refresh` on :attr:`model`).
    """

    frameSelected = Signal(int)
    followChanged = Signal(bool)

    SEARCH_DEBOUNCE_MS = FilterBar.SEARCH_DEBOUNCE_MS

    def __init__(
        self,
        store: CaptureStore | None = None,
        parent: QWidget | None = None,
        registry: Registry | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("timelineView")
        self.setAccessibleName("Frame timeline")
        self._model = FrameTableModel(store, self, registry)
        self._following = True
        self._new_while_paused = 0
        self._selected = -1  # store row, shown in the table or not
        self._was_following = True
        self._resetting = False
        self._highlighter = SearchHighlightDelegate(self)
        self._icons_made = False
        self._build()
        self._connect()
        if self._model.rowCount():
            self._ensure_icons()
        self._update_follow_indicator()
        self._update_status()

    # -------------------------------------------------------------- building
    def _build(self) -> None:
        bar = self.filter_bar = FilterBar(self)
        # The controls, by the names the rest of the window and the tests use.
        self.out_button = bar.out_button
        self.in_button = bar.in_button
        self.kinds_button = bar.kinds_button
        self.kind_actions = bar.kind_actions
        self.ping_button = bar.ping_button
        self.violations_button = bar.violations_button
        self.search_edit = bar.search_edit
        self.regex_button = bar.regex_button
        self.case_button = bar.case_button
        self._debounce = bar._debounce

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
        self.hidden_label = QLabel(status)
        self.hidden_label.setObjectName("selectionHidden")
        self.hidden_label.setAccessibleName("Selected frame hidden")
        self.hidden_label.setVisible(False)
        for label in (self.error_label, self.hidden_label):
            # A long message is cut (its tooltip has it all) rather than widening the
            # window's minimum size.
            label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.clock_button = tool_button(
            status,
            "timeWallClock",
            "Clock",
            "Show wall-clock times",
            "Show wall-clock times instead of seconds since the start",
        )
        self.follow_button = tool_button(
            status,
            "followButton",
            "",
            "Follow new frames",
            "Keep the newest frame in view; scroll up to pause",
        )
        self.follow_button.setAutoRaise(True)
        srow.addWidget(self.status_label)
        srow.addWidget(self.error_label, 1)
        srow.addWidget(self.hidden_label, 1)
        srow.addStretch(0)
        srow.addWidget(self.clock_button)
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
        table.setMinimumWidth(120)
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
        hh.setMinimumSectionSize(fm.horizontalAdvance("00") + 8)
        mono = QFontMetrics(theme.monospace_font())
        # Narrow fixed columns leave the width to the payload preview, the column
        # people read most; every width is still interactive.
        pad = 12
        widths = {
            COL_ROW: fm.horizontalAdvance("000000") + _BRACKET_WIDTH + pad,
            COL_TIME: fm.horizontalAdvance("00:00:00.000") + pad,
            COL_DIR: fm.horizontalAdvance("\u2193 out") + pad,
            COL_FIN: fm.horizontalAdvance("FIN") + pad,
            COL_RSV: max(mono.horizontalAdvance("123"), fm.horizontalAdvance("RSV")) + pad,
            # Every opcode's name in full, a reserved one's included (what a broken peer
            # sends), beside the fragment bracket and its spacing.
            COL_OPCODE: max(map(fm.horizontalAdvance, OPNAME)) + _BRACKET_WIDTH + pad + 4,
            COL_MASK: fm.horizontalAdvance("MASK") + pad,
            COL_KEY: mono.horizontalAdvance("00000000") + pad,
            COL_LENGTH: fm.horizontalAdvance("0,000,000") + pad,
        }
        for col, w in widths.items():
            table.setColumnWidth(col, w)
        self._widths = dict(widths)
        hh.sectionResized.connect(self._on_section_resized)
        if isinstance(table, _FrameTable):
            table.on_width = self._fit_columns

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(bar)
        layout.addWidget(table, 1)
        layout.addWidget(status)

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
        self.filter_bar.changed.connect(self._apply_filter)
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

    @property
    def highlighter(self) -> SearchHighlightDelegate:
        """The delegate that marks search hits in the Payload column."""
        return self._highlighter

    def payload_view_menu(self, parent: QWidget | None = None) -> QMenu:
        """``Show payloads as ▸``: a view forced for this connection (for a context
        menu)."""
        return payload_view_menu(self._model, parent or self.table)

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
        """The selected frame's store row (-1: none), also while a filter hides it."""
        return self._selected

    # -------------------------------------------------------------- filtering
    @Slot()
    def apply_filter_now(self) -> None:
        """Apply the filter bar as it is now (typing is otherwise applied after a
        short pause)."""
        self.filter_bar.apply_now()

    @Slot()
    def _apply_filter(self) -> None:
        criteria = self.filter_bar.criteria()
        self._model.set_filter(**criteria)
        f = self._model.filter
        searching = bool(f.search) and not f.invalid
        self._highlighter.set_search(f.search, regex=f.regex, case=f.case)
        delegate = self._highlighter if searching else None
        if self.table.itemDelegateForColumn(COL_PAYLOAD) is not delegate:
            self.table.setItemDelegateForColumn(COL_PAYLOAD, delegate)  # type: ignore[arg-type]
        self.table.viewport().update()
        self._update_status()

    @Slot(str)
    def _on_filter_error(self, message: str) -> None:
        self.error_label.setText(message)
        self.error_label.setToolTip(message)
        self.error_label.setVisible(bool(message))
        if message:
            th = theme.current()
            self.error_label.setStyleSheet(f"color: {th.violation.name()};")
        self.filter_bar.show_error(message)

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
        self._ensure_icons()
        if self._following:
            self.table.scrollToBottom()
        else:
            self._new_while_paused += last - first + 1
            self._update_follow_indicator()
        if first == 0:
            self.table.viewport().update()  # the empty-state hint goes

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
        self._update_status()
        self.frameSelected.emit(store_row)

    @Slot()
    def _on_about_to_reset(self) -> None:
        self._resetting = True
        self._was_following = self._following

    @Slot()
    def _on_reset(self) -> None:
        if self._model.rowCount():
            self._ensure_icons()
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
            self._following = self._was_following
            self._new_while_paused = 0
            if self._following:
                self.table.scrollToBottom()
        finally:
            self._resetting = False
        self._update_follow_indicator()
        self._update_status()

    # ------------------------------------------------------------------ status
    def _update_status(self) -> None:
        m = self._model
        total = m.total_count()
        shown = m.visible_count()
        f = m.filter
        if f.active:
            self._set_status_text(f"{shown:,} of {total:,} frames")
        else:
            self._set_status_text(f"{total:,} frame{'s' if total != 1 else ''}")
        hidden = self._selected >= 0 and m.view_row(self._selected) is None
        text = f"selected row {self._selected} is hidden by the filter"
        if hidden and text != self.hidden_label.text():
            self.hidden_label.setText(text)
            self.hidden_label.setToolTip(
                f"The detail pane still shows row {self._selected}; change the filter to "
                "see it in the table again"
            )
        self.hidden_label.setVisible(hidden and not f.invalid)
        self._set_empty_hint(total, shown)

    def _set_empty_hint(self, total: int, shown: int) -> None:
        table = self.table
        if not isinstance(table, _FrameTable):
            return
        f = self._model.filter
        if shown:
            hint = ""
        elif f.invalid:
            hint = (
                f"{f.invalid}.\nNo frame is shown until the search is fixed; turn off .* to "
                "search for the text as it is."
            )
        elif total and f.active:
            hint = (
                f"No frame matches the filter.\nClear the search or release the filter "
                f"buttons to see all {total:,} frames."
            )
        elif total:
            hint = ""
        else:
            hint = NO_FRAMES_HINT
        if hint != table.empty_hint:
            table.empty_hint = hint
            table.setAccessibleDescription(hint.replace("\n", " "))
            table.viewport().update()

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
            if self._icons_made:
                self._install_icons()
        elif kind == QEvent.Type.FontChange or kind == QEvent.Type.StyleChange:
            label = self.status_label
            label.setMinimumSize(0, 0)
            label.setMaximumSize(_QWIDGETSIZE_MAX, _QWIDGETSIZE_MAX)
            text = label.text()
            label.clear()
            self._set_status_text(text)
        super().changeEvent(e)

    def _ensure_icons(self) -> None:
        """The rows' icons, drawn when the first row comes: an empty timeline shows
        none (drawing them cost the window's start ~0.8 MiB and ~0.7 ms, measured)."""
        if not self._icons_made:
            self._icons_made = True
            self._install_icons()

    def _install_icons(self) -> None:
        size = self.table.iconSize()
        th = theme.current()
        self._model.set_fragment_icons(fragment_icons(size.width(), size.height(), th.fragment))
        self._model.set_compressed_icon(
            compressed_icon(
                size.width(),
                size.height(),
                th.muted,
                self.table.font(),
                self.table.palette().color(QPalette.ColorRole.HighlightedText),
            )
        )

    # ---------------------------------------------------------------- columns
    @Slot(int, int, int)
    def _on_section_resized(self, col: int, old: int, new: int) -> None:
        if new > 0 and col in self._widths:
            self._widths[col] = new  # a width the user chose is kept while hidden

    def _fit_columns(self, width: int) -> None:
        """Leave out the compact columns, in order, while the Payload column would
        be narrower than :data:`_MIN_PAYLOAD`; bring them back when there is room."""
        table = self.table
        fixed = sum(w for c, w in self._widths.items() if c not in _COMPACT_COLUMNS)
        room = width - fixed
        for col in reversed(_COMPACT_COLUMNS):
            room -= self._widths[col]
        hide: set[int] = set()
        for col in _COMPACT_COLUMNS:
            if room >= _MIN_PAYLOAD:
                break
            hide.add(col)
            room += self._widths[col]
        for col in _COMPACT_COLUMNS:
            if table.isColumnHidden(col) != (col in hide):
                table.setColumnHidden(col, col in hide)
                if col not in hide:
                    table.setColumnWidth(col, self._widths[col])
