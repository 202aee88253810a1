"""The handshake against independent implementations (websockets, wsproto): each
accepts what we send and what we answer, and rejects what our checks reject."""

from __future__ import annotations

import pytest
from websockets.client import ClientProtocol
from websockets.extensions.permessage_deflate import (
    ClientPerMessageDeflateFactory,
    ServerPerMessageDeflateFactory,
)
from websockets.protocol import State as WsState
from websockets.server import ServerProtocol
from websockets.uri import parse_uri
from wsproto import ConnectionType, WSConnection
from wsproto.connection import ConnectionState
from wsproto.events import AcceptConnection
from wsproto.events import Request as WsprotoRequest
from wsproto.extensions import PerMessageDeflate

from inspector.protocol.handshake import build_client_request, build_server_response
from inspector.protocol.violations import Rule

from .conftest import FRAME, PMD, parsed_request, parsed_response

# Characterisations of other libraries: the slow lane.
pytestmark = pytest.mark.slow


def test_websockets_client_request_parses_cleanly_and_accepts_our_response() -> None:
    client = ClientProtocol(
        parse_uri("ws://[::1]:9000/path?q=1"),
        origin="http://example.com",  # type: ignore[arg-type]
        subprotocols=["chat"],  # type: ignore[list-item]
        extensions=[ClientPerMessageDeflateFactory()],
    )
    client.send_request(client.connect())
    request = parsed_request(b"".join(client.data_to_send()))
    assert request.ok, request.problems
    assert request.header("Host") == "[::1]:9000" and request.target == "/path?q=1"
    assert request.key == client.key and request.subprotocols == ("chat",)
    assert [name for name, _ in request.extensions] == ["permessage-deflate"]

    accepted = ("permessage-deflate", (("client_max_window_bits", "15"),))
    client.receive_data(build_server_response(request, subprotocol="chat", extensions=[accepted]))
    client.receive_data(FRAME)
    assert client.handshake_exc is None
    assert client.state is WsState.OPEN
    assert client.subprotocol == "chat"
    events = client.events_received()
    assert events[0].status_code == 101  # type: ignore[union-attr]
    assert events[1].data == b"hello"  # type: ignore[union-attr]


def test_websockets_client_rejects_what_our_validator_rejects() -> None:
    client = ClientProtocol(parse_uri("ws://example.com/"), subprotocols=["chat"])  # type: ignore[list-item]
    client.send_request(client.connect())
    request = parsed_request(b"".join(client.data_to_send()))
    answer = build_server_response(request, subprotocol="superchat")
    client.receive_data(answer)
    assert client.handshake_exc is not None
    ours = build_client_request("example.com", key=client.key, subprotocols=["chat"])
    response = parsed_response(ours, answer)
    assert [p.rule for p in response.problems] == [Rule.SUBPROTOCOL_NOT_OFFERED]
    assert "'superchat'" in response.problems[0].message


def test_websockets_server_accepts_our_request_and_its_response_validates() -> None:
    ours = build_client_request(
        "::1", 9000, "/ws", subprotocols=["chat"], extensions=[PMD], origin="http://a.example"
    )
    server = ServerProtocol(
        subprotocols=["chat"],  # type: ignore[list-item]
        extensions=[ServerPerMessageDeflateFactory()],
    )
    server.receive_data(ours.raw)
    (event,) = server.events_received()
    assert server.handshake_exc is None
    answer = server.accept(event)  # type: ignore[arg-type]
    assert answer.status_code == 101
    server.send_response(answer)
    response = parsed_response(ours, b"".join(server.data_to_send()))
    assert response.ok, response.problems
    assert response.subprotocol == "chat"
    assert [name for name, _ in response.extensions] == ["permessage-deflate"]


def test_wsproto_server_accepts_our_request_and_its_response_validates() -> None:
    ours = build_client_request(
        "example.com", 8080, "/chat?x=1", subprotocols=["chat", "superchat"], extensions=[PMD]
    )
    server = WSConnection(ConnectionType.SERVER)
    server.receive_data(ours.raw)
    (event,) = list(server.events())
    assert isinstance(event, WsprotoRequest)
    assert (event.host, event.target) == ("example.com:8080", "/chat?x=1")
    assert event.subprotocols == ["chat", "superchat"]
    answer = server.send(
        AcceptConnection(subprotocol="superchat", extensions=[PerMessageDeflate()])
    )
    assert server.state is ConnectionState.OPEN
    response = parsed_response(ours, answer)
    assert response.ok, response.problems
    assert response.subprotocol == "superchat"
    assert [name for name, _ in response.extensions] == ["permessage-deflate"]


def test_wsproto_client_request_parses_cleanly_and_accepts_our_response() -> None:
    client = WSConnection(ConnectionType.CLIENT)
    data = client.send(WsprotoRequest(host="example.com", target="/chat", subprotocols=["chat"]))
    request = parsed_request(data)
    assert request.ok, request.problems
    client.receive_data(build_server_response(request, subprotocol="chat"))
    (event,) = list(client.events())
    assert isinstance(event, AcceptConnection) and event.subprotocol == "chat"
    assert client.state is ConnectionState.OPEN
