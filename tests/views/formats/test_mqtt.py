"""Tests of inspector.views.formats.mqtt: MQTT 3.1.1 and 5 packets built by gmqtt's
packet encoders, one per frame, several per frame and one spanning frames."""

from __future__ import annotations

import contextlib
import random
import types

import gmqtt
import pytest
from gmqtt.mqtt import package
from gmqtt.mqtt.constants import MQTTCommands
from gmqtt.mqtt.handler import IdGenerator

from inspector.protocol.constants import Role
from inspector.views.base import PayloadMeta, Syntax, ViewError
from inspector.views.context import with_contexts
from inspector.views.formats.mqtt import _cannot_fill, packet_length
from inspector.views.registry import default_registry

REG = default_registry()
CLIENT = PayloadMeta(opcode=2, sender=Role.CLIENT)
SERVER = PayloadMeta(opcode=2, sender=Role.SERVER)


def packets(version: int) -> dict[str, bytes]:
    """A client's packets as gmqtt builds them for protocol level ``version``."""
    proto = types.SimpleNamespace(proto_name=b"MQTT", proto_ver=version, id_generator=IdGenerator())
    v5 = {"session_expiry_interval": 10} if version == 5 else {}
    connect = package.LoginPackageFactor.build_package(b"dev-1", "ann", "pw", True, 60, proto, **v5)
    props = {"content_type": "application/json"} if version == 5 else {}
    message = gmqtt.Message("sensors/1", b'{"t": 21.5}', qos=1, **props)
    _, publish = package.PublishPacket.build_package(message, proto)
    _, subscribe = package.SubscribePacket.build_package(
        [gmqtt.Subscription("sensors/#", qos=1), gmqtt.Subscription("alerts", qos=0)], proto
    )
    return {
        "connect": bytes(connect),
        "publish": bytes(publish),
        "subscribe": bytes(subscribe),
        "ping": bytes(package.SimpleCommandPacket.build_package(MQTTCommands.PINGREQ)),
        "disconnect": bytes(package.DisconnectPacket.build_package(proto)),
    }


@pytest.mark.parametrize(("version", "name"), [(4, "v3.1.1"), (5, "v5")])
def test_a_session_of_packets(version: int, name: str) -> None:
    p = packets(version)
    connack = b"\x20\x02\x00\x00" if version == 4 else b"\x20\x03\x00\x00\x00"
    session = with_contexts(
        [
            (p["connect"], CLIENT),
            (connack, SERVER),
            (p["publish"], CLIENT),
            (p["subscribe"], CLIENT),
            (p["ping"], CLIENT),
            (b"\xd0\x00", SERVER),
            (p["disconnect"], CLIENT),
        ]
    )
    assert [REG.best(d, m).name for d, m in session] == ["mqtt"] * 7
    assert [REG.summary(d, m) for d, m in session] == [
        f"MQTT CONNECT {name} client=dev-1 keepalive=60",
        "MQTT CONNACK " + ("accepted" if version == 4 else "success"),
        'MQTT PUBLISH sensors/1 qos1 id=1 11 B {"t": 21.5}',
        "MQTT SUBSCRIBE id=2 sensors/# qos1 alerts qos0",
        "MQTT PINGREQ",
        "MQTT PINGRESP",
        "MQTT DISCONNECT" + ("" if version == 4 else " success"),
    ]
    assert REG.fields(*session[0]) == {"client_id": "dev-1"}
    assert REG.fields(*session[2]) == {"topic": "sensors/1"}
    assert REG.fields(*session[3]) == {"topic": "sensors/#"}
    r = REG.render(*session[2])
    assert r.error is None and r.syntax is Syntax.KEY_VALUE
    assert "topic: sensors/1" in r.text and '  "t": 21.5' in r.text  # the payload as JSON
    if version == 5:
        assert "content-type: application/json" in r.text
        assert "session-expiry: 10" in REG.render(*session[0]).text
    connect = REG.render(*session[0]).text
    assert "username: ann" in connect and "password: (2 bytes)" in connect


@pytest.mark.parametrize("kind", [(0x40, "PUBACK"), (0x50, "PUBREC"), (0x62, "PUBREL")])
def test_an_mqtt5_ack_without_its_reason_code_reads_as_success(kind: tuple[int, str]) -> None:
    # MQTT 5 3.4.2.1: a remaining length of 2 means reason code 0x00 (success).
    b0, name = kind
    omitted, carried = bytes([b0, 2, 0, 7]), bytes([b0, 3, 0, 7, 0])
    session = with_contexts([(packets(5)["connect"], CLIENT), (omitted, SERVER), (carried, SERVER)])
    lines = [REG.summary(d, m) for d, m in session[1:]]
    assert lines == [f"MQTT {name} id=7 success"] * 2
    assert "reason: success" in REG.render(*session[1]).text
    # MQTT 3.1.1 has no reason codes: nothing is said of one.
    v3 = with_contexts([(packets(4)["connect"], CLIENT), (omitted, SERVER)])
    assert REG.summary(*v3[1]) == f"MQTT {name} id=7"


def test_packets_spanning_frames_and_sharing_one() -> None:
    p = packets(5)
    stream = p["publish"] + p["subscribe"]
    parts = [stream[:5], stream[5:12], stream[12:]]
    session = with_contexts([(p["connect"], CLIENT)] + [(part, CLIENT) for part in parts])
    total = len(p["publish"])
    assert [REG.summary(d, m) for d, m in session[1:]] == [
        f"MQTT PUBLISH (part: 5 B of {total} B so far)",
        f"MQTT PUBLISH (part: 12 B of {total} B so far)",
        'MQTT PUBLISH sensors/1 qos1 id=1 11 B {"t": 21.5} +1',
    ]
    last = REG.render(*session[3])
    assert last.error is None and "(began on row 1)\nPUBLISH" in last.text
    assert "filter qos1: sensors/#" in last.text
    # The topic of the joined PUBLISH is in earlier frames' bytes: not this row's field.
    assert REG.fields(*session[3]) == {"topic": "sensors/#"}
    assert REG.render(*session[1]).text.startswith(f"PUBLISH: 5 of {total} bytes so far")


def test_subprotocol_and_sniffing() -> None:
    p = packets(4)
    assert REG.best(p["publish"], PayloadMeta(opcode=2, subprotocol="mqtt")).name == "mqtt"
    assert REG.best(p["connect"], PayloadMeta(opcode=2)).name == "mqtt"  # CONNECT says MQTT
    assert REG.best(b"\x30\x05abcde", PayloadMeta(opcode=2)).name != "mqtt"  # a bad topic length


def test_a_big_publish_summary_reads_only_its_header() -> None:
    proto = types.SimpleNamespace(proto_name=b"MQTT", proto_ver=4, id_generator=IdGenerator())
    _, big = package.PublishPacket.build_package(
        gmqtt.Message("cams/1", b"\xff" * 100_000, qos=0), proto
    )
    data = bytes(big)
    meta = PayloadMeta(opcode=2, size=len(data), subprotocol="mqtt")
    assert REG.summary(data, meta) == "MQTT PUBLISH cams/1 qos0 97.7 KiB"


@pytest.mark.parametrize(
    ("data", "error"),
    [
        (b"\x00\x00", "byte 0: packet type 0 is reserved"),
        (b"\x82\x03\x00\x01\x00", "byte 5: the packet ends inside a topic filter"),
        (b"\x30\x05\x00\x09abc", "byte 7: the packet ends inside the topic name"),
        (b"\xc0\x01\x00", "byte 2: PINGREQ has 1 bytes of data"),
        (b"\x60\x02\x00\x01", "byte 0: PUBREL with flags 0000 (must be 0010)"),
    ],
)
def test_malformed_packets_say_where(data: bytes, error: str) -> None:
    r = REG.render(data, PayloadMeta(opcode=2, subprotocol="mqtt"))
    assert r.error == f"not valid MQTT at {error}"


def test_an_unfinished_packet_is_no_error() -> None:
    # The stream may go on in the next frame.
    r = REG.render(b"\x30\x0a\x00\x01", PayloadMeta(opcode=2, subprotocol="mqtt"))
    assert r.error is None and r.text == "PUBLISH: 4 of 12 bytes so far (begins here; continues)"


def _lone_payloads() -> list[bytes]:
    """Binary payloads for the lone-packet pre-check: real packets of every
    remaining-length size (one to three length bytes), and bytes that are not MQTT."""
    proto = types.SimpleNamespace(proto_name=b"MQTT", proto_ver=4, id_generator=IdGenerator())
    found = list(packets(4).values())
    for size in (0, 100, 125, 126, 127, 200, 4000, 20_000):
        _, publish = package.PublishPacket.build_package(
            gmqtt.Message("t/1", b"x" * size, qos=0), proto
        )
        found.append(bytes(publish))
    rng = random.Random(7)
    for n in range(0, 40):
        found += [bytes(rng.randrange(256) for _ in range(n)) for _ in range(30)]
    found.append(b"\x82\xa2id\xce\x00\x01\xe2\x40\xa4text\xa5hello")  # a MessagePack map
    return found


def test_the_remaining_length_pre_check_rejects_only_what_cannot_fill_the_message() -> None:
    # The pre-check is a shortcut of the fixed header's length: whatever it rules out,
    # the header's whole reading rules out too.
    for data in _lone_payloads():
        if _cannot_fill(data):
            with contextlib.suppress(ViewError):
                assert packet_length(data) != len(data), data


def test_lone_packets_of_every_length_size_are_still_recognised() -> None:
    proto = types.SimpleNamespace(proto_name=b"MQTT", proto_ver=4, id_generator=IdGenerator())
    for size in (0, 100, 126, 200, 4000):
        _, publish = package.PublishPacket.build_package(
            gmqtt.Message("t/1", b"x" * size, qos=0), proto
        )
        data = bytes(publish)
        if len(data) <= 4096:
            assert REG.best(data, PayloadMeta(opcode=2)).name == "mqtt", size
    packed = b"\x82\xa2id\xce\x00\x01\xe2\x40\xa4text\xa5hello"
    assert _cannot_fill(packed)
    assert REG.get("mqtt").priority(packed, PayloadMeta(opcode=2)) < 0


@pytest.mark.parametrize(
    ("data", "line"),
    [
        (b"\xc0\x00", "MQTT PINGREQ"),
        (b"\xd0\x00", "MQTT PINGRESP"),
        (b"\xe0\x00", "MQTT DISCONNECT"),
    ],
)
def test_two_byte_control_packets_are_mqtt_with_or_without_the_subprotocol(
    data: bytes, line: str
) -> None:
    # CBOR reads c0 00 and d0 00 as tags 0 and 16 around the integer 0 (which those
    # tags cannot hold): they were shown as CBOR in a session whose CONNECT was not seen.
    lone = PayloadMeta(opcode=2, size=2)
    negotiated = PayloadMeta(opcode=2, size=2, subprotocol="mqtt")
    in_a_session = with_contexts([(b"\x82\xa2id\x01", SERVER), (data, CLIENT)])[1]
    for d, meta in ((data, lone), (data, negotiated), in_a_session):
        assert REG.best(d, meta).name == "mqtt", meta
        assert REG.summary(d, meta) == line
        assert REG.render(d, meta).error is None
    # Neither MessagePack nor a CBOR container is taken for one.
    assert REG.best(b"\xc0", lone).name != "mqtt"
    assert REG.best(b"\x82\x00\x00", PayloadMeta(opcode=2, size=3)).name != "mqtt"
