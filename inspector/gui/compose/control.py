"""The control tabs: Ping / Pong, and Close with a code and a reason."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QRadioButton,
    QWidget,
)

from ...protocol.constants import close_code_name, is_valid_close_code
from ...protocol.crafting import (
    CLOSE_REASON_LIMIT,
    CONTROL_PAYLOAD_LIMIT,
    check_close,
    parse_close_code,
    parse_hex,
)
from ..session.controller import SessionController
from ..widgets.naming import named
from .entries import HistoryEntry, close_label, control_label
from .tab import ComposeTab, info_label, show

__all__ = ["CLOSE_CODES", "CloseTab", "PingTab"]


def _close_codes() -> list[tuple[int | None, str]]:
    codes: list[tuple[int | None, str]] = []
    for code in range(1000, 1016):
        name = close_code_name(code)
        codes.append((code, name if is_valid_close_code(code) else f"{name} (must not be sent)"))
    codes += [
        (3000, "Registered with IANA (3000-3999)"),
        (4000, "Private use (4000-4999)"),
        (None, "(no code: empty close payload)"),
    ]
    return codes


#: The choices of the close code box; any other number can be typed.
CLOSE_CODES = _close_codes()


_PING_HINT = "A ping's payload comes back in the pong; the round-trip time shows in the status bar."
_PONG_HINT = (
    "An unsolicited pong is a one-way heartbeat: the peer sends nothing back (RFC 6455 §5.5.3)."
)


class PingTab(ComposeTab):
    TEXT, HEX = range(2)

    def __init__(self, session: SessionController, parent: QWidget | None = None) -> None:
        super().__init__(session, parent)
        self.setObjectName("pingTab")
        layout = QGridLayout(self)
        layout.setContentsMargins(4, 8, 4, 0)
        self.ping_radio = QRadioButton("&Ping", self)
        named(self.ping_radio, "pingRadio", "Ping")
        self.pong_radio = QRadioButton("P&ong (unsolicited)", self)
        named(self.pong_radio, "pongRadio", "Pong")
        self.ping_radio.setChecked(True)
        group = QButtonGroup(self)
        group.addButton(self.ping_radio)
        group.addButton(self.pong_radio)
        group.buttonToggled.connect(lambda *_: self._update())
        kinds = QHBoxLayout()
        kinds.addWidget(self.ping_radio)
        kinds.addWidget(self.pong_radio)
        kinds.addStretch(1)
        layout.addLayout(kinds, 0, 0, 1, 3)
        layout.addWidget(QLabel("Payload:", self), 1, 0)
        self.payload_edit = QLineEdit(self)
        named(self.payload_edit, "controlPayload", "Ping or pong payload")
        self.payload_edit.setPlaceholderText(f"(empty)  up to {CONTROL_PAYLOAD_LIMIT} bytes")
        layout.addWidget(self.payload_edit, 1, 1)
        self.format = QComboBox(self)
        named(self.format, "controlFormat", "Ping payload format")
        self.format.addItems(["Text", "Hex"])
        layout.addWidget(self.format, 1, 2)
        self.info = info_label(self, "controlInfo", "Ping payload size")
        layout.addWidget(self.info, 2, 1, 1, 2)
        self.hint = QLabel(self)
        self.hint.setObjectName("controlHint")
        self.hint.setWordWrap(True)
        layout.addWidget(self.hint, 3, 0, 1, 3)
        layout.setRowStretch(4, 1)
        layout.setColumnStretch(1, 1)
        self.payload_edit.textChanged.connect(self._update)
        self.format.currentIndexChanged.connect(self._update)
        self._update()

    def payload(self) -> bytes:
        text = self.payload_edit.text()
        if self.format.currentIndex() == self.HEX:
            return parse_hex(text)
        return text.encode("utf-8")

    def _update(self) -> None:
        # What comes of it: the pane said "comes back in the pong" of a pong too.
        pong = self.pong_radio.isChecked()
        show(self.hint, _PONG_HINT if pong else _PING_HINT, "muted")
        # A screen reader names the controls after the frame they make.
        kind = "Pong" if pong else "Ping"
        self.format.setAccessibleName(f"{kind} payload format")
        self.info.setAccessibleName(f"{kind} payload size")
        try:
            data = self.payload()
        except ValueError as exc:
            show(self.info, str(exc), "error")
        else:
            counter = f"{len(data)} / {CONTROL_PAYLOAD_LIMIT} bytes"
            if len(data) > CONTROL_PAYLOAD_LIMIT:
                show(
                    self.info,
                    f"{counter}: a control frame's payload is at most {CONTROL_PAYLOAD_LIMIT} "
                    "bytes (§5.5); use the Frame tab to send it anyway",
                    "error",
                )
            else:
                show(self.info, counter, "muted")
        self.changed.emit()

    def send_label(self) -> str:
        return "Send pong" if self.pong_radio.isChecked() else "Send ping"

    def entry(self) -> HistoryEntry:
        s = self.session
        payload = self.payload()
        if len(payload) > CONTROL_PAYLOAD_LIMIT:
            raise ValueError(f"the payload is over {CONTROL_PAYLOAD_LIMIT} bytes")
        if self.pong_radio.isChecked():
            return HistoryEntry(
                "pong", control_label("pong", payload), lambda: s.send_pong(payload)
            )
        return HistoryEntry("ping", control_label("ping", payload), lambda: s.send_ping(payload))

    def editors(self) -> list[QPlainTextEdit | QLineEdit]:
        return [self.payload_edit]


class CloseTab(ComposeTab):
    def __init__(self, session: SessionController, parent: QWidget | None = None) -> None:
        super().__init__(session, parent)
        self.setObjectName("closeTab")
        layout = QGridLayout(self)
        layout.setContentsMargins(4, 8, 4, 0)
        layout.addWidget(QLabel("Code:", self), 0, 0)
        self.code_box = QComboBox(self)
        named(self.code_box, "closeCode", "Close code")
        self.code_box.setEditable(True)
        self.code_box.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        for code, name in CLOSE_CODES:
            self.code_box.addItem(f"{code} {name}" if code is not None else name, code)
        self.code_box.setCurrentIndex(0)
        self.code_box.setMinimumContentsLength(28)
        layout.addWidget(self.code_box, 0, 1)
        self.meaning = info_label(self, "closeMeaning", "Close code meaning")
        layout.addWidget(self.meaning, 1, 1, 1, 2)
        layout.addWidget(QLabel("Reason:", self), 2, 0)
        self.reason = QLineEdit(self)
        named(self.reason, "closeReason", "Close reason")
        self.reason.setPlaceholderText(f"(optional) UTF-8 text, at most {CLOSE_REASON_LIMIT} bytes")
        layout.addWidget(self.reason, 2, 1)
        self.counter = info_label(self, "closeCounter", "Close reason size")
        self.counter.setWordWrap(False)
        layout.addWidget(self.counter, 2, 2)
        self.warning = info_label(self, "closeWarning", "Close warning")
        layout.addWidget(self.warning, 3, 1, 1, 2)
        layout.setRowStretch(4, 1)
        layout.setColumnStretch(1, 1)
        self.code_box.currentTextChanged.connect(self._update)
        self.reason.textChanged.connect(self._update)
        self._update()

    def code(self) -> int | None:
        """The code typed or picked; None for "no code". Raises ValueError."""
        return parse_close_code(self.code_box.currentText())

    def _update(self) -> None:
        reason = self.reason.text()
        problems: list[str] = []
        level = "warn"
        try:
            code = self.code()
        except ValueError as exc:
            show(self.meaning, str(exc), "error")
            check = check_close(1000, reason)  # the reason is checked all the same
            problems.append("fix the close code")
            level = "error"
        else:
            check = check_close(code, reason)
            show(self.meaning, check.meaning, "muted")
        over = check.reason_bytes > CLOSE_REASON_LIMIT
        show(
            self.counter,
            f"{check.reason_bytes} / {CLOSE_REASON_LIMIT} bytes",
            "error" if over else "muted",
        )
        problems = [*check.errors, *problems, *check.warnings]
        if check.errors:
            level = "error"
        show(self.warning, "⚠ " + "; ".join(problems) if problems else "", level)
        self.warning.setVisible(bool(problems))
        self.changed.emit()

    def send_label(self) -> str:
        return "Send close"

    def entry(self) -> HistoryEntry:
        s = self.session
        code = self.code()
        reason = self.reason.text()
        check = check_close(code, reason)
        if not check.sendable:
            raise ValueError(check.errors[0])
        return HistoryEntry("close", close_label(code, reason), lambda: s.send_close(code, reason))

    def editors(self) -> list[QPlainTextEdit | QLineEdit]:
        return [self.reason]
