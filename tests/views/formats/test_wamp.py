"""Tests of inspector.views.formats.wamp: messages built and serialized by autobahn
(JSON, MessagePack, CBOR)."""

from __future__ import annotations

from typing import Any

import pytest
import txaio

from inspector.views.base import PayloadMeta
from inspector.views.registry import default_registry

REG = default_registry()


def wamp() -> Any:
    """autobahn's message and serializer modules (txaio needs its framework first)."""
    txaio.use_asyncio()  # type: ignore[no-untyped-call]
    from autobahn.wamp import message, role, serializer

    return message, role, serializer


def cases() -> list[tuple[Any, str]]:
    message, role, _ = wamp()
    return [
        (message.Hello("realm1", {"caller": role.RoleCallerFeatures()}), "WAMP HELLO realm1"),
        (message.Welcome(123, {"broker": role.RoleBrokerFeatures()}), "WAMP WELCOME session=123"),
        (message.Call(1, "com.app.add", args=[1, 2]), "WAMP CALL com.app.add id=1 [2] 1, 2"),
        (message.Result(1, args=[3]), "WAMP RESULT id=1 [1] 3"),
        (message.Subscribe(2, "com.app.news"), "WAMP SUBSCRIBE com.app.news id=2"),
        (message.Event(5, 9, args=["hi"]), 'WAMP EVENT sub=5 pub=9 [1] "hi"'),
        (
            message.Error(message.Call.MESSAGE_TYPE, 1, "wamp.error.no_such_procedure"),
            "WAMP ERROR CALL wamp.error.no_such_procedure id=1",
        ),
        (message.Goodbye(), "WAMP GOODBYE wamp.close.normal"),
    ]


@pytest.mark.parametrize(
    ("subprotocol", "name"),
    [
        ("wamp.2.json", "JsonSerializer"),
        ("wamp.2.msgpack", "MsgPackSerializer"),
        ("wamp.2.cbor", "CBORSerializer"),
    ],
)
def test_every_serialization(subprotocol: str, name: str) -> None:
    serializer = getattr(wamp()[2], name)()
    for msg, line in cases():
        data, binary = serializer.serialize(msg)
        meta = PayloadMeta(opcode=2 if binary else 1, subprotocol=subprotocol)
        assert REG.best(data, meta).name == "wamp"
        assert REG.summary(data, meta) == line, data
    call, _ = serializer.serialize(wamp()[0].Call(1, "com.app.add", args=[1, 2]))
    meta = PayloadMeta(opcode=1 if subprotocol == "wamp.2.json" else 2, subprotocol=subprotocol)
    assert REG.fields(call, meta) == {"uri": "com.app.add"}
    r = REG.render(call, meta)
    assert r.error is None and r.text.splitlines()[0] == "WAMP CALL"


def test_sniffed_without_a_subprotocol() -> None:
    text = PayloadMeta(opcode=1)
    assert REG.best(b'[1,"realm1",{"roles":{"caller":{}}}]', text).name == "wamp"
    assert REG.best(b"[48, 1, 2]", text).name == "json"  # an array of numbers stays JSON


def test_malformed() -> None:
    meta = PayloadMeta(opcode=1, subprotocol="wamp.2.json")
    assert (
        REG.render(b"[99]", meta).error == "not valid WAMP at byte 0: unknown WAMP message type 99"
    )
    assert REG.render(b"[48,1]", meta).error == (
        "not valid WAMP at byte 0: CALL needs 3 items after its type, has 1"
    )
    assert REG.render(b"[48,1,", meta).error is not None
