"""Tests of inspector.views.formats.signalr: hub messages encoded by signalrcore's JSON
and MessagePack hub protocols."""

from __future__ import annotations

import random

from signalrcore.messages.completion_message import CompletionMessage
from signalrcore.messages.invocation_message import InvocationMessage
from signalrcore.messages.ping_message import PingMessage
from signalrcore.protocol.json_hub_protocol import JsonHubProtocol
from signalrcore.protocol.messagepack_protocol import MessagePackHubProtocol

from inspector.views.base import PayloadMeta
from inspector.views.formats.signalr import _looks_msgpack_hub, _short_of_length
from inspector.views.registry import default_registry

REG = default_registry()
TEXT = PayloadMeta(opcode=1)
BINARY = PayloadMeta(opcode=2)


def invoke() -> InvocationMessage:
    """A fresh message each time: signalrcore's encoders change the one they are given
    (after one encoding the next one leaves the invocation id out), so a shared one
    made the tests depend on their order."""
    return InvocationMessage("7", "SendMessage", ["ann", "hi"], headers={})


def test_json_hub_protocol() -> None:
    data = JsonHubProtocol().encode(invoke()).encode()
    assert REG.best(data, TEXT).name == "signalr"
    assert REG.summary(data, TEXT) == 'SignalR Invocation SendMessage id=7 [2] "ann", "hi"'
    assert REG.fields(data, TEXT) == {"target": "SendMessage"}
    two = data + JsonHubProtocol().encode(PingMessage()).encode()
    assert REG.summary(two, TEXT) == 'SignalR Invocation SendMessage id=7 [2] "ann", "hi" +1'
    r = REG.render(two, TEXT)
    assert r.error is None and r.text.split("\n\n")[-1] == "SignalR Ping"


def test_handshake_and_completion() -> None:
    assert REG.summary(b'{"protocol":"json","version":1}\x1e', TEXT) == (
        'SignalR Handshake protocol="json" version=1'
    )
    assert REG.summary(b"{}\x1e", TEXT) == "SignalR Handshake"
    done = JsonHubProtocol().encode(CompletionMessage("7", 42, None, headers={})).encode()
    assert REG.summary(done, TEXT) == "SignalR Completion id=7 result=42"


def test_messagepack_hub_protocol() -> None:
    data = MessagePackHubProtocol().encode(invoke())
    assert REG.best(data, BINARY).name == "signalr"
    assert REG.summary(data, BINARY).startswith(
        'SignalR Invocation SendMessage id=7 [2] "ann", "hi"'
    )
    assert REG.fields(data, BINARY) == {"target": "SendMessage"}
    assert REG.render(data, BINARY).error is None


def test_malformed() -> None:
    assert REG.render(b'{"type":1}', TEXT, "signalr").error == (
        "not valid SignalR at byte 10: a JSON hub record ends with 0x1E"
    )
    assert REG.render(b'{"type":1,\x1e', TEXT, "signalr").error == (
        "not valid SignalR at byte 10: Expecting property name enclosed in double quotes"
        " (line 1, column 11)"
    )
    assert REG.render(b"\x10\x94\x01", BINARY, "signalr").error == (
        "not valid SignalR at byte 3: a record of 16 bytes is cut"
    )


def test_the_length_pre_check_rejects_only_what_the_whole_check_rejects() -> None:
    rng = random.Random(3)
    hub = MessagePackHubProtocol()
    samples = [
        hub.encode(invoke()),
        hub.encode(InvocationMessage("8", "SendMessage", ["x" * 300], headers={})),
        hub.encode(invoke()) + hub.encode(invoke()),
        b"\x82\xa2id\xce\x00\x01\xe2\x40\xa4text\xa5hello",  # a MessagePack map
    ]
    for n in range(0, 40):
        samples += [bytes(rng.randrange(256) for _ in range(n)) for _ in range(30)]
    for data in samples:
        if _short_of_length(data):
            assert not _looks_msgpack_hub(data), data


def test_records_with_a_two_byte_length_and_several_records_are_still_recognised() -> None:
    hub = MessagePackHubProtocol()
    long = hub.encode(InvocationMessage("8", "SendMessage", ["x" * 300], headers={}))
    assert long[0] & 0x80  # the VarInt takes two bytes
    assert REG.best(long, BINARY).name == "signalr"
    two = hub.encode(invoke()) + hub.encode(invoke())
    assert REG.best(two, BINARY).name == "signalr"
    assert (
        REG.get("signalr").priority(b"\x82\xa2id\xce\x00\x01\xe2\x40\xa4text\xa5hello", BINARY) < 0
    )
