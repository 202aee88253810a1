"""Connection options: headers, subprotocols, compression, TLS, behaviour and limits.

Open it with :meth:`QDialog.open` and read :meth:`OptionsDialog.options` when it
emits ``accepted``; never ``exec()`` it from a coroutine (that nests a Qt event loop
under qasync).
"""

from __future__ import annotations

import re
from dataclasses import replace

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from ..session.controller import Backoff, ConnectOptions, ReconnectPolicy, TlsOptions
from ..widgets import theme
from ..widgets.naming import named as _named

__all__ = ["PONG_POLICIES", "OptionsDialog", "header_problem", "pong_policy"]

_TOKEN = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")
#: Headers the handshake sets itself; the user may still override some on purpose.
_MANAGED = {
    "host",
    "upgrade",
    "connection",
    "sec-websocket-key",
    "sec-websocket-version",
    "sec-websocket-extensions",
    "sec-websocket-protocol",
    "origin",
}


def header_problem(name: str, value: str) -> str | None:
    """Why a request header cannot be sent as typed, or None."""
    if not name:
        return "a header needs a name"
    if not _TOKEN.match(name):
        return f"header name {name!r} may only contain letters, digits and !#$%&'*+-.^_`|~"
    if "\r" in value or "\n" in value:
        return f"the value of {name} contains a line break"
    return None


#: The pong policy's choices, in the combo box's order.
PONG_POLICIES = ("at once", "after a delay", "never")


def pong_policy(options: ConnectOptions) -> tuple[str, float]:
    """The pong policy of ``options``: one of :data:`PONG_POLICIES`, and the delay in
    milliseconds (0 when there is none)."""
    if not options.auto_pong:
        return "never", 0.0
    if options.pong_delay is not None:
        return "after a delay", options.pong_delay * 1000
    return "at once", 0.0


class _FileField(QWidget):
    """A path line edit with a Browse… button (non-modal file dialog)."""

    changed = Signal()

    def __init__(self, name: str, accessible: str, caption: str, filters: str) -> None:
        super().__init__()
        self.caption = caption
        self.filters = filters
        self.edit = QLineEdit(self)
        _named(self.edit, name, accessible)
        self.edit.setPlaceholderText("(none)")
        self.edit.setClearButtonEnabled(True)
        self.edit.textChanged.connect(self.changed)
        self.button = QPushButton("Browse…", self)
        _named(self.button, name + "Browse", f"Browse for {accessible}")
        self.button.clicked.connect(self._browse)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.edit, 1)
        layout.addWidget(self.button)
        # The form's label is this widget's buddy: its shortcut (Alt+C...) must reach
        # the line edit (a label gives focus only to a buddy that takes it).
        self.setFocusProxy(self.edit)
        self.setFocusPolicy(self.edit.focusPolicy())
        self._dialog: QFileDialog | None = None

    def _browse(self) -> None:
        dialog = QFileDialog(self, self.caption, self.edit.text(), self.filters)
        dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.fileSelected.connect(self.edit.setText)
        self._dialog = dialog
        dialog.open()

    def path(self) -> str | None:
        text = self.edit.text().strip()
        return text or None

    def set_path(self, path: str | None) -> None:
        self.edit.setText(path or "")


class OptionsDialog(QDialog):
    """Edit a :class:`ConnectOptions`. ``options()`` builds the result."""

    def __init__(self, options: ConnectOptions | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("optionsDialog")
        self.setAccessibleName("Connection options")
        self.setWindowTitle("Connection options")
        self.setModal(True)
        self.resize(640, 480)
        self._base = options or ConnectOptions()

        self.tabs = QTabWidget(self)
        _named(self.tabs, "optionsTabs", "Option pages")
        self.tabs.addTab(self._build_request_tab(), "&Request")
        self.tabs.addTab(self._build_tls_tab(), "&TLS")
        self.tabs.addTab(self._build_behaviour_tab(), "&Behaviour && limits")

        self.problem_label = QLabel(self)
        self.problem_label.setObjectName("optionsProblem")
        self.problem_label.setWordWrap(True)
        self.problem_label.setStyleSheet(f"color: {theme.current().violation.name()};")
        self.problem_label.hide()

        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok
            | QDialogButtonBox.StandardButton.Cancel
            | QDialogButtonBox.StandardButton.RestoreDefaults,
            self,
        )
        _named(self.buttons, "optionsButtons", "Dialog buttons")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        for which, name, accessible in (
            (QDialogButtonBox.StandardButton.Ok, "optionsOk", "OK"),
            (QDialogButtonBox.StandardButton.Cancel, "optionsCancel", "Cancel"),
        ):
            button = self.buttons.button(which)
            if button is not None:
                _named(button, name, accessible)
        restore = self.buttons.button(QDialogButtonBox.StandardButton.RestoreDefaults)
        if restore is not None:
            _named(restore, "optionsRestoreDefaults", "Restore defaults")
            restore.clicked.connect(
                lambda: self.set_options(ConnectOptions(read_size=self._base.read_size))
            )

        self.defaults_check = QCheckBox("Use these options for new tabs", self)
        _named(
            self.defaults_check,
            "optionsSaveDefaults",
            "Use these options for new tabs",
            "New tabs start from your defaults (TLS files excepted), never from another "
            "tab's options",
        )
        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(self.problem_label)
        layout.addWidget(self.defaults_check)
        layout.addWidget(self.buttons)
        self.set_options(self._base)

    # ------------------------------------------------------------ building
    def _build_request_tab(self) -> QWidget:
        page = QWidget()
        form = QVBoxLayout(page)

        form.addWidget(QLabel("Extra request headers (sent in this order):"))
        self.headers_table = QTableWidget(0, 2, page)
        _named(self.headers_table, "headersTable", "Request headers")
        self.headers_table.setHorizontalHeaderLabels(["Name", "Value"])
        hh = self.headers_table.horizontalHeader()
        hh.setSectionResizeMode(0, QHeaderView.ResizeMode.Interactive)
        hh.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.headers_table.setColumnWidth(0, 180)
        self.headers_table.verticalHeader().setVisible(False)
        self.headers_table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.headers_table.itemChanged.connect(self._validate)
        form.addWidget(self.headers_table, 2)

        row = QHBoxLayout()
        self.add_header_button = QPushButton("&Add header")
        _named(self.add_header_button, "addHeaderButton", "Add header")
        self.add_header_button.clicked.connect(lambda: self.add_header("", "", edit=True))
        self.remove_header_button = QPushButton("Remove")
        _named(self.remove_header_button, "removeHeaderButton", "Remove header")
        self.remove_header_button.clicked.connect(self._remove_header)
        self.up_header_button = QPushButton("Move up")
        _named(self.up_header_button, "moveHeaderUpButton", "Move header up")
        self.up_header_button.clicked.connect(lambda: self._move_header(-1))
        self.down_header_button = QPushButton("Move down")
        _named(self.down_header_button, "moveHeaderDownButton", "Move header down")
        self.down_header_button.clicked.connect(lambda: self._move_header(1))
        for b in (
            self.add_header_button,
            self.remove_header_button,
            self.up_header_button,
            self.down_header_button,
        ):
            row.addWidget(b)
        row.addStretch(1)
        form.addLayout(row)

        fields = QFormLayout()
        self.origin_edit = QLineEdit(page)
        _named(self.origin_edit, "originField", "Origin header")
        self.origin_edit.setPlaceholderText("(not sent)  e.g. https://example.org")
        fields.addRow("&Origin:", self.origin_edit)
        form.addLayout(fields)

        form.addWidget(QLabel("Subprotocols offered (Sec-WebSocket-Protocol), in order:"))
        self.subprotocol_list = QListWidget(page)
        _named(self.subprotocol_list, "subprotocolList", "Subprotocols")
        self.subprotocol_list.setMaximumHeight(90)
        form.addWidget(self.subprotocol_list, 1)
        row2 = QHBoxLayout()
        self.subprotocol_edit = QLineEdit(page)
        _named(self.subprotocol_edit, "subprotocolField", "New subprotocol")
        self.subprotocol_edit.setPlaceholderText("e.g. graphql-transport-ws")
        self.subprotocol_edit.returnPressed.connect(self._add_subprotocol)
        add_sp = QPushButton("Add")
        _named(add_sp, "addSubprotocolButton", "Add subprotocol")
        add_sp.clicked.connect(self._add_subprotocol)
        rm_sp = QPushButton("Remove")
        _named(rm_sp, "removeSubprotocolButton", "Remove subprotocol")
        rm_sp.clicked.connect(self._remove_subprotocol)
        row2.addWidget(self.subprotocol_edit, 1)
        row2.addWidget(add_sp)
        row2.addWidget(rm_sp)
        form.addLayout(row2)

        self.deflate_check = QCheckBox("Offer permessage-&deflate compression (RFC 7692)", page)
        _named(self.deflate_check, "deflateCheck", "Offer permessage-deflate")
        form.addWidget(self.deflate_check)
        return page

    def _build_tls_tab(self) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        hint = QLabel("Used for wss:// URLs only.")
        hint.setStyleSheet(f"color: {theme.current().muted.name()};")
        layout.addWidget(hint)
        form = QFormLayout()
        self.cafile = _FileField(
            "caFileField", "CA certificate file", "Trusted CA bundle", "PEM (*.pem *.crt);;All (*)"
        )
        form.addRow("Trusted &CA file:", self.cafile)
        self.certfile = _FileField(
            "certFileField",
            "Client certificate",
            "Client certificate",
            "PEM (*.pem *.crt);;All (*)",
        )
        form.addRow("Client c&ertificate:", self.certfile)
        self.keyfile = _FileField(
            "keyFileField", "Client key", "Client private key", "PEM (*.pem *.key);;All (*)"
        )
        form.addRow("Client &key:", self.keyfile)
        self.sni_edit = QLineEdit(page)
        _named(self.sni_edit, "serverNameField", "Server name")
        self.sni_edit.setPlaceholderText("(the URL's host)")
        form.addRow("Server &name (SNI):", self.sni_edit)
        layout.addLayout(form)
        self.insecure_check = QCheckBox("&Skip certificate verification", page)
        _named(self.insecure_check, "insecureCheck", "Skip certificate verification")
        layout.addWidget(self.insecure_check)
        self.insecure_warning = QLabel(
            "⚠ Certificate and host name checks are OFF: anyone on the network path can "
            "read and change this connection. Use only with test servers you trust.",
            page,
        )
        self.insecure_warning.setObjectName("insecureWarning")
        self.insecure_warning.setWordWrap(True)
        self.insecure_warning.setStyleSheet(
            f"color: {theme.current().violation.name()}; font-weight: 600;"
        )
        self.insecure_check.toggled.connect(self.insecure_warning.setVisible)
        self.insecure_warning.setVisible(False)
        layout.addWidget(self.insecure_warning)
        layout.addStretch(1)
        return page

    def _build_behaviour_tab(self) -> QWidget:
        page = QWidget()
        form = QFormLayout(page)
        self.engineio_pongs_check = QCheckBox(
            "Answer Socket.IO (Engine.IO) pings automatically", page
        )
        _named(self.engineio_pongs_check, "engineioPongsCheck", "Automatic Engine.IO pong")
        self.engineio_pongs_check.setToolTip(
            'When the server opens an Engine.IO session, answer its "2" pings with "3", '
            "so that it does not drop the connection after its ping timeout"
        )
        form.addRow(self.engineio_pongs_check)
        pong_row = QHBoxLayout()
        self.pong_combo = QComboBox(page)
        _named(
            self.pong_combo,
            "pongPolicyCombo",
            "Answer pings",
            "How the peer's pings are answered: at once (RFC 6455), late (tests the "
            "peer's ping deadline or idle timeout), or never",
        )
        self.pong_combo.addItems([p.capitalize() for p in PONG_POLICIES])
        self.pong_delay_spin = QSpinBox(page)
        _named(self.pong_delay_spin, "pongDelaySpin", "Pong delay")
        self.pong_delay_spin.setRange(1, 600_000)
        self.pong_delay_spin.setSingleStep(100)
        self.pong_delay_spin.setSuffix(" ms")
        self.pong_combo.currentIndexChanged.connect(self._pong_policy_changed)
        pong_row.addWidget(self.pong_combo, 1)
        pong_row.addWidget(self.pong_delay_spin)
        pong_label = QLabel("Answer &pings:", page)
        pong_label.setBuddy(self.pong_combo)
        form.addRow(pong_label, pong_row)
        self.strict_check = QCheckBox(
            "Strict: fail the connection on the first protocol violation", page
        )
        _named(self.strict_check, "strictCheck", "Strict mode")
        form.addRow(self.strict_check)

        self.keepalive_spin = QDoubleSpinBox(page)
        _named(self.keepalive_spin, "keepaliveSpin", "Keepalive ping interval")
        self.keepalive_spin.setRange(0, 3600)
        self.keepalive_spin.setDecimals(1)
        self.keepalive_spin.setSuffix(" s")
        self.keepalive_spin.setSpecialValueText("off")
        self.keepalive_spin.setToolTip("Send a ping this often to measure the round-trip time")
        form.addRow("&Keepalive ping every:", self.keepalive_spin)

        deadline_row = QHBoxLayout()
        self.ping_timeout_spin = QDoubleSpinBox(page)
        _named(
            self.ping_timeout_spin,
            "pingTimeoutSpin",
            "Pong deadline",
            "A keepalive ping unanswered this long is late",
        )
        self.ping_timeout_spin.setRange(0, 3600)
        self.ping_timeout_spin.setDecimals(1)
        self.ping_timeout_spin.setSuffix(" s")
        self.ping_timeout_spin.setSpecialValueText("none")
        self.ping_late_combo = QComboBox(page)
        _named(self.ping_late_combo, "pingLateCombo", "When a pong is late")
        self.ping_late_combo.addItems(["fails the connection", "is only recorded"])
        deadline_row.addWidget(self.ping_timeout_spin, 1)
        deadline_row.addWidget(self.ping_late_combo)
        deadline_label = QLabel("Pong &deadline:", page)
        deadline_label.setBuddy(self.ping_timeout_spin)
        form.addRow(deadline_label, deadline_row)
        self.ping_payload_edit = QLineEdit(page)
        _named(self.ping_payload_edit, "pingPayloadField", "Keepalive ping payload")
        self.ping_payload_edit.setPlaceholderText("(ka-1, ka-2…: each pong names its ping)")
        self.ping_payload_edit.textChanged.connect(self._validate)
        form.addRow("Ping pa&yload:", self.ping_payload_edit)
        self.keepalive_spin.valueChanged.connect(self._keepalive_changed)

        reconnect_row = QHBoxLayout()
        self.reconnect_check = QCheckBox("&Reconnect when the connection drops", page)
        _named(
            self.reconnect_check,
            "reconnectCheck",
            "Reconnect when the connection drops",
            "Connect again when the server or the network ends the connection, replaying "
            "the messages sent before the one marked in the timeline (all of them "
            "without a mark); each attempt keeps its capture in a tab",
        )
        self.max_attempts_spin = QSpinBox(page)
        _named(self.max_attempts_spin, "maxAttemptsSpin", "Connections in all")
        self.max_attempts_spin.setRange(0, 100_000)
        self.max_attempts_spin.setPrefix("at most ")
        self.max_attempts_spin.setSuffix(" attempts")
        self.max_attempts_spin.setSpecialValueText("no limit")
        self.reconnect_pause_spin = QDoubleSpinBox(page)
        _named(
            self.reconnect_pause_spin,
            "reconnectPauseSpin",
            "First pause before reconnecting",
            "Doubles after each attempt that did not last, up to 30 s",
        )
        self.reconnect_pause_spin.setRange(0, 30)
        self.reconnect_pause_spin.setDecimals(1)
        self.reconnect_pause_spin.setPrefix("first after ")
        self.reconnect_pause_spin.setSuffix(" s")
        reconnect_row.addWidget(self.reconnect_check, 1)
        reconnect_row.addWidget(self.max_attempts_spin)
        reconnect_row.addWidget(self.reconnect_pause_spin)
        form.addRow(reconnect_row)
        self.reconnect_check.toggled.connect(self._reconnect_changed)
        self.set_reconnect_policy(None)

        self.open_timeout_spin = QDoubleSpinBox(page)
        _named(self.open_timeout_spin, "openTimeoutSpin", "Open timeout")
        self.open_timeout_spin.setRange(0.5, 600)
        self.open_timeout_spin.setDecimals(1)
        self.open_timeout_spin.setSuffix(" s")
        self.open_timeout_spin.setToolTip("DNS + TCP + TLS + opening handshake")
        form.addRow("&Open timeout:", self.open_timeout_spin)

        self.close_timeout_spin = QDoubleSpinBox(page)
        _named(self.close_timeout_spin, "closeTimeoutSpin", "Close timeout")
        self.close_timeout_spin.setRange(0.1, 600)
        self.close_timeout_spin.setDecimals(1)
        self.close_timeout_spin.setSuffix(" s")
        form.addRow("&Close timeout:", self.close_timeout_spin)

        self.max_message_spin = QSpinBox(page)
        _named(self.max_message_spin, "maxMessageSpin", "Maximum message size")
        self.max_message_spin.setRange(0, 4096)
        self.max_message_spin.setSuffix(" MiB")
        self.max_message_spin.setSpecialValueText("unlimited")
        form.addRow("Max &message size:", self.max_message_spin)

        self.max_frame_spin = QSpinBox(page)
        _named(self.max_frame_spin, "maxFrameSpin", "Maximum frame size")
        self.max_frame_spin.setRange(0, 4096)
        self.max_frame_spin.setSuffix(" MiB")
        self.max_frame_spin.setSpecialValueText("unlimited")
        form.addRow("Max &frame size:", self.max_frame_spin)

        self.max_capture_spin = QSpinBox(page)
        _named(
            self.max_capture_spin,
            "maxCaptureSpin",
            "Capture budget",
            "Payload bytes one session keeps in full; past it, frames keep their headers "
            "and the first 4 KiB of payload, marked truncated",
        )
        self.max_capture_spin.setRange(0, 65536)
        self.max_capture_spin.setSuffix(" MiB")
        self.max_capture_spin.setSpecialValueText("unlimited")
        form.addRow("Capture &budget:", self.max_capture_spin)
        return page

    def _pong_policy_changed(self, index: int) -> None:
        self.pong_delay_spin.setEnabled(PONG_POLICIES[index] == "after a delay")

    def _reconnect_changed(self, on: bool) -> None:
        self.max_attempts_spin.setEnabled(on)
        self.reconnect_pause_spin.setEnabled(on)

    def set_reconnect_policy(self, policy: ReconnectPolicy | None) -> None:
        """The tab's reconnecting (not a connection option: kept apart from them)."""
        shown = policy or ReconnectPolicy()
        self.reconnect_check.setChecked(policy is not None)
        self.max_attempts_spin.setValue(shown.max_attempts or 0)
        self.reconnect_pause_spin.setValue(shown.backoff.first)
        self._reconnect_changed(policy is not None)

    def reconnect_policy(self) -> ReconnectPolicy | None:
        if not self.reconnect_check.isChecked():
            return None
        return ReconnectPolicy(
            self.max_attempts_spin.value() or None,
            Backoff(first=self.reconnect_pause_spin.value()),
        )

    def _keepalive_changed(self, interval: float) -> None:
        for widget in (self.ping_timeout_spin, self.ping_late_combo, self.ping_payload_edit):
            widget.setEnabled(interval > 0)

    # ------------------------------------------------------------- headers
    def add_header(self, name: str, value: str, *, edit: bool = False) -> None:
        table = self.headers_table
        row = table.rowCount()
        table.blockSignals(True)
        table.insertRow(row)
        table.setItem(row, 0, QTableWidgetItem(name))
        table.setItem(row, 1, QTableWidgetItem(value))
        table.blockSignals(False)
        if edit:
            table.setCurrentCell(row, 0)
            item = table.item(row, 0)
            if item is not None:
                table.editItem(item)
        self._validate()

    def _remove_header(self) -> None:
        rows = sorted({i.row() for i in self.headers_table.selectedIndexes()}, reverse=True)
        if not rows and self.headers_table.currentRow() >= 0:
            rows = [self.headers_table.currentRow()]
        for r in rows:
            self.headers_table.removeRow(r)
        self._validate()

    def _move_header(self, delta: int) -> None:
        table = self.headers_table
        row = table.currentRow()
        target = row + delta
        if row < 0 or not 0 <= target < table.rowCount():
            return
        table.blockSignals(True)
        for col in (0, 1):
            a = table.takeItem(row, col)
            b = table.takeItem(target, col)
            table.setItem(row, col, b)
            table.setItem(target, col, a)
        table.blockSignals(False)
        table.setCurrentCell(target, table.currentColumn())

    def headers(self) -> list[tuple[str, str]]:
        out = []
        for r in range(self.headers_table.rowCount()):
            name_item = self.headers_table.item(r, 0)
            value_item = self.headers_table.item(r, 1)
            name = name_item.text().strip() if name_item else ""
            value = value_item.text().strip() if value_item else ""
            if name or value:
                out.append((name, value))
        return out

    # -------------------------------------------------------- subprotocols
    def _add_subprotocol(self) -> None:
        text = self.subprotocol_edit.text().strip()
        if text:
            item = QListWidgetItem(text)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsEditable)
            self.subprotocol_list.addItem(item)
            self.subprotocol_edit.clear()
        self._validate()

    def _remove_subprotocol(self) -> None:
        for item in self.subprotocol_list.selectedItems():
            self.subprotocol_list.takeItem(self.subprotocol_list.row(item))
        self._validate()

    def subprotocols(self) -> list[str]:
        out = []
        for i in range(self.subprotocol_list.count()):
            item = self.subprotocol_list.item(i)
            if item is not None and item.text().strip():
                out.append(item.text().strip())
        return out

    # ----------------------------------------------------------- validity
    def problems(self) -> list[str]:
        found = []
        for name, value in self.headers():
            problem = header_problem(name, value)
            if problem:
                found.append(problem)
        for sp in self.subprotocols():
            if not _TOKEN.match(sp):
                found.append(f"subprotocol {sp!r} is not a token (no spaces or separators)")
        if len(self.ping_payload_edit.text().encode("utf-8")) > 125:
            found.append("a ping payload is at most 125 bytes of UTF-8")
        return found

    def _validate(self) -> None:
        found = self.problems()
        notes = [
            f"note: {name} is normally set by the handshake; yours is sent as well"
            for name, _ in self.headers()
            if name.lower() in _MANAGED
        ]
        self.problem_label.setText("\n".join(found + notes))
        self.problem_label.setVisible(bool(found or notes))
        ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        if ok is not None:
            ok.setEnabled(not found)

    # ------------------------------------------------------------ in / out
    def set_options(self, options: ConnectOptions) -> None:
        self.headers_table.setRowCount(0)
        for name, value in options.headers:
            self.add_header(name, value)
        self.origin_edit.setText(options.origin or "")
        self.subprotocol_list.clear()
        for sp in options.subprotocols:
            item = QListWidgetItem(sp)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsEditable)
            self.subprotocol_list.addItem(item)
        self.deflate_check.setChecked(options.deflate)
        tls = options.tls
        self.cafile.set_path(tls.cafile)
        self.certfile.set_path(tls.certfile)
        self.keyfile.set_path(tls.keyfile)
        self.sni_edit.setText(tls.server_hostname or "")
        self.insecure_check.setChecked(tls.insecure)
        self.insecure_warning.setVisible(tls.insecure)
        self.engineio_pongs_check.setChecked(options.engineio_pongs)
        policy, delay_ms = pong_policy(options)
        self.pong_combo.setCurrentIndex(PONG_POLICIES.index(policy))
        self.pong_delay_spin.setValue(round(delay_ms) if delay_ms else 1000)
        self._pong_policy_changed(self.pong_combo.currentIndex())
        self.strict_check.setChecked(options.strict)
        self.keepalive_spin.setValue(options.keepalive_interval or 0)
        self.ping_timeout_spin.setValue(options.ping_timeout or 0)
        self.ping_late_combo.setCurrentIndex(0 if options.ping_late_fails else 1)
        self.ping_payload_edit.setText(options.ping_payload.decode("utf-8", "replace"))
        self._keepalive_changed(self.keepalive_spin.value())
        self.open_timeout_spin.setValue(options.open_timeout)
        self.close_timeout_spin.setValue(options.close_timeout)
        mib = 2**20
        self.max_message_spin.setValue(
            0 if options.max_message_size is None else max(1, options.max_message_size // mib)
        )
        self.max_frame_spin.setValue(
            0 if options.max_frame_size is None else max(1, options.max_frame_size // mib)
        )
        self.max_capture_spin.setValue(
            0 if options.max_capture_bytes is None else max(1, options.max_capture_bytes // mib)
        )
        self._validate()

    def options(self) -> ConnectOptions:
        mib = 2**20
        max_msg = self.max_message_spin.value()
        max_frame = self.max_frame_spin.value()
        keepalive = self.keepalive_spin.value()
        max_capture = self.max_capture_spin.value()
        policy = PONG_POLICIES[self.pong_combo.currentIndex()]
        ping_timeout = self.ping_timeout_spin.value()
        # Over the options the dialog was opened with: what it has no field for stays.
        return replace(
            self._base,
            headers=tuple(self.headers()),
            subprotocols=tuple(self.subprotocols()),
            deflate=self.deflate_check.isChecked(),
            origin=self.origin_edit.text().strip() or None,
            open_timeout=self.open_timeout_spin.value(),
            close_timeout=self.close_timeout_spin.value(),
            max_message_size=max_msg * mib if max_msg else None,
            max_frame_size=max_frame * mib if max_frame else None,
            max_capture_bytes=max_capture * mib if max_capture else None,
            auto_pong=policy != "never",
            pong_delay=self.pong_delay_spin.value() / 1000 if policy == "after a delay" else None,
            engineio_pongs=self.engineio_pongs_check.isChecked(),
            keepalive_interval=keepalive or None,
            ping_timeout=ping_timeout or None,
            ping_late_fails=self.ping_late_combo.currentIndex() == 0,
            ping_payload=self.ping_payload_edit.text().encode("utf-8"),
            strict=self.strict_check.isChecked(),
            tls=TlsOptions(
                cafile=self.cafile.path(),
                certfile=self.certfile.path(),
                keyfile=self.keyfile.path(),
                insecure=self.insecure_check.isChecked(),
                server_hostname=self.sni_edit.text().strip() or None,
            ),
        )
