"""The Format tab: a message in an application format (MessagePack or CBOR from JSON,
a Socket.IO event, a STOMP frame, a GraphQL subscribe), with the bytes it makes and
how our own view reads them back, before it is sent."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QScrollArea,
    QSizePolicy,
    QSplitter,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from ...capture.events import Direction
from ...views import compose
from ..session.controller import SessionController
from ..widgets import theme
from ..widgets.naming import named
from .entries import HistoryEntry, format_label
from .forms import FORMS, Form, GraphQLForm, JsonForm, SocketIOForm, StompForm
from .tab import ComposeTab, info_label, show

__all__ = ["FormatTab"]

#: The format a negotiated subprotocol speaks, chosen when the connection opens.
_BY_SUBPROTOCOL = {
    "v10.stomp": "stomp",
    "v11.stomp": "stomp",
    "v12.stomp": "stomp",
    "stomp": "stomp",
    "graphql-transport-ws": "graphql",
    "graphql-ws": "graphql",
}


class FormatTab(ComposeTab):
    def __init__(self, session: SessionController, parent: QWidget | None = None) -> None:
        super().__init__(session, parent)
        self.setObjectName("formatTab")
        self._picked = False  # the user chose a format: the subprotocol does not
        self.forms: dict[str, Form] = {
            "msgpack": JsonForm("msgpack", "MessagePack"),
            "cbor": JsonForm("cbor", "CBOR"),
            "socket.io": SocketIOForm(),
            "stomp": StompForm(),
            "graphql": GraphQLForm(),
        }
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 0)
        row = QHBoxLayout()
        row.addWidget(QLabel("Format:", self))
        self.format = QComboBox(self)
        named(self.format, "composeFormat", "Application format")
        for key, title in FORMS:
            self.format.addItem(title, key)
        row.addWidget(self.format)
        self.info = info_label(self, "formatInfo", "Format message status")
        row.addWidget(self.info, 1)
        layout.addLayout(row)

        self.stack = QStackedWidget(self)
        self.stack.setObjectName("formatForms")
        for key, _ in FORMS:
            form = self.forms[key]
            self.stack.addWidget(form)
            form.changed.connect(self._update)
        self.preview = QPlainTextEdit(self)
        named(self.preview, "formatPreview", "Bytes that will be sent, read back")
        self.preview.setReadOnly(True)
        self.preview.setFont(theme.monospace_font(-1))
        self.preview.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        splitter = QSplitter(Qt.Orientation.Horizontal, self)
        splitter.setObjectName("formatSplitter")
        forms = QScrollArea(self)
        forms.setObjectName("formatFormsScroll")
        forms.setWidgetResizable(True)
        forms.setFrameShape(QScrollArea.Shape.NoFrame)
        forms.setWidget(self.stack)  # a low window scrolls the form, not the pane
        splitter.addWidget(forms)
        splitter.addWidget(self.preview)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        splitter.setChildrenCollapsible(False)
        layout.addWidget(splitter, 1)
        self.format.currentIndexChanged.connect(self._format_changed)
        self.format.activated.connect(self._user_picked)
        self._format_changed()

    # ------------------------------------------------------------ the format
    @property
    def form(self) -> Form:
        return self.forms[self.format.currentData()]

    def select(self, key: str) -> None:
        """Show the form of ``key`` (``msgpack``, ``cbor``, ``socket.io``...)."""
        self.format.setCurrentIndex(self.format.findData(key))

    def _user_picked(self) -> None:
        self._picked = True

    def _format_changed(self) -> None:
        # Only the form shown asks for room: the stack would take the tallest one's.
        for form in self.forms.values():
            policy = (
                QSizePolicy.Policy.Preferred if form is self.form else QSizePolicy.Policy.Ignored
            )
            form.setSizePolicy(policy, policy)
        self.stack.setCurrentWidget(self.form)
        self.stack.adjustSize()
        self._update()

    def subprotocol(self) -> str | None:
        """What the current connection's handshake negotiated."""
        store = self.session.store
        handshake = store.handshake(Direction.IN) if store is not None else None
        return handshake.subprotocol if handshake is not None else None

    def composed(self) -> compose.Composed:
        return self.form.composed(self.subprotocol())

    def _update(self) -> None:
        try:
            composed = self.composed()
        except ValueError as exc:
            self.preview.setPlainText("")
            # Nothing typed yet is not a mistake: what to type, not in red.
            typed = any(
                e.toPlainText() if isinstance(e, QPlainTextEdit) else e.text()
                for e in self.form.editors()
            )
            show(self.info, str(exc), "error" if typed else "muted")
        else:
            sub = self.subprotocol()
            self.preview.setPlainText(compose.preview(composed, sub))
            show(self.info, compose.summary(composed, sub), "muted")
        self.changed.emit()

    # ------------------------------------------------------------ ComposeTab
    def send_label(self) -> str:
        return self.form.send_label

    def entry(self) -> HistoryEntry:
        s = self.session
        composed = self.composed()
        label = format_label(composed.is_text, compose.summary(composed, self.subprotocol()))
        if composed.is_text:
            text = composed.text
            return HistoryEntry("text", label, lambda: s.send_text(text))
        data = composed.payload
        return HistoryEntry("binary", label, lambda: s.send_binary(data))

    def editors(self) -> list[QPlainTextEdit | QLineEdit]:
        return [e for form in self.forms.values() for e in form.editors()]

    def session_opened(self) -> None:
        sub = self.subprotocol()
        if not self._picked and sub in _BY_SUBPROTOCOL:
            self.select(_BY_SUBPROTOCOL[sub])
        graphql_form = self.forms["graphql"]
        assert isinstance(graphql_form, GraphQLForm)
        graphql_form.show_negotiated(sub)
        self._update()  # the GraphQL message's type may follow the subprotocol
