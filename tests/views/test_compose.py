"""The Format tab's messages, decoded by the real libraries and read back by our views."""

from __future__ import annotations

import json
from typing import Any

import cbor2
import engineio.packet
import msgpack
import pytest
import socketio.packet
import stomp.utils

from inspector.views import compose
from inspector.views.base import PayloadMeta
from inspector.views.formats import graphql
from inspector.views.formats import socketio as sio_view
from inspector.views.registry import default_registry

VALUE = '{"id": 7, "tags": ["a", "b"], "ratio": 0.5, "ok": true, "none": null, "name": "é"}'


def _socketio(data: bytes) -> socketio.packet.Packet:
    """``data`` through python-engineio's and python-socketio's own decoders."""
    outer = engineio.packet.Packet(encoded_packet=data.decode())
    assert outer.packet_type == engineio.packet.MESSAGE
    return socketio.packet.Packet(encoded_packet=outer.data)


def _fields(composed: compose.Composed, subprotocol: str | None = None) -> dict[str, str]:
    meta = PayloadMeta(composed.opcode, subprotocol=subprotocol)
    return dict(default_registry().fields(composed.payload, meta, composed.view))


@pytest.mark.parametrize(("fmt", "loads"), [("msgpack", msgpack.unpackb), ("cbor", cbor2.loads)])
def test_json_as_binary_decodes_to_the_same_value(fmt: str, loads: Any) -> None:
    composed = compose.json_as(VALUE, fmt)
    assert not composed.is_text
    assert composed.view == fmt
    assert loads(composed.payload) == json.loads(VALUE)
    # Our view reads it back as the same value.
    rendered = default_registry().render(composed.payload, PayloadMeta(2), fmt)
    assert rendered.error is None
    assert json.loads(rendered.text) == json.loads(VALUE)
    assert default_registry().best(composed.payload, PayloadMeta(2)).name == fmt


def test_json_as_binary_says_where_the_json_is_wrong() -> None:
    with pytest.raises(ValueError, match="line 2 column 7: Expecting ':'"):
        compose.json_as('{"a": 1,\n  "b" 2}', "msgpack")
    with pytest.raises(ValueError, match="type the JSON"):
        compose.json_as("  ", "cbor")


def test_socketio_event_with_namespace_and_ack() -> None:
    composed = compose.socketio_packet("event", "/admin", "chat", '["hi", {"n": 1}]', "12")
    assert composed.is_text
    packet = _socketio(composed.payload)
    assert packet.packet_type == socketio.packet.EVENT
    assert packet.namespace == "/admin"
    assert packet.id == 12
    assert packet.data == ["chat", "hi", {"n": 1}]
    parsed = sio_view.parse(composed.payload)
    assert (parsed.type_name, parsed.namespace, parsed.ack, parsed.event) == (
        "EVENT",
        "/admin",
        12,
        "chat",
    )
    assert compose.summary(composed).startswith('socket.io EVENT "chat" /admin ack=12')


def test_socketio_event_in_the_default_namespace_without_args_or_ack() -> None:
    composed = compose.socketio_packet("event", "", "ping", "", "")
    assert composed.payload == b'42["ping"]'
    packet = _socketio(composed.payload)
    assert packet.namespace in (None, "/")  # python-socketio leaves the default unnamed
    assert (packet.id, packet.data) == (None, ["ping"])


def test_socketio_connect_ack_and_disconnect() -> None:
    connect = _socketio(compose.socketio_packet("connect", "/chat", args='{"token": "t"}').payload)
    assert (connect.packet_type, connect.namespace, connect.data) == (
        socketio.packet.CONNECT,
        "/chat",
        {"token": "t"},
    )
    assert compose.socketio_packet("connect").payload == b"40"
    ack = _socketio(compose.socketio_packet("ack", "/", args='["done"]', ack="3").payload)
    assert (ack.packet_type, ack.id, ack.data) == (socketio.packet.ACK, 3, ["done"])
    bye = _socketio(compose.socketio_packet("disconnect", "/chat").payload)
    assert (bye.packet_type, bye.namespace) == (socketio.packet.DISCONNECT, "/chat")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"kind": "event", "event": ""}, "needs a name"),
        ({"kind": "event", "event": "e", "args": '{"a": 1}'}, "JSON array"),
        ({"kind": "event", "event": "e", "args": "[1,"}, "not valid JSON at line 1"),
        ({"kind": "event", "event": "e", "ack": "x"}, "ack id is a number"),
        ({"kind": "event", "event": "e", "namespace": "admin"}, "starts with '/'"),
        ({"kind": "event", "event": "e", "namespace": "/a,b"}, "cannot hold ','"),
        ({"kind": "ack", "args": "[]"}, "answers an ack id"),
        ({"kind": "connect", "args": "[1]"}, "JSON object"),
        ({"kind": "upload"}, "no Socket.IO packet"),
    ],
)
def test_socketio_mistakes_are_named(kwargs: dict[str, str], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        compose.socketio_packet(**kwargs)


def test_stomp_frame_decoded_by_stomp_py() -> None:
    composed = compose.stomp_frame(
        "send", "destination:/queue/a\n\ncontent-type:text/plain\nx-note:a:b\\c", "héllo"
    )
    assert composed.payload.endswith(b"\0")
    # stomp.py's transport splits frames on NUL before parsing one.
    frame = stomp.utils.parse_frame(composed.payload[:-1])
    assert frame.cmd == "SEND"
    assert frame.headers["destination"] == "/queue/a"
    assert frame.headers["x-note"] == "a:b\\c"  # escaped on the wire, read back as typed
    assert frame.headers["content-length"] == str(len("héllo".encode()))
    assert frame.body == "héllo".encode()
    assert _fields(composed)["destination"] == "/queue/a"
    assert compose.summary(composed) == "STOMP SEND /queue/a 6 B"


def test_stomp_body_with_nul_survives_by_its_content_length() -> None:
    composed = compose.stomp_frame("SEND", "destination:/q", "a\0b")
    rendered = default_registry().render(composed.payload, PayloadMeta(1), "stomp")
    assert rendered.error is None
    assert "a\\x00b" in rendered.text or "a\x00b" in rendered.text


def test_stomp_connect_headers_are_not_escaped() -> None:
    composed = compose.stomp_frame("CONNECT", "accept-version:1.2\nhost:a\\b", "")
    assert b"host:a\\b\n" in composed.payload
    frame = stomp.utils.parse_frame(composed.payload[:-1])
    assert frame.cmd == "CONNECT"
    assert frame.headers["accept-version"] == "1.2"


@pytest.mark.parametrize(
    ("command", "headers", "message"),
    [
        ("", "", "needs a command"),
        ("SE ND", "", "letters"),
        ("SEND", "destination", "line 1 has no ':'"),
        ("SEND", ":x", "needs a name"),
    ],
)
def test_stomp_mistakes_are_named(command: str, headers: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        compose.stomp_frame(command, headers)


def test_graphql_subscribe_is_named_by_the_protocol() -> None:
    fields = {
        "id": "1",
        "query": "subscription OnChat($room: Int) { chat(room: $room) }",
        "variables": '{"room": 5}',
        "operation_name": "OnChat",
    }
    for subprotocol, expected in (
        ("graphql-transport-ws", "subscribe"),
        (None, "subscribe"),
        ("graphql-ws", "start"),
    ):
        protocol = compose.graphql_protocol(subprotocol)
        composed = compose.graphql_message(protocol, "subscribe", **fields)
        message = json.loads(composed.payload)
        assert message == {
            "type": expected,
            "id": "1",
            "payload": {
                "query": fields["query"],
                "variables": {"room": 5},
                "operationName": "OnChat",
            },
        }
        meta = PayloadMeta(1, subprotocol=subprotocol)
        assert default_registry().best(composed.payload, meta).name == "graphql-ws"
        assert _fields(composed, subprotocol)["operation"] == "OnChat"


def test_graphql_init_complete_and_what_a_protocol_lacks() -> None:
    init = compose.graphql_message(graphql.TRANSPORT, "init", payload='{"token": "t"}')
    assert json.loads(init.payload) == {"type": "connection_init", "payload": {"token": "t"}}
    stop = compose.graphql_message(graphql.LEGACY, "complete", id="9")
    assert json.loads(stop.payload) == {"type": "stop", "id": "9"}
    with pytest.raises(ValueError, match="graphql-ws has no ping"):
        compose.graphql_message(graphql.LEGACY, "ping")
    with pytest.raises(ValueError, match="needs an id"):
        compose.graphql_message(graphql.TRANSPORT, "subscribe", query="{ a }")
    with pytest.raises(ValueError, match="needs a query"):
        compose.graphql_message(graphql.TRANSPORT, "subscribe", id="1")
    with pytest.raises(ValueError, match="the variables: a JSON object"):
        compose.graphql_message(graphql.TRANSPORT, "subscribe", id="1", query="{a}", variables="[]")


def test_preview_shows_the_bytes_and_the_view_reading_them_back() -> None:
    binary = compose.preview(compose.json_as('{"a": 1}', "cbor"))
    assert binary.splitlines()[0] == "BINARY message, 4 B"
    assert "a1 61 61 01" in binary
    assert "CBOR" in binary and '"a": 1' in binary
    text = compose.preview(compose.stomp_frame("SEND", "destination:/q\x1b[2J", "x"))
    assert text.startswith("TEXT message,")
    assert "\x1b" not in text  # what the user typed is shown escaped
