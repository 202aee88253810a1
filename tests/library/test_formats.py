"""Format items: the source kept, built into the message when sent by the Format
tab's own encoders, variables expanded in each field first."""

from __future__ import annotations

import pytest

from inspector.library.formats import build_format
from inspector.library.items import (
    ItemError,
    ItemKind,
    LibraryItem,
    item_from_json,
    item_to_json,
    prepare,
)
from inspector.library.variables import Expander
from inspector.views import compose
from inspector.views.formats import graphql

EX = Expander(env={"ROOM": 'the "big" room'}, now=lambda: "T", new_uuid=lambda: "U")


def _item(fmt: str, **fields: str) -> LibraryItem:
    return LibraryItem(f"{fmt} item", ItemKind.FORMAT, view=fmt, fields=tuple(fields.items()))


def test_msgpack_from_json_with_variables_escaped_as_json() -> None:
    item = _item("msgpack", value='{"room": "{{env:ROOM}}", "n": {{counter}}}').with_counter(4)
    out = prepare(item, EX)
    assert not out.is_text and out.used_counter
    assert out.data == compose.json_as('{"room": "the \\"big\\" room", "n": 4}', "msgpack").payload


def test_socketio_stomp_and_cbor_are_built_as_the_format_tab_builds_them() -> None:
    sio = prepare(_item("socket.io", packet="event", event="chat", args='["{{uuid}}"]'), EX)
    assert sio.is_text
    assert sio.text == compose.socketio_packet("event", "", "chat", '["U"]', "").text
    stomp = prepare(
        _item("stomp", command="SEND", headers="destination:/q/a", body="at {{now}}"), EX
    )
    assert stomp.data == compose.stomp_frame("SEND", "destination:/q/a", "at T").payload
    cbor = prepare(_item("cbor", value="[1, 2]"), EX)
    assert cbor.data == compose.json_as("[1, 2]", "cbor").payload


def test_graphql_follows_the_negotiated_protocol_unless_the_item_names_one() -> None:
    item = _item("graphql", message="subscribe", id="1", query="subscription { a }")
    legacy = prepare(item, EX, subprotocol=graphql.LEGACY)
    modern = prepare(item, EX, subprotocol=None)
    assert '"start"' in legacy.text and '"subscribe"' in modern.text
    pinned = _item("graphql", message="subscribe", protocol=graphql.LEGACY, id="2", query="{ a }")
    assert '"start"' in prepare(pinned, EX, subprotocol=graphql.TRANSPORT).text


def test_a_format_item_survives_its_json_and_bad_ones_are_refused() -> None:
    item = _item("stomp", command="SUBSCRIBE", headers="id:0\ndestination:/t", body="")
    assert item_from_json(item_to_json(item)) == item
    with pytest.raises(ItemError, match="view is one of msgpack"):
        LibraryItem("x", ItemKind.FORMAT, view="protobuf")
    with pytest.raises(ItemError, match="has no field 'bogus'"):
        _item("cbor", bogus="1")
    with pytest.raises(ItemError, match="keeps its fields"):
        LibraryItem("x", ItemKind.FORMAT, view="cbor", text="1")
    with pytest.raises(ItemError, match="map names to strings"):
        item_from_json({"name": "x", "kind": "format", "view": "cbor", "fields": {"value": 1}})


def test_a_format_that_cannot_be_built_says_why() -> None:
    with pytest.raises(ValueError, match="not valid JSON"):
        prepare(_item("msgpack", value="{oops"), EX)
    with pytest.raises(ValueError, match="no format"):
        build_format("xml", {}, None)
