"""Tests of inspector.views.formats.graphql: graphql-transport-ws and the legacy
graphql-ws messages, in the shapes the protocols define."""

from __future__ import annotations

import json
from typing import Any

from inspector.views.base import PayloadMeta
from inspector.views.registry import default_registry

REG = default_registry()
TEXT = PayloadMeta(opcode=1)
QUERY = "subscription OnMessage($room: ID!) {\n  messageAdded(room: $room) { text }\n}"


def msg(**fields: Any) -> bytes:
    return json.dumps(fields).encode()


def test_graphql_transport_ws_messages() -> None:
    cases = {
        msg(type="connection_init", payload={"token": "x"}): "GraphQL connection_init",
        msg(type="connection_ack"): "GraphQL connection_ack",
        msg(id="1", type="subscribe", payload={"query": QUERY, "variables": {"room": "a"}}): (
            "GraphQL subscribe 1 subscription OnMessage"
        ),
        msg(id="1", type="next", payload={"data": {"messageAdded": {"text": "hi"}}}): (
            "GraphQL next 1 {1} messageAdded"
        ),
        msg(id="1", type="next", payload={"errors": [{"message": "denied"}], "data": None}): (
            'GraphQL next 1 errors: "denied"'
        ),
        msg(
            id="1", type="error", payload=[{"message": "bad query"}]
        ): 'GraphQL error 1 "bad query"',
        msg(id="1", type="complete"): "GraphQL complete 1",
    }
    for data, line in cases.items():
        assert REG.best(data, TEXT).name == "graphql-ws", data
        assert REG.summary(data, TEXT) == line


def test_legacy_graphql_ws_messages() -> None:
    start = msg(
        id="2", type="start", payload={"query": "query Me { me { id } }", "operationName": "Me"}
    )
    cases = {
        start: "GraphQL start 2 query Me",
        msg(type="ka"): "GraphQL ka",
        msg(id="2", type="data", payload={"data": {"me": {"id": 1}}}): "GraphQL data 2 {1} me",
        msg(id="2", type="stop"): "GraphQL stop 2",
        msg(
            type="connection_error", payload={"message": "nope"}
        ): 'GraphQL connection_error "nope"',
    }
    for data, line in cases.items():
        assert REG.best(data, TEXT).name == "graphql-ws", data
        assert REG.summary(data, TEXT) == line


def test_fields_and_render() -> None:
    data = msg(id="1", type="subscribe", payload={"query": QUERY})
    assert REG.fields(data, TEXT) == {"type": "subscribe", "id": "1", "operation": "OnMessage"}
    r = REG.render(data, TEXT)
    assert r.error is None
    assert r.text.splitlines()[:4] == [
        "GraphQL subscribe",
        "id         1",
        "operation  subscription OnMessage",
        "",
    ]
    assert QUERY in r.text


def test_negotiation_and_sniffing() -> None:
    ping = msg(type="ping")
    assert REG.best(ping, TEXT).name == "json"  # {"type": "ping"} alone could be anything
    negotiated = PayloadMeta(opcode=1, subprotocol="graphql-transport-ws")
    assert REG.best(ping, negotiated).name == "graphql-ws"
    assert REG.best(msg(type="chat", text="hi"), TEXT).name == "json"
    assert REG.best(msg(type="complete"), TEXT).name == "json"  # no id: not sure enough


def test_cut_and_malformed() -> None:
    data = msg(id="9", type="subscribe", payload={"operationName": "Big", "query": "x" * 9000})
    meta = PayloadMeta(opcode=1, size=len(data))
    assert REG.summary(data, meta) == "GraphQL subscribe 9 Big \u2026"
    bad = REG.render(b'{"type": "next", "id": ', TEXT, "graphql-ws")
    assert bad.error is not None and bad.error.startswith(
        "not valid GraphQL over WebSocket at byte 23"
    )
    assert REG.render(b"[1]", TEXT, "graphql-ws").error == (
        "not valid GraphQL over WebSocket at byte 0: a message must be a JSON object"
    )


def test_an_everyday_subscribe_message_is_not_graphql() -> None:
    # The demo's message, like many an exchange's: "subscribe" without a query.
    data = b'{"type": "subscribe", "channel": "ticker", "symbols": ["BTC-USD"], "id": 1}'
    assert REG.best(data, PayloadMeta(opcode=1)).name != "graphql-ws"
    query = b'{"id": "1", "type": "subscribe", "payload": {"query": "subscription { a }"}}'
    assert REG.best(query, PayloadMeta(opcode=1)).name == "graphql-ws"
