"""The proxy tab's controls: pause all, breakpoints, the Held list (Forward / Edit /
Drop / Answer), the rules editor and Inject. Thin: every change goes to the
:class:`~inspector.gui.session.proxy.ProxyRunner`, which owns the engine's controls;
the list is redrawn when the runner says the held items changed (once per tick at
most) and the ages every half second while something is held."""

from __future__ import annotations

import time
from collections.abc import Callable

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QPlainTextEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from ...capture.events import Direction
from ..session.proxy import BreakFilter, HeldRow, ProxyRunner
from ..widgets.naming import named
from .frame_dialog import FrameDialog

__all__ = ["DEFLATE_NOTE", "ControlsPane", "parse_opcodes"]

DEFLATE_NOTE = (
    "While pause, breakpoints, rules or Intercept are on, new connections talk "
    "uncompressed: the proxy takes permessage-deflate out of the offer it forwards, "
    "so that any message can be changed."
)

_HELD_COLUMNS = ("#", "Conn", "Direction", "Held for", "Payload", "Why", "Queued")


def parse_opcodes(text: str) -> frozenset[int]:
    """``1, 2`` or ``text, binary, close``; empty: any. ValueError for a bad one."""
    names = {"text": 1, "binary": 2, "close": 8, "ping": 9, "pong": 10, "continuation": 0}
    found = set()
    for part in text.replace(",", " ").split():
        word = part.strip().lower()
        if word in names:
            found.add(names[word])
        elif word.isdigit() and int(word) < 16:
            found.add(int(word))
        else:
            raise ValueError(f"{part!r} is not an opcode (0-15, or text, binary, close...)")
    return frozenset(found)


class ControlsPane(QTabWidget):
    """``current_conn`` gives the connection selected in the tab (None: none), for
    Inject."""

    def __init__(
        self,
        runner: ProxyRunner,
        current_conn: Callable[[], int | None],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        named(self, "proxyControls", "Proxy controls")
        self.runner = runner
        self.current_conn = current_conn
        self.rows: list[HeldRow] = []
        self.dialog: FrameDialog | None = None

        # ---------------------------------------------------- breakpoints tab
        page = QWidget(self)
        self.pause_all = QCheckBox("Pause all", page)
        named(self.pause_all, "proxyPauseAll", "Pause all", "Hold every frame of every connection")
        self.pause_all.toggled.connect(runner.set_pause_all)
        self.intercept = QCheckBox("Intercept new connections", page)
        named(
            self.intercept,
            "proxyIntercept",
            "Intercept new connections",
            "Keep new connections uncompressed and ready for breakpoints, even with none set",
        )
        self.intercept.toggled.connect(runner.set_intercept)
        self.deflate_label = QLabel(DEFLATE_NOTE, page)
        named(self.deflate_label, "proxyDeflateNote", "About compression")
        self.deflate_label.setWordWrap(True)

        self.bp_side = QComboBox(page)
        named(self.bp_side, "proxyBreakSide", "Breakpoint side")
        self.bp_side.addItems(["both sides", "client → server", "server → client"])
        self.bp_opcodes = QLineEdit(page)
        named(self.bp_opcodes, "proxyBreakOpcodes", "Breakpoint opcodes", "e.g. text, close or 1,8")
        self.bp_opcodes.setPlaceholderText("opcodes: any")
        self.bp_pattern = QLineEdit(page)
        named(self.bp_pattern, "proxyBreakPattern", "Breakpoint regex")
        self.bp_pattern.setPlaceholderText("regex on the payload (empty: any)")
        self.bp_field = QLineEdit(page)
        named(
            self.bp_field,
            "proxyBreakField",
            "Breakpoint decoded field",
            "Match the regex on this decoded field (method, event, topic...) instead",
        )
        self.bp_field.setPlaceholderText("decoded field (optional)")
        self.bp_add = QPushButton("Add breakpoint", page)
        named(self.bp_add, "proxyBreakAdd", "Add breakpoint")
        self.bp_add.clicked.connect(self.add_breakpoint)
        self.bp_list = QListWidget(page)
        named(self.bp_list, "proxyBreakpoints", "Breakpoints")
        self.bp_list.setMaximumHeight(64)
        self.bp_remove = QPushButton("Remove breakpoint", page)
        named(self.bp_remove, "proxyBreakRemove", "Remove breakpoint")
        self.bp_remove.clicked.connect(self.remove_breakpoint)
        self.bp_error = QLabel(page)
        named(self.bp_error, "proxyBreakError", "Breakpoint problem")
        self.bp_error.setStyleSheet("color: #b00020")
        self.bp_error.hide()
        self.filters: list[BreakFilter] = []

        self.held = QTableWidget(0, len(_HELD_COLUMNS), page)
        named(self.held, "proxyHeld", "Held items")
        self.held.setHorizontalHeaderLabels(list(_HELD_COLUMNS))
        self.held.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.held.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.held.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.held.verticalHeader().setVisible(False)
        header = self.held.horizontalHeader()
        header.setSectionResizeMode(4, QHeaderView.ResizeMode.Stretch)
        for column, width in ((0, 44), (1, 52), (2, 120), (3, 72), (5, 280), (6, 120)):
            header.resizeSection(column, width)
        self.held.itemSelectionChanged.connect(self._enable)
        self.buttons: dict[str, QPushButton] = {}
        for key, text, tip in (
            ("forward", "Forward", "Send the held item on as it is"),
            ("edit", "Edit…", "Change the held item, then send it"),
            ("drop", "Drop", "The held item never reaches the other side"),
            ("answer", "Answer…", "Drop it and send a reply to its sender instead"),
        ):
            button = QPushButton(text, page)
            named(button, f"proxyHeld{key.title()}", text.rstrip("…"), tip)
            button.clicked.connect(getattr(self, key))
            self.buttons[key] = button
        self.inject_button = QPushButton("Inject…", page)
        named(
            self.inject_button,
            "proxyInject",
            "Inject",
            "Send a frame of yours toward the server or the client of the selected connection",
        )
        self.inject_button.clicked.connect(self.inject)
        self.held_status = QLabel(page)
        named(self.held_status, "proxyHeldStatus", "Held status")

        toggles = QHBoxLayout()
        toggles.addWidget(self.pause_all)
        toggles.addWidget(self.intercept)
        toggles.addWidget(self.deflate_label, 1)
        bp_row = QHBoxLayout()
        for w in (self.bp_side, self.bp_opcodes):
            bp_row.addWidget(w)
        bp_row.addWidget(self.bp_pattern, 2)
        bp_row.addWidget(self.bp_field, 1)
        bp_row.addWidget(self.bp_add)
        bp_list_row = QHBoxLayout()
        bp_list_row.addWidget(self.bp_list, 1)
        bp_list_row.addWidget(self.bp_remove, 0, Qt.AlignmentFlag.AlignTop)
        actions = QHBoxLayout()
        for button in self.buttons.values():
            actions.addWidget(button)
        actions.addStretch(1)
        actions.addWidget(self.held_status)
        actions.addWidget(self.inject_button)
        layout = QVBoxLayout(page)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addLayout(toggles)
        layout.addLayout(bp_row)
        layout.addWidget(self.bp_error)
        layout.addLayout(bp_list_row)
        layout.addWidget(self.held, 1)
        layout.addLayout(actions)
        self.addTab(page, "Breakpoints && held")

        # ---------------------------------------------------------- rules tab
        rules_page = QWidget(self)
        self.rules_edit = QPlainTextEdit(rules_page)
        named(self.rules_edit, "proxyRules", "Rules", "One rule a line")
        self.rules_edit.setPlaceholderText(
            "replace client:REGEX=>REPLACEMENT\ndrop server:REGEX\ndelay client:MS\nclose after N"
        )
        self.rules_edit.setPlainText("\n".join(runner.controls.rules.describe()))
        self.rules_apply = QPushButton("Apply rules", rules_page)
        named(self.rules_apply, "proxyRulesApply", "Apply rules")
        self.rules_apply.clicked.connect(self.apply_rules)
        self.rules_status = QLabel(rules_page)
        named(self.rules_status, "proxyRulesStatus", "Rules status")
        self.rules_status.setWordWrap(True)
        rules_layout = QVBoxLayout(rules_page)
        rules_layout.setContentsMargins(6, 6, 6, 6)
        rules_layout.addWidget(self.rules_edit, 1)
        row = QHBoxLayout()
        row.addWidget(self.rules_status, 1)
        row.addWidget(self.rules_apply)
        rules_layout.addLayout(row)
        self.addTab(rules_page, "Rules")

        self._ages = QTimer(self)
        self._ages.setInterval(500)
        self._ages.timeout.connect(self._show_ages)
        runner.heldChanged.connect(self.show_held)
        self.show_held(runner.held_rows())

    # ---------------------------------------------------------- breakpoints
    def add_breakpoint(self) -> None:
        side = (None, Direction.OUT, Direction.IN)[self.bp_side.currentIndex()]
        try:
            bp = BreakFilter(
                side=side,
                opcodes=parse_opcodes(self.bp_opcodes.text()),
                pattern=self.bp_pattern.text(),
                field=self.bp_field.text().strip(),
            )
        except ValueError as exc:
            self.bp_error.setText(str(exc))
            self.bp_error.show()
            return
        self.bp_error.hide()
        self.filters.append(bp)
        self.bp_list.addItem(bp.describe())
        self.runner.set_breakpoints(self.filters)

    def remove_breakpoint(self) -> None:
        row = self.bp_list.currentRow()
        if 0 <= row < len(self.filters):
            del self.filters[row]
            self.bp_list.takeItem(row)
            self.runner.set_breakpoints(self.filters)

    # ----------------------------------------------------------------- held
    def show_held(self, rows: list[HeldRow]) -> None:
        selected = self.selected()
        keep = selected.item_id if selected is not None else None
        self.rows = rows
        self.held.setRowCount(len(rows))
        now = time.monotonic()
        for r, row in enumerate(rows):
            queued = f"{row.queued} ({row.queued_bytes:,} B)" + (" FULL" if row.full else "")
            cells = (
                str(row.item_id),
                str(row.conn),
                row.direction,
                f"{now - row.since:.1f} s",
                row.summary,
                row.reason,
                queued,
            )
            for c, text in enumerate(cells):
                self.held.setItem(r, c, QTableWidgetItem(text))
            if row.item_id == keep or (keep is None and r == 0):
                self.held.selectRow(r)
        if rows:
            self._ages.start()
        else:
            self._ages.stop()
        full = any(r.full for r in rows)
        self.held_status.setText(
            f"{len(rows)} held"
            + (" · a queue is full: reading from that side is paused" if full else "")
        )
        self._enable()

    def _show_ages(self) -> None:
        now = time.monotonic()
        for r, row in enumerate(self.rows):
            item = self.held.item(r, 3)
            if item is not None:
                item.setText(f"{now - row.since:.1f} s")

    def selected(self) -> HeldRow | None:
        r = self.held.currentRow()
        return self.rows[r] if 0 <= r < len(self.rows) else None

    def _enable(self) -> None:
        row = self.selected()
        self.buttons["forward"].setEnabled(row is not None)
        for key in ("edit", "drop", "answer"):
            self.buttons[key].setEnabled(row is not None and row.editable)

    def _act(self, action: Callable[[int], None]) -> None:
        row = self.selected()
        if row is None:
            return
        try:
            action(row.item_id)
        except (KeyError, ValueError) as exc:
            self.held_status.setText(str(exc).strip("'\""))

    def forward(self) -> None:
        self._act(self.runner.forward)

    def drop(self) -> None:
        self._act(self.runner.drop)

    def edit(self) -> None:
        row = self.selected()
        if row is None:
            return
        dialog = self._dialog("edit", row)
        item_id = row.item_id
        dialog.framed.connect(lambda spec: self._act(lambda _: self.runner.edit(item_id, [spec])))

    def answer(self) -> None:
        row = self.selected()
        if row is None:
            return
        dialog = self._dialog("answer", row, payload=b"")
        item_id = row.item_id
        dialog.framed.connect(lambda spec: self._act(lambda _: self.runner.answer(item_id, [spec])))

    def inject(self) -> None:
        conn = self.current_conn()
        if conn is None:
            self.held_status.setText("select a connection to inject into")
            return
        dialog = self._dialog("inject", None, note=f"Connection {conn}")

        def send(spec: object) -> None:
            try:
                self.runner.inject(conn, dialog.to_server, [spec])  # type: ignore[list-item]
            except RuntimeError as exc:
                self.held_status.setText(str(exc))

        dialog.framed.connect(send)

    def _dialog(
        self, mode: str, row: HeldRow | None, *, payload: bytes | None = None, note: str = ""
    ) -> FrameDialog:
        if self.dialog is not None:
            self.dialog.close()
        if row is not None:
            note = note or f"Held {row.direction} on connection {row.conn}: {row.reason}"
            dialog = FrameDialog(
                mode,
                payload=row.payload if payload is None else payload,
                opcode=row.opcode if mode == "edit" else 1,
                fin=row.fin if mode == "edit" else True,
                rsv=row.rsv if mode == "edit" else (False, False, False),
                note=note,
                parent=self,
            )
        else:
            dialog = FrameDialog(mode, note=note, parent=self)
        self.dialog = dialog
        # Deleted once closed: a long session opens many.
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.finished.connect(lambda _result: self._dialog_done(dialog))
        dialog.open()
        return dialog

    def _dialog_done(self, dialog: FrameDialog) -> None:
        if self.dialog is dialog:
            self.dialog = None

    # ---------------------------------------------------------------- rules
    def apply_rules(self) -> None:
        try:
            lines = self.runner.set_rules_text(self.rules_edit.toPlainText())
        except ValueError as exc:
            self.rules_status.setText(f"Not applied: {exc}")
            return
        self.rules_status.setText(
            f"{len(lines)} rule{'s' if len(lines) != 1 else ''} in force"
            + (" (permessage-deflate is not offered to new connections)" if lines else "")
        )
