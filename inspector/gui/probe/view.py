"""The "Check server" tab: URL, category checkboxes, Run/Stop, a progress bar and
summary line, the results table (:class:`~.model.ProbeResultsModel` behind a filter
proxy: category, grade, text), the expected vs observed behaviour of the selected
case in words, "Open capture" (emits :attr:`ProbeView.captureRequested` with the
case's result; the window opens ``result.store`` read-only), and JSON Lines / HTML
export. The battery itself runs in :class:`~.controller.ProbeController`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from urllib.parse import urlsplit

from PySide6.QtCore import QEvent, QModelIndex, Qt, Signal
from PySide6.QtGui import QFont, QFontMetrics, QResizeEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QFrame,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QSpinBox,
    QSplitter,
    QTableView,
    QTextBrowser,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ...probe import CASES, CATEGORIES, DEFAULT_CONCURRENCY, DEFAULT_TIMEOUT, CaseResult, Grade
from ..session.controller import ConnectOptions
from ..widgets.naming import named
from . import text
from .controller import ProbeController
from .delegates import GradeBadgeDelegate
from .grades import GRADE_COLORS, GRADE_HELP, word_colors
from .model import (
    COL_CATEGORY,
    COL_CLOSE,
    COL_GRADE,
    COL_ID,
    COL_TIME,
    COL_TITLE,
    RESULT_ROLE,
    ProbeFilterModel,
    ProbeResultsModel,
)
from .text import count_grades

__all__ = ["CASE_BY_ID", "CATEGORY_COUNTS", "ProbeView"]

CASE_BY_ID = {case.id: case for case in CASES}
CATEGORY_COUNTS = {c: sum(1 for case in CASES if case.category == c) for c in CATEGORIES}
CATEGORY_RFC = {c: next(case.rfc for case in CASES if case.category == c) for c in CATEGORIES}


class ProbeView(QWidget):
    """The "Check server" tab. ``captureRequested(CaseResult)`` asks the window to
    open a case's capture read-only; ``titleChanged(str)`` updates the tab text."""

    captureRequested = Signal(CaseResult)
    titleChanged = Signal(str)

    def __init__(
        self,
        url: str = "",
        options: ConnectOptions | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("probeView")
        self.setAccessibleName("Check server")
        self.options = options
        self.controller = ProbeController(self)
        self._dialog: QFileDialog | None = None
        self._selected_id: str | None = None
        self._build(url)
        c = self.controller
        c.started.connect(self._on_started)
        c.resultsAdded.connect(self._on_results)
        c.finished.connect(self._on_finished)
        self._update_buttons()
        self._show_detail(None)
        self._built = True

    # -------------------------------------------------------------- building
    def _build(self, url: str) -> None:
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 4)
        layout.setSpacing(6)
        layout.addLayout(self._build_top(url))
        layout.addWidget(self._build_categories())
        layout.addLayout(self._build_progress())
        layout.addLayout(self._build_filters())
        self._build_table()
        layout.addWidget(self._build_detail(), 1)
        self._update_shown()
        self._show_summary()

    def _build_top(self, url: str) -> QHBoxLayout:
        """The server URL, the time limit, connections at once, Run and Stop."""
        self.url_edit = QLineEdit(url, self)
        named(self.url_edit, "probeUrl", "Server URL", "The WebSocket URL of an echo server")
        self.url_edit.setPlaceholderText("ws://127.0.0.1:8765/  (the server must echo messages)")
        self.url_edit.setClearButtonEnabled(True)
        self.url_edit.returnPressed.connect(self.run)
        self.timeout_spin = QDoubleSpinBox(self)
        named(
            self.timeout_spin,
            "probeTimeout",
            "Time limit per case",
            "Seconds each case may wait for the server (more for large payloads)",
        )
        self.timeout_spin.setRange(0.2, 60.0)
        self.timeout_spin.setSingleStep(0.5)
        self.timeout_spin.setDecimals(1)
        self.timeout_spin.setSuffix(" s")
        self.timeout_spin.setValue(DEFAULT_TIMEOUT)
        self.concurrency_spin = QSpinBox(self)
        named(
            self.concurrency_spin,
            "probeConcurrency",
            "Connections at once",
            "How many cases run at the same time, each on its own connection",
        )
        self.concurrency_spin.setRange(1, 64)
        self.concurrency_spin.setValue(DEFAULT_CONCURRENCY)
        self.run_button = QPushButton("Run", self)
        named(self.run_button, "probeRunButton", "Run the check", "Run the chosen cases (Return)")
        self.run_button.clicked.connect(self.run)
        self.stop_button = QPushButton("Stop", self)
        named(
            self.stop_button,
            "probeStopButton",
            "Stop the check",
            "Stop: cases under way are aborted; the results so far stay",
        )
        self.stop_button.clicked.connect(self.stop)

        top = QHBoxLayout()
        top.setSpacing(6)
        url_label = QLabel("&Server", self)
        url_label.setBuddy(self.url_edit)
        top.addWidget(url_label)
        top.addWidget(self.url_edit, 1)
        limit_label = QLabel("Limit", self)
        limit_label.setBuddy(self.timeout_spin)
        top.addWidget(limit_label)
        top.addWidget(self.timeout_spin)
        conc_label = QLabel("At once", self)
        conc_label.setBuddy(self.concurrency_spin)
        top.addWidget(conc_label)
        top.addWidget(self.concurrency_spin)
        top.addWidget(self.run_button)
        top.addWidget(self.stop_button)
        return top

    def _build_categories(self) -> QGroupBox:
        """A checkbox per category, All and None. The label goes in the first column,
        not in the box's title: a title line is height the window does not have at
        1024x640."""
        self.categories_box = QGroupBox(self)
        named(self.categories_box, "probeCategories", "Categories to run")
        grid = QGridLayout(self.categories_box)
        grid.setContentsMargins(8, 4, 8, 4)
        grid.addWidget(QLabel("Categories", self.categories_box), 0, 0)
        grid.setHorizontalSpacing(14)
        grid.setVerticalSpacing(2)
        self.category_checks: dict[str, QCheckBox] = {}
        columns = 5
        for i, cat in enumerate(CATEGORIES):
            box = QCheckBox(f"{cat} ({CATEGORY_COUNTS[cat]})", self.categories_box)
            named(
                box,
                f"probeCategory_{cat}",
                f"Run the {cat} cases",
                f"{CATEGORY_COUNTS[cat]} cases: {CATEGORY_RFC[cat]}",
            )
            box.setChecked(True)
            box.toggled.connect(self._on_categories_changed)
            self.category_checks[cat] = box
            grid.addWidget(box, i // columns, 1 + i % columns)
        self.all_button = QToolButton(self.categories_box)
        self.all_button.setText("All")
        named(self.all_button, "probeAllCategories", "Tick every category")
        self.all_button.clicked.connect(lambda: self.set_categories(CATEGORIES))
        self.none_button = QToolButton(self.categories_box)
        self.none_button.setText("None")
        named(self.none_button, "probeNoCategories", "Untick every category")
        self.none_button.clicked.connect(lambda: self.set_categories(()))
        rows = (len(CATEGORIES) + columns - 1) // columns
        buttons = QHBoxLayout()
        buttons.addWidget(self.all_button)
        buttons.addWidget(self.none_button)
        buttons.addStretch(1)
        grid.addLayout(buttons, rows - 1, 1 + (len(CATEGORIES) % columns or columns), 1, -1)
        grid.setColumnStretch(1 + columns, 1)
        return self.categories_box

    def _build_progress(self) -> QHBoxLayout:
        """The progress bar, the summary line and the exports."""
        self.progress = QProgressBar(self)
        named(self.progress, "probeProgress", "Cases done")
        self.progress.setRange(0, 1)
        self.progress.setValue(0)
        self.progress.setFormat("%v / %m")
        self.progress.setMinimumWidth(
            QFontMetrics(self.progress.font()).horizontalAdvance("0000 / 0000") + 40
        )
        self.progress.setMaximumWidth(220)
        self.summary_label = QLabel(self)
        named(self.summary_label, "probeSummary", "Summary")
        self.summary_label.setTextFormat(Qt.TextFormat.RichText)
        self.summary_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.summary_label.setWordWrap(True)
        self.summary_label.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.export_json_button = QPushButton("Export JSON…", self)
        named(
            self.export_json_button,
            "probeExportJson",
            "Export the results as JSON",
            "Save one JSON object per case (JSON Lines)",
        )
        self.export_json_button.clicked.connect(lambda: self.choose_export("json"))
        self.export_html_button = QPushButton("Export HTML…", self)
        named(
            self.export_html_button,
            "probeExportHtml",
            "Export the results as an HTML page",
            "Save a self-contained HTML report with filters",
        )
        self.export_html_button.clicked.connect(lambda: self.choose_export("html"))
        progress_row = QHBoxLayout()
        progress_row.addWidget(self.progress)
        progress_row.addWidget(self.summary_label, 1)
        progress_row.addWidget(self.export_json_button)
        progress_row.addWidget(self.export_html_button)
        return progress_row

    def _build_filters(self) -> QHBoxLayout:
        """Category, grade and text filters over the results."""
        self.category_filter = QComboBox(self)
        named(self.category_filter, "probeCategoryFilter", "Show the category")
        self.category_filter.addItem("All categories", None)
        for cat in CATEGORIES:
            self.category_filter.addItem(cat, cat)
        self.category_filter.currentIndexChanged.connect(self._on_category_filter)
        self.grade_buttons: dict[Grade, QToolButton] = {}
        filter_row = QHBoxLayout()
        filter_row.setSpacing(4)
        show_label = QLabel("Show", self)
        show_label.setBuddy(self.category_filter)
        filter_row.addWidget(show_label)
        filter_row.addWidget(self.category_filter)
        filter_row.addSpacing(8)
        for grade in Grade:
            button = QToolButton(self)
            button.setCheckable(True)
            button.setChecked(True)
            named(
                button,
                f"probeGrade_{grade.name.lower()}",
                f"Show {grade.value} cases",
                f"{grade.value}: {GRADE_HELP[grade]}",
            )
            button.toggled.connect(self._on_grade_filter)
            self.grade_buttons[grade] = button
            filter_row.addWidget(button)
        self._style_grade_buttons()
        filter_row.addSpacing(8)
        self.search_edit = QLineEdit(self)
        named(self.search_edit, "probeSearch", "Search the results")
        self.search_edit.setPlaceholderText("Search id, title, observed…")
        self.search_edit.setClearButtonEnabled(True)
        self.search_edit.textChanged.connect(self._on_search)
        filter_row.addWidget(self.search_edit, 1)
        self.shown_label = QLabel(self)
        named(self.shown_label, "probeShown", "Cases shown")
        filter_row.addWidget(self.shown_label)
        return filter_row

    def _build_table(self) -> None:
        """The results table."""
        self.model = ProbeResultsModel(self)
        self.proxy = ProbeFilterModel(self)
        self.proxy.setSourceModel(self.model)
        self.table = QTableView(self)
        named(self.table, "probeResults", "Results")
        t = self.table
        t.setModel(self.proxy)
        t.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        t.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        t.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        t.setWordWrap(False)
        t.setShowGrid(False)
        t.setAlternatingRowColors(True)
        t.setSortingEnabled(True)
        t.sortByColumn(COL_ID, Qt.SortOrder.AscendingOrder)
        t.setItemDelegateForColumn(COL_GRADE, GradeBadgeDelegate(t))
        t.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        fm = QFontMetrics(t.font())
        vh = t.verticalHeader()
        vh.setVisible(False)
        vh.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        vh.setDefaultSectionSize(fm.height() + 8)
        hh = t.horizontalHeader()
        hh.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        hh.setStretchLastSection(True)
        hh.setHighlightSections(False)
        hh.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        bold = QFont(t.font())
        bold.setBold(True)
        pad = 18
        widths = {
            COL_ID: QFontMetrics(self.model._mono).horizontalAdvance("00.00.00") + pad,
            COL_CATEGORY: fm.horizontalAdvance("reserved-bits") + pad,
            COL_TITLE: fm.horizontalAdvance("Text message with RSV1+RSV2+RSV3 set") + pad,
            COL_GRADE: QFontMetrics(bold).horizontalAdvance("non-strict") + 14 + pad,
            COL_CLOSE: fm.horizontalAdvance("Close") + pad,
            COL_TIME: fm.horizontalAdvance("00.00 s") + pad,
        }
        for col, w in widths.items():
            t.setColumnWidth(col, w)
        t.selectionModel().currentRowChanged.connect(self._on_current_changed)
        t.doubleClicked.connect(lambda _i: self.open_capture())
        self.proxy.rowsInserted.connect(self._update_shown)
        self.proxy.rowsRemoved.connect(self._update_shown)
        self.proxy.modelReset.connect(self._update_shown)
        self.proxy.layoutChanged.connect(self._update_shown)

    def _build_detail(self) -> QSplitter:
        """The table above the selected case's expected and observed behaviour."""
        self.detail = QTextBrowser(self)
        named(self.detail, "probeDetail", "Expected and observed behaviour")
        self.detail.setOpenExternalLinks(True)
        # Paragraphs a few pixels apart, not a blank line: the pane is short at 640 px.
        self.detail.document().setDefaultStyleSheet("p { margin-top: 0; margin-bottom: 5px; }")
        self.open_capture_button = QPushButton("Open capture", self)
        named(
            self.open_capture_button,
            "probeOpenCapture",
            "Open the case's capture",
            "Open every frame of this case's connection in a read-only tab (double-click)",
        )
        self.open_capture_button.clicked.connect(self.open_capture)
        detail_box = QFrame(self)
        detail_box.setObjectName("probeDetailBox")
        detail_box.setFrameShape(QFrame.Shape.NoFrame)
        # The button beside the words, not below them: at 1024x640 every line of
        # height goes to the words (Observed must show without scrolling).
        dl = QHBoxLayout(detail_box)
        dl.setContentsMargins(0, 0, 0, 0)
        dl.setSpacing(6)
        dl.addWidget(self.detail, 1)
        side = QVBoxLayout()
        side.addWidget(self.open_capture_button)
        side.addStretch(1)
        dl.addLayout(side)
        self.detail.setMinimumHeight(QFontMetrics(self.detail.font()).lineSpacing() * 7)

        self.splitter = QSplitter(Qt.Orientation.Vertical, self)
        self.splitter.setObjectName("probeSplitter")
        self.splitter.addWidget(self.table)
        self.splitter.addWidget(detail_box)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.setSizes([420, 170])
        return self.splitter

    # ----------------------------------------------------------------- state
    @property
    def url(self) -> str:
        return self.url_edit.text().strip()

    @property
    def title(self) -> str:
        url = self.controller.url or self.url
        try:
            host = urlsplit(url).netloc or url
        except ValueError:
            host = url
        return f"Check {host}" if host else "Check server"

    @property
    def running(self) -> bool:
        return self.controller.running

    def selected_categories(self) -> list[str]:
        return [c for c, box in self.category_checks.items() if box.isChecked()]

    def set_categories(self, categories: Iterable[str]) -> None:
        wanted = set(categories)
        for cat, box in self.category_checks.items():
            box.setChecked(cat in wanted)

    # --------------------------------------------------------------- actions
    def run(self) -> asyncio.Task[None] | None:
        """Run the ticked categories against the URL; returns the battery's task
        (None when nothing could start; the summary line says why)."""
        if self.controller.running:
            return self.controller.task
        self.model.clear()
        self._selected_id = None
        self._show_detail(None)
        task = self.controller.start(
            self.url,
            self.selected_categories(),
            options=self.options,
            timeout=self.timeout_spin.value(),
            concurrency=self.concurrency_spin.value(),
        )
        self.titleChanged.emit(self.title)
        self._update_buttons()
        return task

    def stop(self) -> None:
        self.controller.stop()

    async def aclose(self, timeout: float = 2.0) -> None:
        await self.controller.astop(timeout)

    def shutdown(self) -> None:
        """The tab is going away: stop the battery."""
        self.controller.detach()

    def select_case(self, case_id: str) -> bool:
        """Select the row of ``case_id``; False when it is not shown."""
        for row in range(self.proxy.rowCount()):
            if self.proxy.result(row).id == case_id:
                index = self.proxy.index(row, 0)
                self.table.setCurrentIndex(index)
                self.table.scrollTo(index)
                return True
        return False

    def selected_result(self) -> CaseResult | None:
        index = self.table.currentIndex()
        if not index.isValid():
            return None
        value = index.data(RESULT_ROLE)
        return value if isinstance(value, CaseResult) else None

    def open_capture(self) -> bool:
        """Ask the window to open the selected case's capture (read-only)."""
        result = self.selected_result()
        if result is None or result.store is None:
            return False
        self.captureRequested.emit(result)
        return True

    # --------------------------------------------------------------- exports
    def choose_export(self, kind: str) -> None:
        """A file dialog (open(), never exec()) for the JSON Lines or HTML export."""
        if kind == "html":
            title, filt, suffix = "Export the check as HTML", "HTML pages (*.html)", "html"
        else:
            title, filt, suffix = "Export the check as JSON", "JSON Lines (*.jsonl)", "jsonl"
        dialog = QFileDialog(self, title, "", f"{filt};;All files (*)")
        dialog.setObjectName(f"probeExport{kind.capitalize()}Dialog")
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setFileMode(QFileDialog.FileMode.AnyFile)
        dialog.setDefaultSuffix(suffix)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.fileSelected.connect(
            lambda path: self.export_html(path) if kind == "html" else self.export_json(path)
        )
        self._dialog = dialog
        dialog.open()

    def export_json(self, path: str) -> bool:
        try:
            n = self.controller.export_json(path)
        except OSError as exc:
            self._show_message(f"cannot write {path}: {exc.strerror or exc}", error=True)
            return False
        self._show_message(f"Exported {n} case{'' if n == 1 else 's'} to {path}")
        return True

    def export_html(self, path: str) -> bool:
        try:
            self.controller.export_html(path)
        except OSError as exc:
            self._show_message(f"cannot write {path}: {exc.strerror or exc}", error=True)
            return False
        self._show_message(f"Exported the HTML report to {path}")
        return True

    # ---------------------------------------------------------------- events
    def _on_started(self, total: int) -> None:
        self.progress.setRange(0, max(total, 1))
        self.progress.setValue(0)
        self._show_summary()
        self._update_buttons()

    def _on_results(self, batch: list[CaseResult]) -> None:
        self.model.add(batch)
        self.progress.setValue(len(self.controller.results))
        self._show_summary()

    def _on_finished(self, outcome: str) -> None:
        if outcome == "done":
            self.progress.setValue(self.progress.maximum())
        self._show_summary()
        self._update_buttons()
        self.titleChanged.emit(self.title)

    def _on_categories_changed(self, *_: object) -> None:
        self._update_buttons()
        if not self.controller.running and not self.controller.outcome:
            self._show_summary()  # before the first run: how many cases are ticked

    def _on_category_filter(self, _index: int) -> None:
        data = self.category_filter.currentData()
        self.proxy.set_category(data if isinstance(data, str) else None)
        self._keep_selection()

    def _on_grade_filter(self, _on: bool) -> None:
        self.proxy.set_grades(g for g, b in self.grade_buttons.items() if b.isChecked())
        self._keep_selection()

    def _on_search(self, text: str) -> None:
        self.proxy.set_text(text)
        self._keep_selection()

    def _keep_selection(self) -> None:
        if self._selected_id is not None and not self.select_case(self._selected_id):
            self.table.clearSelection()
            self._show_detail(None)
        self._update_shown()

    def _on_current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        value = current.data(RESULT_ROLE) if current.isValid() else None
        result = value if isinstance(value, CaseResult) else None
        if result is not None:
            self._selected_id = result.id
        self._show_detail(result)

    def _update_buttons(self, *_: object) -> None:
        running = self.controller.running
        self.run_button.setEnabled(not running and bool(self.selected_categories()))
        self.stop_button.setEnabled(running)
        has = bool(self.controller.results)
        self.export_json_button.setEnabled(has and not running)
        self.export_html_button.setEnabled(has and not running)
        for box in self.category_checks.values():
            box.setEnabled(not running)
        self.all_button.setEnabled(not running)
        self.none_button.setEnabled(not running)
        self.url_edit.setReadOnly(running)
        result = self.selected_result()
        self.open_capture_button.setEnabled(result is not None and result.store is not None)

    def _update_shown(self, *_: object) -> None:
        shown, total = self.proxy.rowCount(), self.model.rowCount()
        self.shown_label.setText(f"{shown} of {total} shown" if total else "")
        self.shown_label.setAccessibleDescription(f"{shown} of {total} cases shown")
        counts = count_grades(self.model.results)
        for grade, button in self.grade_buttons.items():
            button.setText(f"{grade.value} {counts[grade]}")

    # ---------------------------------------------------------------- words
    def _style_grade_buttons(self) -> None:
        words = word_colors()
        for grade, button in self.grade_buttons.items():
            badge = GRADE_COLORS[grade]
            button.setStyleSheet(
                f"QToolButton {{ border: 1px solid {badge}; border-radius: 3px; "
                f"padding: 1px 6px; color: {words[grade]}; font-weight: 600; }}"
                f"QToolButton:checked {{ background: {badge}; color: white; }}"
            )

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        current = self.table.currentIndex()
        if current.isValid():
            self.table.scrollTo(current)  # the selected case stays in sight

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange and getattr(self, "_built", False):
            self._style_grade_buttons()  # light <-> dark
            self._show_summary()

    def _show_message(self, text: str, *, error: bool = False) -> None:
        self._show_summary(extra=text, error=error)

    def _show_summary(self, extra: str = "", *, error: bool = False) -> None:
        c = self.controller
        ticked = sum(CATEGORY_COUNTS[cat] for cat in self.selected_categories())
        if not c.running and not c.outcome:
            self.progress.setRange(0, max(ticked, 1))  # "0 / 327", not "0 / 1"
            self.progress.setValue(0)
        words = text.summary(
            c.results,
            colors=word_colors(),
            running=c.running,
            outcome=c.outcome,
            total=c.total,
            ticked=ticked,
            report=c.report,
            message=c.message,
            extra=extra,
            error=error,
        )
        self.summary_label.setText(words.rich)
        self.summary_label.setAccessibleDescription(words.plain)

    def summary_text(self) -> str:
        """The summary line as plain words (``"16 cases: 14 passed, ..."``)."""
        return self.summary_label.accessibleDescription()

    def _show_detail(self, result: CaseResult | None) -> None:
        self._update_buttons()
        if result is None:
            self.detail.setHtml(text.EMPTY_DETAIL)
        else:
            self.detail.setHtml(text.detail_html(result, CASE_BY_ID.get(result.id)))
