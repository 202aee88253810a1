"""The "Check server" tab: the probe battery (RFC 6455 cases) run from the window.

:class:`ProbeController` is the only GUI code that calls the engine's probe API. The
battery runs on the qasync loop; the engine calls ``on_result`` once per graded
case, the controller only appends it to a pending list, and a single-shot Qt timer
(:attr:`ProbeController.TICK_MS`) hands the view a batch: one ``rowsInserted`` per
tick, never one model reset per result.

:class:`ProbeView` is the tab: URL, category checkboxes, Run/Stop, a progress bar
and summary line, the results table (:class:`ProbeResultsModel` behind a filter
proxy: category, grade, text), the expected vs observed behaviour of the selected
case in words, "Open capture" (emits :attr:`ProbeView.captureRequested` with the
case's result; the window opens ``result.store`` read-only), and JSON Lines / HTML
export through the probe package's report functions.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import html
import logging
from collections.abc import Callable, Iterable, Sequence
from typing import Any
from urllib.parse import urlsplit

from PySide6.QtCore import (
    QAbstractTableModel,
    QEvent,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QRect,
    QSortFilterProxyModel,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
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
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableView,
    QTextBrowser,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ..probe import (
    CASES,
    CATEGORIES,
    DEFAULT_CONCURRENCY,
    DEFAULT_TIMEOUT,
    CaseResult,
    Grade,
    ProbeReport,
    ProbeUnreachable,
    run_probe,
    select_cases,
)
from ..probe.report import json_lines, render_html
from ..protocol.constants import close_code_meaning
from . import theme
from .naming import named as _named
from .session import ConnectOptions, check_url, spawn

__all__ = [
    "GRADE_COLORS",
    "ProbeController",
    "ProbeFilterModel",
    "ProbeResultsModel",
    "ProbeView",
    "probe_options",
]

log = logging.getLogger("inspector.gui.probe")

#: Badge colours: white text is readable on each, on light and dark palettes alike.
GRADE_COLORS: dict[Grade, str] = {
    Grade.PASSED: "#2f8a3e",
    Grade.NON_STRICT: "#b7791f",
    Grade.FAILED: "#c53030",
    Grade.INFO: "#6b7280",
}
GRADE_HELP: dict[Grade, str] = {
    Grade.PASSED: "the behaviour the RFC requires (or recommends) was observed",
    Grade.NON_STRICT: "allowed, but not the best behaviour (e.g. a TCP drop instead of a "
    "close frame with the right code)",
    Grade.FAILED: "the server broke a MUST of the RFC",
    Grade.INFO: "no right answer: what the server did is worth knowing",
}
_GRADE_ORDER = {g: i for i, g in enumerate(Grade)}


def _word_colors() -> dict[Grade, str]:
    """Grade colours for words on the window's background, from the palette's theme:
    the badge colours are made for white text and are too dark on a dark palette
    (the failed red: 2.6:1 on a near-black window)."""
    t = theme.current()
    return {
        Grade.PASSED: t.incoming.name(),
        Grade.NON_STRICT: t.control.name(),
        Grade.FAILED: t.violation.name(),
        Grade.INFO: t.muted.name(),
    }


def _natural(case_id: str) -> tuple[tuple[int, int, str], ...]:
    # "6.4.1" before "6.21.2", as a reader of the RFC-style numbering expects.
    return tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in case_id.split("."))


_CASE_ORDER = {case_id: i for i, case_id in enumerate(sorted((c.id for c in CASES), key=_natural))}
_CASE_BY_ID = {case.id: case for case in CASES}
_CATEGORY_ORDER = {c: i for i, c in enumerate(CATEGORIES)}
_CATEGORY_COUNTS = {c: sum(1 for case in CASES if case.category == c) for c in CATEGORIES}
_CATEGORY_RFC = {c: next(case.rfc for case in CASES if case.category == c) for c in CATEGORIES}

RESULT_ROLE = int(Qt.ItemDataRole.UserRole) + 1
SORT_ROLE = int(Qt.ItemDataRole.UserRole) + 2
_DISPLAY = int(Qt.ItemDataRole.DisplayRole)
_HAS_FILTER_CHANGE = hasattr(QSortFilterProxyModel, "beginFilterChange")

COL_ID, COL_CATEGORY, COL_TITLE, COL_GRADE, COL_CLOSE, COL_TIME, COL_OBSERVED = range(7)
HEADERS = ("Case", "Category", "Title", "Grade", "Close", "Time", "Observed")


def probe_options(options: ConnectOptions | None, timeout: float) -> ConnectOptions:
    """What the probe takes from a tab's options: headers, subprotocols, origin, TLS.
    The probe sets compression, limits and the rest per case."""
    o = options or ConnectOptions()
    return ConnectOptions(
        headers=tuple(o.headers),
        subprotocols=tuple(o.subprotocols),
        origin=o.origin,
        open_timeout=max(timeout, 1.0),
        tls=o.tls,
    )


def _case_key(case_id: str) -> int:
    return _CASE_ORDER.get(case_id, len(_CASE_ORDER))


def _counts(results: Iterable[CaseResult]) -> dict[Grade, int]:
    counts = dict.fromkeys(Grade, 0)
    for r in results:
        counts[r.grade] += 1
    return counts


def _close_words(code: int | None, reason: str | None = None) -> str:
    if code is None:
        return "no close frame"
    text = f"{code} ({close_code_meaning(code).split(':')[0].lower()})"
    if reason:
        text += f" “{reason}”"
    return text


# ----------------------------------------------------------------------- controller
class ProbeController(QObject):
    """Runs the probe battery and hands the results over in batches.

    Signals: ``started(int)`` with the number of cases; ``resultsAdded(list)`` with
    the results graded since the last tick (a few per second at most);
    ``finished(str)`` with ``"done"``, ``"stopped"`` or ``"error"`` (then
    :attr:`message` says what went wrong, in words).
    """

    TICK_MS = 50

    started = Signal(int)
    resultsAdded = Signal(object)
    finished = Signal(str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("probeController")
        self.results: list[CaseResult] = []
        self.total = 0
        self.url = ""
        self.report: ProbeReport | None = None
        self.message = ""
        self.outcome = ""
        self.started_at = ""
        self.duration = 0.0
        self._t0 = 0.0
        self._task: asyncio.Task[None] | None = None
        self._running = False
        self._detached = False  # the view is going away: no more signals
        self._pending: list[CaseResult] = []
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(self.TICK_MS)
        self._timer.timeout.connect(self._drain)
        #: How many ticks delivered results (for tests and diagnostics).
        self.ticks = 0

    @property
    def running(self) -> bool:
        """The battery is under way (false as soon as ``finished`` is emitted)."""
        return self._running

    @property
    def task(self) -> asyncio.Task[None] | None:
        return self._task

    def start(
        self,
        url: str,
        categories: Sequence[str] | None = None,
        *,
        options: ConnectOptions | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        concurrency: int = DEFAULT_CONCURRENCY,
    ) -> asyncio.Task[None] | None:
        """Start the battery (the cases of ``categories``; all when None). Returns
        the task, or None when nothing could be started (then ``finished("error")``
        was emitted and :attr:`message` says why)."""
        if self.running:
            return self._task
        self._timer.stop()
        self._pending.clear()
        self.results = []
        self.report = None
        self.message = ""
        self.outcome = ""
        self.url = url.strip()
        problem = check_url(self.url)
        try:
            cases = select_cases(categories)
        except ValueError as exc:
            problem = str(exc)
            cases = ()
        if problem is None and not cases:
            problem = "no category chosen: tick at least one"
        if problem is not None:
            self.total = 0
            self.message = problem
            self.outcome = "error"
            self.finished.emit("error")
            return None
        self.total = len(cases)
        loop = asyncio.get_running_loop()
        self._t0 = loop.time()
        self.started_at = (
            datetime.datetime.now(datetime.UTC).astimezone().isoformat(timespec="seconds")
        )
        self._running = True
        self.started.emit(self.total)
        task = spawn(
            self._run(self.url, cases, options, timeout, concurrency), "checking the server"
        )
        self._task = task
        return task

    async def _run(
        self,
        url: str,
        cases: Sequence[Any],
        options: ConnectOptions | None,
        timeout: float,
        concurrency: int,
    ) -> None:
        loop = asyncio.get_running_loop()
        try:
            report = await run_probe(
                url,
                cases=cases,
                on_result=self._on_result,
                concurrency=concurrency,
                timeout=timeout,
                options=probe_options(options, timeout),
                keep_captures=True,
            )
        except asyncio.CancelledError:
            self._end("stopped", "", loop)
            raise
        except ProbeUnreachable as exc:
            self._end("error", f"cannot reach {url}: {exc.message} (step: {exc.step})", loop)
        except (ValueError, OSError) as exc:
            self._end("error", f"the check could not run: {exc}", loop)
        else:
            self.report = report
            self._end("done", "", loop)

    def _end(self, outcome: str, message: str, loop: asyncio.AbstractEventLoop) -> None:
        self._running = False
        if self._detached:
            return
        self.duration = loop.time() - self._t0
        self._drain()
        self._running = False
        self.outcome = outcome
        self.message = message
        self.finished.emit(outcome)

    def stop(self) -> None:
        """Cancel the battery; every case under way aborts its connection. The
        results so far stay."""
        if self._task is not None and not self._task.done():
            self._task.cancel()

    async def astop(self, timeout: float = 2.0) -> None:
        """Stop and wait (bounded) until the battery's task has ended."""
        task = self._task
        self.stop()
        if task is not None and not task.done():
            with contextlib.suppress(asyncio.CancelledError, TimeoutError, Exception):
                await asyncio.wait_for(asyncio.shield(task), timeout)

    def detach(self) -> None:
        """The view is going away: stop the battery and emit nothing more."""
        self._detached = True
        self.stop()
        self._timer.stop()
        self._pending.clear()

    def _on_result(self, result: CaseResult) -> None:
        # Called by the engine once per case: append, and arm the tick only when
        # the list was empty.
        if self._detached:
            return
        pending = self._pending
        pending.append(result)
        if len(pending) == 1:
            self._timer.start()

    def _drain(self) -> None:
        self._timer.stop()
        batch = self._pending
        if not batch:
            return
        self._pending = []
        self.results.extend(batch)
        self.ticks += 1
        self.resultsAdded.emit(batch)

    # ------------------------------------------------------------------ report
    def current_report(self) -> ProbeReport:
        """The finished report, or one made of the results so far (case order)."""
        if self.report is not None:
            return self.report
        return ProbeReport(
            url=self.url,
            results=tuple(sorted(self.results, key=lambda r: _case_key(r.id))),
            started_at=self.started_at,
            duration=self.duration,
            unreachable=self.message or None,
        )

    def export_json(self, path: str) -> int:
        """Write the results as JSON Lines (one object per case); returns the line
        count. Raises OSError."""
        lines = list(json_lines(self.current_report()))
        with open(path, "w", encoding="utf-8") as f:
            for line in lines:
                f.write(line + "\n")
        return len(lines)

    def export_html(self, path: str) -> None:
        """Write the self-contained HTML report. Raises OSError."""
        text = render_html(self.current_report())
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)


# -------------------------------------------------------------------------- models
class ProbeResultsModel(QAbstractTableModel):
    """The results in arrival order; rows are only ever appended (or all cleared)."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._rows: list[CaseResult] = []
        self._mono = QFont("monospace")
        self._mono.setStyleHint(QFont.StyleHint.Monospace)

    @property
    def results(self) -> list[CaseResult]:
        return self._rows

    def add(self, batch: Sequence[CaseResult]) -> None:
        if not batch:
            return
        first = len(self._rows)
        self.beginInsertRows(QModelIndex(), first, first + len(batch) - 1)
        self._rows.extend(batch)
        self.endInsertRows()

    def clear(self) -> None:
        self.beginResetModel()
        self._rows = []
        self.endResetModel()

    def result(self, row: int) -> CaseResult:
        return self._rows[row]

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(HEADERS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = _DISPLAY) -> Any:
        if orientation == Qt.Orientation.Horizontal and 0 <= section < len(HEADERS):
            if role == _DISPLAY:
                return HEADERS[section]
            if role == Qt.ItemDataRole.ToolTipRole and section == COL_GRADE:
                return "\n".join(f"{g.value}: {GRADE_HELP[g]}" for g in Grade)
        return None

    def flags(self, index: QModelIndex | QPersistentModelIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = _DISPLAY) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        r = self._rows[index.row()]
        col = index.column()
        if role == _DISPLAY:
            return self._display(r, col)
        if role == RESULT_ROLE:
            return r
        if role == SORT_ROLE:
            return self._sort_key(r, col)
        if role == Qt.ItemDataRole.ToolTipRole:
            if col == COL_GRADE:
                return f"{r.grade.value}: {GRADE_HELP[r.grade]}"
            if col == COL_CLOSE:
                return _close_words(r.close_code, r.close_reason)
            if col in (COL_TITLE, COL_OBSERVED):
                return f"{r.title}\n\nExpected: {r.expected}\n\nObserved: {r.observed}"
            return None
        if role == Qt.ItemDataRole.AccessibleTextRole:
            return self._display(r, col)
        if role == Qt.ItemDataRole.TextAlignmentRole and col in (COL_CLOSE, COL_TIME):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.FontRole and col == COL_ID:
            return self._mono
        return None

    @staticmethod
    def _display(r: CaseResult, col: int) -> str:
        if col == COL_ID:
            return r.id
        if col == COL_CATEGORY:
            return r.category
        if col == COL_TITLE:
            return r.title
        if col == COL_GRADE:
            return r.grade.value
        if col == COL_CLOSE:
            return "—" if r.close_code is None else str(r.close_code)
        if col == COL_TIME:
            return f"{r.duration:.2f} s"
        return r.observed

    @staticmethod
    def _sort_key(r: CaseResult, col: int) -> Any:
        order = _case_key(r.id)
        if col == COL_CATEGORY:
            return _CATEGORY_ORDER.get(r.category, 99) * 10_000 + order
        if col == COL_TITLE:
            return r.title.lower()
        if col == COL_GRADE:
            return _GRADE_ORDER[r.grade] * 10_000 + order
        if col == COL_CLOSE:
            return -1 if r.close_code is None else r.close_code
        if col == COL_TIME:
            return r.duration
        if col == COL_OBSERVED:
            return r.observed.lower()
        return order


class ProbeFilterModel(QSortFilterProxyModel):
    """Shows the results of one category (or all), of the ticked grades, whose id,
    title or observed behaviour contains the search text; sorted (case order by
    default) as results arrive."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._category: str | None = None
        self._grades: set[Grade] = set(Grade)
        self._text = ""
        self.setSortRole(SORT_ROLE)
        self.setDynamicSortFilter(True)

    @property
    def category(self) -> str | None:
        return self._category

    @property
    def grades(self) -> frozenset[Grade]:
        return frozenset(self._grades)

    def set_category(self, category: str | None) -> None:
        self._change(lambda: setattr(self, "_category", category or None))

    def set_grades(self, grades: Iterable[Grade]) -> None:
        wanted = set(grades)
        self._change(lambda: setattr(self, "_grades", wanted))

    def set_text(self, text: str) -> None:
        self._change(lambda: setattr(self, "_text", text.strip().lower()))

    def _change(self, apply: Callable[[], None]) -> None:
        if _HAS_FILTER_CHANGE:  # Qt 6.9 and later
            self.beginFilterChange()
            apply()
            self.endFilterChange(QSortFilterProxyModel.Direction.Rows)
        else:
            apply()
            self.invalidateRowsFilter()

    def filterAcceptsRow(
        self,
        source_row: int,
        source_parent: QModelIndex | QPersistentModelIndex,
    ) -> bool:
        model = self.sourceModel()
        if not isinstance(model, ProbeResultsModel):
            return True
        r = model.result(source_row)
        if self._category is not None and r.category != self._category:
            return False
        if r.grade not in self._grades:
            return False
        if self._text:
            t = self._text
            return t in r.id.lower() or t in r.title.lower() or t in r.observed.lower()
        return True

    def result(self, row: int) -> CaseResult:
        value = self.index(row, 0).data(RESULT_ROLE)
        assert isinstance(value, CaseResult)
        return value

    def visible_results(self) -> list[CaseResult]:
        return [self.result(row) for row in range(self.rowCount())]


class GradeBadgeDelegate(QStyledItemDelegate):
    """The grade as a coloured badge: passed green, non-strict amber, failed red,
    info grey."""

    def paint(
        self,
        painter: QPainter,
        option: QStyleOptionViewItem,
        index: QModelIndex | QPersistentModelIndex,
    ) -> None:
        result = index.data(RESULT_ROLE)
        if not isinstance(result, CaseResult):
            super().paint(painter, option, index)
            return
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        opt.text = ""
        widget = opt.widget  # type: ignore[attr-defined]
        style = widget.style() if widget is not None else QApplication.style()
        style.drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, widget)
        text = result.grade.value
        font = QFont(opt.font)  # type: ignore[attr-defined]
        font.setBold(True)
        fm = QFontMetrics(font)
        rect: QRect = opt.rect  # type: ignore[attr-defined]
        w = min(rect.width() - 6, fm.horizontalAdvance("non-strict") + 14)
        h = min(rect.height() - 4, fm.height() + 2)
        badge = QRect(rect.x() + 4, rect.y() + (rect.height() - h) // 2, w, h)
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(GRADE_COLORS[result.grade]))
        painter.drawRoundedRect(badge, 3, 3)
        painter.setPen(QColor("white"))
        painter.setFont(font)
        painter.drawText(badge, int(Qt.AlignmentFlag.AlignCenter), text)
        painter.restore()


# ---------------------------------------------------------------------------- view
class ProbeView(QWidget):
    """The "Check server" tab. ``captureRequested(CaseResult)`` asks the window to
    open a case's capture read-only; ``titleChanged(str)`` updates the tab text."""

    captureRequested = Signal(object)
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
        # -- the server and Run/Stop
        self.url_edit = QLineEdit(url, self)
        _named(self.url_edit, "probeUrl", "Server URL", "The WebSocket URL of an echo server")
        self.url_edit.setPlaceholderText("ws://127.0.0.1:8765/  (the server must echo messages)")
        self.url_edit.setClearButtonEnabled(True)
        self.url_edit.returnPressed.connect(self.run)
        self.timeout_spin = QDoubleSpinBox(self)
        _named(
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
        _named(
            self.concurrency_spin,
            "probeConcurrency",
            "Connections at once",
            "How many cases run at the same time, each on its own connection",
        )
        self.concurrency_spin.setRange(1, 64)
        self.concurrency_spin.setValue(DEFAULT_CONCURRENCY)
        self.run_button = QPushButton("Run", self)
        _named(self.run_button, "probeRunButton", "Run the check", "Run the chosen cases (Return)")
        self.run_button.clicked.connect(self.run)
        self.stop_button = QPushButton("Stop", self)
        _named(
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

        # -- categories
        self.categories_box = QGroupBox("Categories", self)
        _named(self.categories_box, "probeCategories", "Categories to run")
        grid = QGridLayout(self.categories_box)
        grid.setContentsMargins(8, 4, 8, 4)
        grid.setHorizontalSpacing(14)
        grid.setVerticalSpacing(2)
        self.category_checks: dict[str, QCheckBox] = {}
        columns = 5
        for i, cat in enumerate(CATEGORIES):
            box = QCheckBox(f"{cat} ({_CATEGORY_COUNTS[cat]})", self.categories_box)
            _named(
                box,
                f"probeCategory_{cat}",
                f"Run the {cat} cases",
                f"{_CATEGORY_COUNTS[cat]} cases: {_CATEGORY_RFC[cat]}",
            )
            box.setChecked(True)
            box.toggled.connect(self._on_categories_changed)
            self.category_checks[cat] = box
            grid.addWidget(box, i // columns, i % columns)
        self.all_button = QToolButton(self.categories_box)
        self.all_button.setText("All")
        _named(self.all_button, "probeAllCategories", "Tick every category")
        self.all_button.clicked.connect(lambda: self.set_categories(CATEGORIES))
        self.none_button = QToolButton(self.categories_box)
        self.none_button.setText("None")
        _named(self.none_button, "probeNoCategories", "Untick every category")
        self.none_button.clicked.connect(lambda: self.set_categories(()))
        rows = (len(CATEGORIES) + columns - 1) // columns
        buttons = QHBoxLayout()
        buttons.addWidget(self.all_button)
        buttons.addWidget(self.none_button)
        buttons.addStretch(1)
        grid.addLayout(buttons, rows - 1, len(CATEGORIES) % columns or columns, 1, -1)
        grid.setColumnStretch(columns, 1)

        # -- progress and summary, exports
        self.progress = QProgressBar(self)
        _named(self.progress, "probeProgress", "Cases done")
        self.progress.setRange(0, 1)
        self.progress.setValue(0)
        self.progress.setFormat("%v / %m")
        self.progress.setMinimumWidth(
            QFontMetrics(self.progress.font()).horizontalAdvance("0000 / 0000") + 40
        )
        self.progress.setMaximumWidth(220)
        self.summary_label = QLabel(self)
        _named(self.summary_label, "probeSummary", "Summary")
        self.summary_label.setTextFormat(Qt.TextFormat.RichText)
        self.summary_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.summary_label.setWordWrap(True)
        self.summary_label.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.export_json_button = QPushButton("Export JSON…", self)
        _named(
            self.export_json_button,
            "probeExportJson",
            "Export the results as JSON",
            "Save one JSON object per case (JSON Lines)",
        )
        self.export_json_button.clicked.connect(lambda: self.choose_export("json"))
        self.export_html_button = QPushButton("Export HTML…", self)
        _named(
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

        # -- filters
        self.category_filter = QComboBox(self)
        _named(self.category_filter, "probeCategoryFilter", "Show the category")
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
            _named(
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
        _named(self.search_edit, "probeSearch", "Search the results")
        self.search_edit.setPlaceholderText("Search id, title, observed…")
        self.search_edit.setClearButtonEnabled(True)
        self.search_edit.textChanged.connect(self._on_search)
        filter_row.addWidget(self.search_edit, 1)
        self.shown_label = QLabel(self)
        _named(self.shown_label, "probeShown", "Cases shown")
        filter_row.addWidget(self.shown_label)

        # -- the table
        self.model = ProbeResultsModel(self)
        self.proxy = ProbeFilterModel(self)
        self.proxy.setSourceModel(self.model)
        self.table = QTableView(self)
        _named(self.table, "probeResults", "Results")
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

        # -- detail: expected vs observed, Open capture
        self.detail = QTextBrowser(self)
        _named(self.detail, "probeDetail", "Expected and observed behaviour")
        self.detail.setOpenExternalLinks(True)
        self.open_capture_button = QPushButton("Open capture", self)
        _named(
            self.open_capture_button,
            "probeOpenCapture",
            "Open the case's capture",
            "Open every frame of this case's connection in a read-only tab (double-click)",
        )
        self.open_capture_button.clicked.connect(self.open_capture)
        detail_box = QFrame(self)
        detail_box.setObjectName("probeDetailBox")
        detail_box.setFrameShape(QFrame.Shape.NoFrame)
        dl = QVBoxLayout(detail_box)
        dl.setContentsMargins(0, 0, 0, 0)
        dl.setSpacing(4)
        dl.addWidget(self.detail, 1)
        brow = QHBoxLayout()
        brow.addStretch(1)
        brow.addWidget(self.open_capture_button)
        dl.addLayout(brow)

        self.splitter = QSplitter(Qt.Orientation.Vertical, self)
        self.splitter.setObjectName("probeSplitter")
        self.splitter.addWidget(self.table)
        self.splitter.addWidget(detail_box)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.setSizes([420, 170])

        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 4)
        layout.setSpacing(6)
        layout.addLayout(top)
        layout.addWidget(self.categories_box)
        layout.addLayout(progress_row)
        layout.addLayout(filter_row)
        layout.addWidget(self.splitter, 1)
        self._update_shown()
        self._show_summary()

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
        counts = _counts(self.model.results)
        for grade, button in self.grade_buttons.items():
            button.setText(f"{grade.value} {counts[grade]}")

    # ---------------------------------------------------------------- words
    def _style_grade_buttons(self) -> None:
        words = _word_colors()
        for grade, button in self.grade_buttons.items():
            badge = GRADE_COLORS[grade]
            button.setStyleSheet(
                f"QToolButton {{ border: 1px solid {badge}; border-radius: 3px; "
                f"padding: 1px 6px; color: {words[grade]}; font-weight: 600; }}"
                f"QToolButton:checked {{ background: {badge}; color: white; }}"
            )

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange and getattr(self, "_built", False):
            self._style_grade_buttons()  # light <-> dark
            self._show_summary()

    def _show_message(self, text: str, *, error: bool = False) -> None:
        self._show_summary(extra=text, error=error)

    def _show_summary(self, extra: str = "", *, error: bool = False) -> None:
        c = self.controller
        results = c.results
        counts = _counts(results)
        words = _word_colors()
        red = words[Grade.FAILED]
        parts = ", ".join(
            f'<span style="color:{words[g]}; font-weight:600">{counts[g]} {g.value}</span>'
            for g in Grade
        )
        plain_parts = ", ".join(f"{counts[g]} {g.value}" for g in Grade)
        n = len(results)
        cases = f"{n} case{'' if n == 1 else 's'}"
        if c.running:
            head, plain = f"<b>{n} of {c.total} cases</b>: {parts} …", f"{n} of {c.total}: "
        elif c.outcome == "done":
            report = c.report
            extra_words = ""
            if report is not None:
                extra_words = f" in {report.duration:.1f} s"
                if report.server:
                    extra_words += f" · server says {html.escape(report.server)}"
                if report.unreachable:
                    extra_words += (
                        f' · <span style="color:{red}">'
                        f"the server became unreachable: {html.escape(report.unreachable)}</span>"
                    )
            head, plain = f"<b>{cases}</b>: {parts}{extra_words}", f"{cases}: "
        elif c.outcome == "stopped":
            head = f"<b>Stopped after {n} of {c.total} cases</b>: {parts}"
            plain = f"Stopped after {n} of {c.total} cases: "
        elif c.outcome == "error":
            head = f'<span style="color:{red}"><b>{html.escape(c.message)}</b></span>'
            plain = c.message + " "
            if n:
                head += f" — {parts}"
        else:
            total = sum(_CATEGORY_COUNTS[cat] for cat in self.selected_categories())
            self.progress.setRange(0, max(total, 1))  # "0 / 327", not "0 / 1"
            self.progress.setValue(0)
            head = (
                f"{total} cases ticked. The server must echo every text and binary "
                "message; each case opens its own connection."
            )
            plain = head
            plain_parts = ""
        if extra:
            color = red if error else "palette(text)"
            head += f'<br><span style="color:{color}">{html.escape(extra)}</span>'
        self.summary_label.setText(head)
        self.summary_label.setAccessibleDescription((plain + plain_parts + " " + extra).strip())

    def summary_text(self) -> str:
        """The summary line as plain words (``"16 cases: 14 passed, ..."``)."""
        return self.summary_label.accessibleDescription()

    def _show_detail(self, result: CaseResult | None) -> None:
        self._update_buttons()
        if result is None:
            self.detail.setHtml(
                "<p style='color:gray'>Select a case to see what a conforming server does "
                "and what this one did. Double-click a case (or <b>Open capture</b>) to see "
                "every frame of its connection.</p>"
            )
            return
        e = html.escape
        help_text = GRADE_HELP[result.grade]
        case = _CASE_BY_ID.get(result.id)
        rfc = case.rfc if case is not None else ""
        color = GRADE_COLORS[result.grade]
        badge = (
            f'<span style="background:{color}; color:white; font-weight:600">'
            f"&nbsp;{e(result.grade.value)}&nbsp;</span>"
        )
        meta = [e(result.category)]
        if rfc:
            meta.append(e(rfc))
        meta.append(f"close frame: {e(_close_words(result.close_code, result.close_reason))}")
        meta.append(f"{result.duration:.2f} s")
        if result.store is not None:
            meta.append(f"{len(result.store)} frames captured")
        self.detail.setHtml(
            f"<p><b>{e(result.id)}</b> — {e(result.title)}<br>{badge}&nbsp; "
            f"<span style='color:gray'>{' · '.join(meta)}</span></p>"
            f"<p><b>Expected:</b> {e(result.expected)}</p>"
            f"<p><b>Observed:</b> {e(result.observed)}</p>"
            f"<p style='color:gray'>{e(help_text[:1].upper() + help_text[1:])}.</p>"
        )
