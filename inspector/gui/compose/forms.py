"""The Format tab's forms, one per application format: fields only, each turned into
a message by :mod:`inspector.views.compose` (Qt-free, tested without Qt)."""

from __future__ import annotations

from typing import ClassVar

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QLineEdit,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from ...views import compose
from ...views.subprotocols import GRAPHQL_LEGACY, GRAPHQL_TRANSPORT
from ..widgets import theme
from ..widgets.naming import named

__all__ = ["FORMS", "Form", "GraphQLForm", "JsonForm", "SocketIOForm", "StompForm"]


def _editor(parent: QWidget, name: str, accessible: str, placeholder: str) -> QPlainTextEdit:
    edit = QPlainTextEdit(parent)
    named(edit, name, accessible)
    edit.setPlaceholderText(placeholder)
    edit.setFont(theme.monospace_font())
    edit.setTabChangesFocus(True)
    return edit


def _line(parent: QWidget, name: str, accessible: str, placeholder: str = "") -> QLineEdit:
    edit = QLineEdit(parent)
    named(edit, name, accessible)
    edit.setPlaceholderText(placeholder)
    return edit


def _combo(parent: QWidget, name: str, accessible: str, items: list[str]) -> QComboBox:
    box = QComboBox(parent)
    named(box, name, accessible)
    box.addItems(items)
    return box


class Form(QWidget):
    """One format's fields; ``changed`` on any edit."""

    changed = Signal()
    #: What Send says for this format.
    send_label = "Send"

    def composed(self, subprotocol: str | None) -> compose.Composed:
        """The message; ``ValueError`` says what is wrong."""
        raise NotImplementedError

    def editors(self) -> list[QPlainTextEdit | QLineEdit]:
        return [w for w in self.findChildren(QPlainTextEdit) if not w.isReadOnly()] + list(
            self.findChildren(QLineEdit)
        )

    def _watch(self) -> None:
        for edit in self.findChildren(QPlainTextEdit):
            edit.textChanged.connect(self.changed)
        for line in self.findChildren(QLineEdit):
            line.textChanged.connect(self.changed)
        for box in self.findChildren(QComboBox):
            box.currentIndexChanged.connect(self.changed)


class JsonForm(Form):
    """A JSON value, sent as MessagePack or CBOR (a binary message)."""

    def __init__(self, fmt: str, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.fmt = fmt
        self.send_label = f"Send {title}"
        self.setObjectName(f"{fmt}Form")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.edit = _editor(
            self,
            f"{fmt}JsonEdit",
            f"JSON value to send as {title}",
            f'JSON, sent as {title}: e.g. {{"type": "subscribe", "ids": [1, 2]}}',
        )
        layout.addWidget(self.edit)
        self._watch()

    def composed(self, subprotocol: str | None) -> compose.Composed:
        return compose.json_as(self.edit.toPlainText(), self.fmt)


class SocketIOForm(Form):
    """A Socket.IO v5 packet: an event (name, arguments, ack id), a namespace's
    CONNECT (with its auth object), a DISCONNECT, or an ACK to the server's ack id."""

    KINDS: ClassVar[tuple[str, ...]] = ("event", "connect", "disconnect", "ack")
    send_label = "Emit"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("socketioForm")
        form = QFormLayout(self)
        form.setContentsMargins(0, 0, 0, 0)
        self.form = form
        self.kind = _combo(
            self,
            "socketioKind",
            "Socket.IO packet",
            ["EVENT", "CONNECT (join namespace)", "DISCONNECT", "ACK (answer an ack id)"],
        )
        form.addRow("&Packet:", self.kind)
        self.namespace = _line(self, "socketioNamespace", "Socket.IO namespace", "/")
        form.addRow("&Namespace:", self.namespace)
        self.event_name = _line(self, "socketioEvent", "Socket.IO event name", "chat message")
        form.addRow("&Event:", self.event_name)
        self.args = _editor(
            self,
            "socketioArgs",
            "Socket.IO arguments as a JSON array",
            'Arguments, a JSON array: ["hello", {"room": 1}]',
        )
        form.addRow("&Arguments:", self.args)
        self.ack = _line(self, "socketioAck", "Socket.IO ack id", "none: no ack asked")
        form.addRow("Ac&k id:", self.ack)
        self.kind.currentIndexChanged.connect(self._rows)
        self._watch()
        self._rows()

    def _rows(self) -> None:
        kind = self.KINDS[self.kind.currentIndex()]
        self.form.setRowVisible(self.event_name, kind == "event")
        self.form.setRowVisible(self.args, kind in ("event", "ack", "connect"))
        self.form.setRowVisible(self.ack, kind in ("event", "ack"))
        self.args.setPlaceholderText(
            'Auth object, optional: {"token": "..."}'
            if kind == "connect"
            else 'Arguments, a JSON array: ["hello", {"room": 1}]'
        )

    def composed(self, subprotocol: str | None) -> compose.Composed:
        return compose.socketio_packet(
            self.KINDS[self.kind.currentIndex()],
            self.namespace.text(),
            self.event_name.text(),
            self.args.toPlainText(),
            self.ack.text(),
        )


#: Headers a new frame of each command starts with (replaced while not edited).
_STOMP_TEMPLATES = {
    "CONNECT": "accept-version:1.2\nhost:localhost\nheart-beat:0,0",
    "STOMP": "accept-version:1.2\nhost:localhost\nheart-beat:0,0",
    "SEND": "destination:/queue/a\ncontent-type:text/plain",
    "SUBSCRIBE": "id:sub-0\ndestination:/topic/a\nack:auto",
    "UNSUBSCRIBE": "id:sub-0",
    "ACK": "id:",
    "NACK": "id:",
    "BEGIN": "transaction:tx1",
    "COMMIT": "transaction:tx1",
    "ABORT": "transaction:tx1",
    "DISCONNECT": "receipt:77",
}


class StompForm(Form):
    send_label = "Send STOMP"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("stompForm")
        form = QFormLayout(self)
        form.setContentsMargins(0, 0, 0, 0)
        self.command = _combo(self, "stompCommand", "STOMP command", list(_STOMP_TEMPLATES))
        self.command.setEditable(True)  # an inspector may send a command that is not one
        form.addRow("&Command:", self.command)
        self.headers = _editor(self, "stompHeaders", "STOMP headers", "name:value, one a line")
        self.headers.setMaximumHeight(120)
        form.addRow("&Headers:", self.headers)
        self.body = _editor(self, "stompBody", "STOMP body", "Body (content-length is added)")
        form.addRow("&Body:", self.body)
        self.command.currentTextChanged.connect(self._template)
        self._watch()
        self.command.currentTextChanged.connect(self.changed)
        self.command.setCurrentText("SEND")
        self._template("SEND")

    def _template(self, command: str) -> None:
        text = self.headers.toPlainText()
        if not text.strip() or text in _STOMP_TEMPLATES.values():
            self.headers.setPlainText(_STOMP_TEMPLATES.get(command, ""))

    def composed(self, subprotocol: str | None) -> compose.Composed:
        return compose.stomp_frame(
            self.command.currentText(), self.headers.toPlainText(), self.body.toPlainText()
        )


class GraphQLForm(Form):
    """A GraphQL-over-WebSocket client message, named by the protocol: the negotiated
    one unless the user picks another."""

    KINDS: ClassVar[tuple[str, ...]] = ("subscribe", "init", "complete", "ping", "terminate")
    PROTOCOLS: ClassVar[tuple[str | None, ...]] = (None, GRAPHQL_TRANSPORT, GRAPHQL_LEGACY)
    send_label = "Send GraphQL"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("graphqlForm")
        form = QFormLayout(self)
        form.setContentsMargins(0, 0, 0, 0)
        self.form = form
        self.kind = _combo(
            self,
            "graphqlKind",
            "GraphQL message",
            [
                "subscribe / start (an operation)",
                "connection_init",
                "complete / stop",
                "ping",
                "connection_terminate",
            ],
        )
        form.addRow("&Message:", self.kind)
        self.protocol = _combo(
            self,
            "graphqlProtocol",
            "GraphQL protocol",
            ["As negotiated", GRAPHQL_TRANSPORT, f"{GRAPHQL_LEGACY} (legacy)"],
        )
        self.show_negotiated(None)
        form.addRow("P&rotocol:", self.protocol)
        self.id = _line(self, "graphqlId", "GraphQL operation id", "1")
        self.id.setText("1")
        form.addRow("&Id:", self.id)
        self.query = _editor(
            self, "graphqlQuery", "GraphQL query", "subscription OnChat { chat { text } }"
        )
        form.addRow("&Query:", self.query)
        self.operation = _line(self, "graphqlOperation", "GraphQL operation name", "optional")
        form.addRow("&Operation name:", self.operation)
        self.variables = _editor(
            self, "graphqlVariables", "GraphQL variables", 'Variables, optional: {"room": 1}'
        )
        self.variables.setMaximumHeight(90)
        form.addRow("&Variables:", self.variables)
        self.payload = _editor(
            self, "graphqlPayload", "GraphQL message payload", 'Payload, optional: {"token": "..."}'
        )
        self.payload.setMaximumHeight(90)
        form.addRow("&Payload:", self.payload)
        self.kind.currentIndexChanged.connect(self._rows)
        self._watch()
        self._rows()

    def _rows(self) -> None:
        kind = self.KINDS[self.kind.currentIndex()]
        operation = kind == "subscribe"
        self.form.setRowVisible(self.id, kind in ("subscribe", "complete"))
        for row in (self.query, self.operation, self.variables):
            self.form.setRowVisible(row, operation)
        self.form.setRowVisible(self.payload, kind in ("init", "ping"))

    def show_negotiated(self, subprotocol: str | None) -> None:
        """Name, in the selector, the protocol "As negotiated" stands for."""
        named_by = subprotocol if subprotocol else "nothing negotiated"
        protocol = compose.graphql_protocol(subprotocol)
        self.protocol.setItemText(0, f"As negotiated: {protocol} ({named_by})")

    def chosen_protocol(self, subprotocol: str | None) -> str:
        picked = self.PROTOCOLS[self.protocol.currentIndex()]
        return picked if picked is not None else compose.graphql_protocol(subprotocol)

    def composed(self, subprotocol: str | None) -> compose.Composed:
        return compose.graphql_message(
            self.chosen_protocol(subprotocol),
            self.KINDS[self.kind.currentIndex()],
            id=self.id.text(),
            query=self.query.toPlainText(),
            variables=self.variables.toPlainText(),
            operation_name=self.operation.text(),
            payload=self.payload.toPlainText(),
        )


#: The formats, in the Format tab's order: (key, title in the selector).
FORMS = [
    ("msgpack", "MessagePack (from JSON)"),
    ("cbor", "CBOR (from JSON)"),
    ("socket.io", "Socket.IO event"),
    ("stomp", "STOMP frame"),
    ("graphql", "GraphQL over WebSocket"),
]
