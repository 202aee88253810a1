"""The Format tab: forms thin over inspector.views.compose, with the bytes previewed
and read back, errors in words, and what it sends going on the wire as previewed."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

import cbor2
import msgpack
import pytest

from inspector.capture.events import ConnectionState, Direction
from inspector.gui.compose.forms import GraphQLForm, JsonForm, SocketIOForm, StompForm
from inspector.gui.compose.pane import ComposePane

pytestmark = pytest.mark.gui

Until = Callable[..., Awaitable[None]]


def test_the_format_tab_previews_and_names_its_send(
    pane: ComposePane, level: Callable[[Any], str]
) -> None:
    pane.tabs.setCurrentIndex(pane.TAB_FORMAT)
    tab = pane.format
    tab.select("socket.io")
    form = tab.form
    assert isinstance(form, SocketIOForm)
    form.namespace.setText("/chat")
    form.event_name.setText("message")
    form.args.setPlainText('["hello", {"room": 1}]')
    form.ack.setText("4")
    assert pane.send_button.text() == "Emit"
    assert tab.valid()
    preview = tab.preview.toPlainText()
    assert '42/chat,4["message","hello",{"room":1}]' in preview
    assert "As the Socket.IO view reads it back" in preview
    assert tab.info.text().startswith('socket.io EVENT "message" /chat ack=4')
    assert tab.entry().label.startswith('TEXT  socket.io EVENT "message"')
    # A mistake says what is wrong, and Send cannot be pressed.
    form.args.setPlainText('{"room": 1}')
    assert not tab.valid()
    assert "JSON array" in tab.info.text() and level(tab.info) == "error"
    assert tab.preview.toPlainText() == ""
    assert not pane.send_button.isEnabled()


def test_each_format_has_its_form_and_send_label(pane: ComposePane) -> None:
    tab = pane.format
    pane.tabs.setCurrentIndex(pane.TAB_FORMAT)
    expected = {
        "msgpack": (JsonForm, "Send MessagePack"),
        "cbor": (JsonForm, "Send CBOR"),
        "socket.io": (SocketIOForm, "Emit"),
        "stomp": (StompForm, "Send STOMP"),
        "graphql": (GraphQLForm, "Send GraphQL"),
    }
    for key, (kind, label) in expected.items():
        tab.select(key)
        assert isinstance(tab.form, kind)
        assert tab.stack.currentWidget() is tab.form
        assert pane.send_button.text() == label
    # Every control is named for tests and assistive technology.
    for form in tab.forms.values():
        for editor in form.editors():
            if editor.parent() is form:
                assert editor.objectName() and editor.accessibleName()


def test_stomp_form_starts_from_a_template_per_command(pane: ComposePane) -> None:
    tab = pane.format
    tab.select("stomp")
    form = tab.form
    assert isinstance(form, StompForm)
    assert form.headers.toPlainText().startswith("destination:")
    form.command.setCurrentText("SUBSCRIBE")
    assert "id:sub-0" in form.headers.toPlainText()
    form.headers.setPlainText("id:mine\ndestination:/topic/x")
    form.command.setCurrentText("UNSUBSCRIBE")  # edited headers are kept
    assert form.headers.toPlainText() == "id:mine\ndestination:/topic/x"
    assert tab.composed().payload.startswith(b"UNSUBSCRIBE\nid:mine\n")


def test_graphql_form_shows_the_rows_of_its_message(pane: ComposePane) -> None:
    tab = pane.format
    tab.select("graphql")
    form = tab.form
    assert isinstance(form, GraphQLForm)
    form.query.setPlainText("subscription S { tick }")
    assert json.loads(tab.composed().payload)["type"] == "subscribe"  # nothing negotiated
    form.protocol.setCurrentIndex(2)  # the legacy protocol, chosen by hand
    assert json.loads(tab.composed().payload)["type"] == "start"
    form.kind.setCurrentIndex(form.KINDS.index("init"))
    assert form.form.isRowVisible(form.payload) and not form.form.isRowVisible(form.query)
    assert json.loads(tab.composed().payload) == {"type": "connection_init"}


def test_binary_formats_go_on_the_wire_as_sent(
    make_pane: Callable[[], ComposePane], echo_server: Any, arun: Any, until: Until
) -> None:
    pane = make_pane()
    controller = pane.session
    value = {"op": "sub", "ids": [1, 2], "name": "ü"}

    async def scenario() -> None:
        controller.connect_to(echo_server.url)
        await until(lambda: controller.state is ConnectionState.OPEN, 5, "open")
        store = controller.store
        assert store is not None
        pane.tabs.setCurrentIndex(pane.TAB_FORMAT)
        for key in ("msgpack", "cbor"):
            pane.format.select(key)
            form = pane.format.form
            assert isinstance(form, JsonForm)
            form.edit.setPlainText(json.dumps(value))
            await until(pane.send_button.isEnabled, 2, "Send enabled once open")
            assert pane.send_current()
        await until(lambda: store.counters(Direction.IN).frames >= 2, 3, "echoes")
        echoed = []
        for r in range(len(store)):
            if store.direction(r) is Direction.IN and store.opcode(r) == 2:
                message = store.message_for(r)  # compressed: the message has the bytes
                echoed.append(message.data if message is not None else store.payloads[r])
        assert msgpack.unpackb(echoed[0]) == value
        assert cbor2.loads(echoed[1]) == value
        labels = [pane.history.list.item(i).text() for i in range(pane.history.list.count())]
        assert all(label.startswith("BINARY  ") for label in labels)
        controller.close_connection()
        await until(lambda: controller.state is ConnectionState.CLOSED, 5, "closed")

    arun(scenario(), 15)


@pytest.mark.parametrize(
    ("subprotocol", "key", "first_bytes"),
    [
        ("v12.stomp", "stomp", b"SEND\ndestination:"),
        ("graphql-ws", "graphql", b'{"type":"start"'),
        ("graphql-transport-ws", "graphql", b'{"type":"subscribe"'),
    ],
)
def test_the_negotiated_subprotocol_chooses_the_format(
    make_pane: Callable[[], ComposePane],
    arun: Any,
    until: Until,
    subprotocol: str,
    key: str,
    first_bytes: bytes,
) -> None:
    from dataclasses import replace

    from inspector.engine.server import EchoServer

    pane = make_pane()
    controller = pane.session
    server = EchoServer("127.0.0.1", 0, subprotocols=(subprotocol,))

    async def scenario() -> None:
        await server.start()
        try:
            options = replace(controller.options, subprotocols=(subprotocol,))
            controller.connect_to(server.url, options)
            await until(lambda: controller.state is ConnectionState.OPEN, 5, "open")
            await until(lambda: pane.format.subprotocol() == subprotocol, 2, "negotiated")
            await until(lambda: pane.format.form is pane.format.forms[key], 2, "the form")
            graphql_form = pane.format.forms["graphql"]
            assert isinstance(graphql_form, GraphQLForm)
            graphql_form.query.setPlainText("subscription S { tick }")
            assert subprotocol in graphql_form.protocol.itemText(0)
            pane.tabs.setCurrentIndex(pane.TAB_FORMAT)
            await until(pane.send_button.isEnabled, 2, "Send enabled once open")
            assert pane.send_current()
            store = controller.store
            assert store is not None
            await until(lambda: store.counters(Direction.IN).frames >= 1, 3, "the echo")
            echoed = next(r for r in range(len(store)) if store.direction(r) is Direction.IN)
            message = store.message_for(echoed)
            data = message.data if message is not None else bytes(store.payloads[echoed])
            assert data.startswith(first_bytes)
            controller.close_connection()
            await until(lambda: controller.state is ConnectionState.CLOSED, 5, "closed")
        finally:
            await server.close()

    arun(scenario(), 20)


def test_an_empty_form_says_what_to_type_not_that_it_is_wrong(
    pane: ComposePane, level: Callable[[Any], str]
) -> None:
    pane.tabs.setCurrentIndex(pane.TAB_FORMAT)
    tab = pane.format
    tab.select("msgpack")
    form = tab.form
    assert isinstance(form, JsonForm)
    assert not tab.valid() and not pane.send_button.isEnabled()
    assert tab.info.text() == "type the JSON value to send" and level(tab.info) == "muted"
    form.edit.setPlainText("{nope")
    assert level(tab.info) == "error"
