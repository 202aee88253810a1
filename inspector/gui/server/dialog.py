"""File > New server…: where the server listens, how it answers each client's
opening handshake, and how it behaves once a client is connected.

Non-modal: opened with ``open()``; ``accepted`` fires only once the fields make a
server (:meth:`NewServerDialog.problem` is None); read them with
:meth:`NewServerDialog.listen_address` and :meth:`NewServerDialog.options`.
"""

from __future__ import annotations

import re

from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QRadioButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from ..live.dialog import ListenDialog
from ..session.server import HandshakeAction, HandshakeDecision, ServerOptions
from ..widgets import theme
from ..widgets.naming import named

__all__ = ["DEFAULT_LISTEN", "NewServerDialog", "parse_header_lines", "split_names"]

DEFAULT_LISTEN = "127.0.0.1:8765"
_EDIT_LINES = 3


def split_names(text: str) -> tuple[str, ...]:
    """Subprotocol names separated by commas or spaces, in order."""
    return tuple(n for n in re.split(r"[\s,]+", text.strip()) if n)


def parse_header_lines(text: str) -> tuple[tuple[str, str], ...]:
    """``Name: value`` lines (blank lines skipped); raises ValueError naming the line."""
    headers = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        name, sep, value = line.partition(":")
        if not sep or not name.strip():
            raise ValueError(f"header line {number} is not 'Name: value': {line.strip()!r}")
        headers.append((name.strip(), value.strip()))
    return tuple(headers)


def _lines_edit(parent: QWidget, placeholder: str) -> QPlainTextEdit:
    edit = QPlainTextEdit(parent)
    edit.setPlaceholderText(placeholder)
    edit.setTabChangesFocus(True)
    edit.setFont(theme.monospace_font())
    edit.setFixedHeight(edit.fontMetrics().lineSpacing() * _EDIT_LINES + 12)
    return edit


class NewServerDialog(ListenDialog):
    """The settings of a new server; with ``editing``, those of a running one (its
    address cannot change; the new answers apply to the next clients)."""

    def __init__(
        self,
        parent: QWidget | None = None,
        *,
        editing: ServerOptions | None = None,
        listen: str = DEFAULT_LISTEN,
    ) -> None:
        new = editing is None
        super().__init__(
            parent,
            name="newServerDialog" if new else "serverAnswersDialog",
            title="New server" if new else "How the server answers",
            prefix="server",
            what="server",
            listen=listen,
            ok="Start server" if new else "Apply to the next clients",
            ok_name="serverStart" if new else "serverApply",
        )

        # ------------------------------------------------ the handshake's answer
        self.accept_radio = QRadioButton("Accept (101 Switching Protocols)", self)
        named(self.accept_radio, "serverAccept", "Accept the handshake")
        self.reject_radio = QRadioButton("Reject with an HTTP status", self)
        named(
            self.reject_radio,
            "serverReject",
            "Reject the handshake",
            "Answer every handshake with the status, headers and body below",
        )
        self.close_radio = QRadioButton("Accept, then close at once", self)
        named(
            self.close_radio,
            "serverAcceptClose",
            "Accept and close at once",
            "Send the 101, then a close frame with the code below",
        )
        self.accept_radio.setChecked(True)
        self._actions = QButtonGroup(self)
        for radio in (self.accept_radio, self.reject_radio, self.close_radio):
            self._actions.addButton(radio)

        self.subprotocols_edit = QLineEdit(self)
        named(
            self.subprotocols_edit,
            "serverSubprotocols",
            "Subprotocols to accept",
            "Accepted when a client offers one (commas or spaces); the client's order "
            "of preference wins",
        )
        self.subprotocols_edit.setPlaceholderText("chat, v2.json")
        self.deflate_check = QCheckBox("Accept permessage-deflate when offered", self)
        named(
            self.deflate_check,
            "serverDeflate",
            "Accept permessage-deflate",
            "The one extension the engine speaks; other offered extensions are declined",
        )
        self.deflate_check.setChecked(True)
        self.headers_edit = _lines_edit(self, "X-Example: value   (one per line)")
        named(
            self.headers_edit,
            "serverHeaders",
            "Response headers",
            "Added to the response (the 101 or the refusal); a generated header of the "
            "same name is replaced",
        )
        self.status_spin = QSpinBox(self)
        named(self.status_spin, "serverRejectStatus", "Refusal status", "200-999")
        self.status_spin.setRange(200, 999)
        self.status_spin.setValue(403)
        self.body_edit = _lines_edit(self, "Sent as text/plain")
        named(self.body_edit, "serverRejectBody", "Refusal body")
        self.close_code_spin = QSpinBox(self)
        named(
            self.close_code_spin,
            "serverCloseCode",
            "Close code",
            "Sent as chosen, valid or not (1000-4999 are the usual ones)",
        )
        self.close_code_spin.setRange(0, 65535)
        self.close_code_spin.setValue(1000)
        self.close_reason_edit = QLineEdit(self)
        named(self.close_reason_edit, "serverCloseReason", "Close reason")
        self.delay_spin = QDoubleSpinBox(self)
        named(
            self.delay_spin,
            "serverDelay",
            "Handshake delay",
            "Seconds to wait before answering each handshake (tests a client's timeout)",
        )
        self.delay_spin.setRange(0.0, 3600.0)
        self.delay_spin.setDecimals(2)
        self.delay_spin.setSingleStep(0.5)
        self.delay_spin.setSuffix(" s")

        self.accept_box = QGroupBox("When accepting", self)
        named(self.accept_box, "serverAcceptBox", "Accept settings")
        accept_form = QFormLayout(self.accept_box)
        accept_form.addRow("&Subprotocols:", self.subprotocols_edit)
        accept_form.addRow(self.deflate_check)
        self.reject_box = QGroupBox("When rejecting", self)
        named(self.reject_box, "serverRejectBox", "Refusal settings")
        reject_form = QFormLayout(self.reject_box)
        reject_form.addRow("S&tatus:", self.status_spin)
        reject_form.addRow("&Body:", self.body_edit)
        self.close_box = QGroupBox("When closing at once", self)
        named(self.close_box, "serverCloseBox", "Close settings")
        close_row = QHBoxLayout(self.close_box)
        close_row.addWidget(QLabel("Code:", self.close_box))
        close_row.addWidget(self.close_code_spin)
        close_row.addWidget(QLabel("Reason:", self.close_box))
        close_row.addWidget(self.close_reason_edit, 1)

        # ------------------------------------------------------- behaviour
        self.echo_check = QCheckBox("Echo every message back", self)
        named(self.echo_check, "serverEcho", "Echo messages")
        self.echo_check.setChecked(True)
        self.manual_check = QCheckBox("Manual replies only (no echo, pong or close reply)", self)
        named(
            self.manual_check,
            "serverManual",
            "Manual replies only",
            "Nothing is sent by itself: pings and close frames wait for your answer "
            "from the compose pane",
        )
        self.on_connect_edit = QLineEdit(self)
        named(
            self.on_connect_edit,
            "serverOnConnect",
            "Message on connect",
            "A text message sent to each client as soon as it is connected (empty: none)",
        )
        self.strict_check = QCheckBox("Strict: fail a client on its first violation", self)
        named(
            self.strict_check,
            "serverStrict",
            "Strict mode",
            "Off (observe mode), violations are recorded and the server carries on",
        )
        self.behaviour_box = QGroupBox("Once connected", self)
        named(self.behaviour_box, "serverBehaviourBox", "Behaviour")
        behaviour = QFormLayout(self.behaviour_box)
        behaviour.addRow(self.echo_check)
        behaviour.addRow(self.manual_check)
        behaviour.addRow("On &connect:", self.on_connect_edit)
        behaviour.addRow(self.strict_check)

        main = QFormLayout()
        main.addRow("&Listen on:", self.listen_edit)
        answer = QVBoxLayout()
        for radio in (self.accept_radio, self.reject_radio, self.close_radio):
            answer.addWidget(radio)
        main.addRow("Handshake:", answer)
        main.addRow("&Delay the answer:", self.delay_spin)
        main.addRow("Response &headers:", self.headers_edit)
        columns = QHBoxLayout()
        left = QVBoxLayout()
        left.addWidget(self.accept_box)
        left.addWidget(self.close_box)
        left.addStretch(1)
        columns.addLayout(left, 1)
        columns.addWidget(self.reject_box, 1)
        self.finish(main, columns, self.behaviour_box, width=640)
        self._actions.buttonToggled.connect(self._update_enabled)
        self.manual_check.toggled.connect(self._update_enabled)
        if editing is not None:
            self.listen_edit.setReadOnly(True)
            self.load(editing)
        self._update_enabled()

    def load(self, options: ServerOptions) -> None:
        """Show ``options`` in the fields."""
        d = options.handshake
        radio = {
            HandshakeAction.ACCEPT: self.accept_radio,
            HandshakeAction.REJECT: self.reject_radio,
            HandshakeAction.CLOSE: self.close_radio,
        }[d.action]
        radio.setChecked(True)
        self.subprotocols_edit.setText(", ".join(d.subprotocols))
        self.deflate_check.setChecked(d.deflate)
        self.headers_edit.setPlainText("\n".join(f"{n}: {v}" for n, v in d.headers))
        self.status_spin.setValue(d.status)
        self.body_edit.setPlainText(d.body)
        self.close_code_spin.setValue(d.close_code if d.close_code is not None else 1000)
        self.close_reason_edit.setText(d.close_reason)
        self.delay_spin.setValue(d.delay)
        self.echo_check.setChecked(options.echo)
        self.manual_check.setChecked(options.manual)
        self.on_connect_edit.setText(options.on_connect[0] if options.on_connect else "")
        self.strict_check.setChecked(options.strict)
        self._update_enabled()

    # ------------------------------------------------------------- reading
    @property
    def action(self) -> HandshakeAction:
        if self.reject_radio.isChecked():
            return HandshakeAction.REJECT
        if self.close_radio.isChecked():
            return HandshakeAction.CLOSE
        return HandshakeAction.ACCEPT

    def decision(self) -> HandshakeDecision:
        """The handshake's answer; raises ValueError saying what is wrong."""
        return HandshakeDecision(
            self.action,
            subprotocols=split_names(self.subprotocols_edit.text()),
            deflate=self.deflate_check.isChecked(),
            headers=parse_header_lines(self.headers_edit.toPlainText()),
            status=self.status_spin.value(),
            body=self.body_edit.toPlainText(),
            close_code=self.close_code_spin.value(),
            close_reason=self.close_reason_edit.text(),
            delay=self.delay_spin.value(),
        )

    def options(self) -> ServerOptions:
        """Raises ValueError (see :meth:`problem`)."""
        text = self.on_connect_edit.text()
        return ServerOptions(
            self.decision(),
            echo=self.echo_check.isChecked(),
            on_connect=(text,) if text else (),
            manual=self.manual_check.isChecked(),
            strict=self.strict_check.isChecked(),
        )

    def _problem(self) -> str | None:
        try:
            self.options()
        except ValueError as exc:
            return str(exc)
        return None

    # ------------------------------------------------------------- actions
    def _update_enabled(self, *_: object) -> None:
        action = self.action
        self.accept_box.setEnabled(action is not HandshakeAction.REJECT)
        self.reject_box.setEnabled(action is HandshakeAction.REJECT)
        self.close_box.setEnabled(action is HandshakeAction.CLOSE)
        connected = action is HandshakeAction.ACCEPT
        self.behaviour_box.setEnabled(connected)
        self.echo_check.setEnabled(connected and not self.manual_check.isChecked())
