"""The MQTT view against a live MQTT-over-WebSocket broker: Debian's ``mosquitto`` on a
loopback port, our client connected with the subprotocol ``mqtt``, MQTT 3.1.1 and 5
packets built by gmqtt's encoders; what the broker answers is named by the views.

amqtt, the broker that installs from the package index, pins an old ``websockets``;
mosquitto is the reference broker and speaks WebSocket itself. The tests skip only
when it is not installed (``apt-get install mosquitto``)."""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import subprocess
import time
import types
from collections.abc import Callable, Iterator
from pathlib import Path

import gmqtt
import pytest
from gmqtt.mqtt import package
from gmqtt.mqtt.constants import MQTTCommands
from gmqtt.mqtt.handler import IdGenerator

from inspector.capture.events import Direction
from inspector.capture.store import CaptureStore
from inspector.engine.client import connect
from inspector.engine.options import ConnectOptions
from inspector.views.conversation import Conversation

pytestmark = pytest.mark.slow


def _mosquitto() -> str | None:
    # Debian installs it in /usr/sbin, which is not on every user's PATH.
    found = shutil.which("mosquitto")
    if found is None and os.access("/usr/sbin/mosquitto", os.X_OK):
        found = "/usr/sbin/mosquitto"
    return found


MOSQUITTO = _mosquitto()


def _free_ports(n: int) -> list[int]:
    socks = [socket.socket() for _ in range(n)]
    try:
        for s in socks:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def _listening(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def _start(config: Path, ws_port: int) -> subprocess.Popen[bytes]:
    """mosquitto with ``config``, once its WebSocket port accepts connections; its
    output in the error when it does not start within 10 s."""
    proc = subprocess.Popen(
        [str(MOSQUITTO), "-c", str(config)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            out = proc.communicate(timeout=5)[0].decode(errors="replace")
            raise RuntimeError(f"mosquitto exited with {proc.returncode}:\n{out}")
        if _listening(ws_port):
            return proc
        time.sleep(0.05)
    _stop(proc)
    raise RuntimeError("mosquitto did not listen within 10 s")


def _stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=5)
    if proc.stdout is not None:
        proc.stdout.close()


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[int]:
    """The WebSocket port of a mosquitto started for the test, stopped after it."""
    if MOSQUITTO is None:
        pytest.skip("mosquitto is not installed (apt-get install mosquitto)")
    error: Exception | None = None
    for _ in range(3):  # a free port may be taken between choosing it and binding it
        mqtt_port, ws_port = _free_ports(2)
        config = tmp_path / "mosquitto.conf"
        # A plain MQTT listener too: mosquitto 2.0.11 refuses to start with only
        # WebSocket listeners ("Unable to start any listening sockets"). socket_domain
        # ipv4: without it libwebsockets binds every IPv6 address, not the loopback.
        config.write_text(
            "persistence false\n"
            "allow_anonymous true\n"
            f"listener {mqtt_port} 127.0.0.1\n"
            "protocol mqtt\n"
            f"listener {ws_port} 127.0.0.1\n"
            "protocol websockets\n"
            "socket_domain ipv4\n"
        )
        try:
            proc = _start(config, ws_port)
        except RuntimeError as exc:
            error = exc
            continue
        try:
            yield ws_port
        finally:
            _stop(proc)
        return
    raise AssertionError(f"mosquitto would not start: {error}")


def _proto(version: int) -> types.SimpleNamespace:
    return types.SimpleNamespace(proto_name=b"MQTT", proto_ver=version, id_generator=IdGenerator())


def _mid(packet: bytes) -> int:
    """The packet identifier of a SUBSCRIBE or a QoS 1 PUBLISH, read by hand (MQTT 3.1.1
    2.2.3 and 3.3.2: after the fixed header, and for a PUBLISH after the topic)."""
    head = 1
    while packet[head] & 0x80:
        head += 1
    pos = head + 1
    if packet[0] >> 4 == 3:
        pos += 2 + int.from_bytes(packet[pos : pos + 2], "big")
    return int.from_bytes(packet[pos : pos + 2], "big")


async def _until(test: Callable[[], bool], what: str, timeout: float = 10.0) -> None:
    async def poll() -> None:
        while not test():
            await asyncio.sleep(0.01)

    try:
        await asyncio.wait_for(poll(), timeout)
    except TimeoutError:
        raise AssertionError(f"no {what} from the broker within {timeout:g} s") from None


def _lines(store: CaptureStore, direction: Direction) -> list[str]:
    conv = Conversation(store)  # a new one: no summaries cached while the store grew
    return [
        conv.summary(r)
        for r in range(len(store))
        if store.direction(r) is direction and store.opcode(r) in (1, 2)
    ]


@pytest.mark.parametrize("version", [4, 5])
def test_a_session_with_mosquitto(broker: int, version: int) -> None:
    proto = _proto(version)
    v5 = version == 5
    props = {"session_expiry_interval": 0} if v5 else {}
    connect_packet = bytes(
        package.LoginPackageFactor.build_package(
            b"ws-inspector-test", None, None, True, 60, proto, **props
        )
    )
    _, subscribe = package.SubscribePacket.build_package(
        [gmqtt.Subscription("sensors/#", qos=1)], proto
    )
    _, publish = package.PublishPacket.build_package(
        gmqtt.Message("sensors/1", b'{"t": 21.5}', qos=1), proto
    )
    sub_id, pub_id = _mid(bytes(subscribe)), _mid(bytes(publish))

    async def scenario() -> tuple[CaptureStore, str | None, int]:
        conn = await connect(
            f"ws://127.0.0.1:{broker}/mqtt", ConnectOptions(subprotocols=("mqtt",))
        )
        store = conn.store
        assert store is not None

        def received(start: str) -> list[str]:
            return [line for line in _lines(store, Direction.IN) if line.startswith(start)]

        try:
            conn.send_binary(connect_packet)
            await _until(lambda: bool(received("MQTT CONNACK")), "CONNACK")
            conn.send_binary(bytes(subscribe))
            await _until(lambda: bool(received("MQTT SUBACK")), "SUBACK")
            conn.send_binary(bytes(publish))
            await _until(lambda: bool(received("MQTT PUBACK")), "PUBACK")
            await _until(lambda: bool(received("MQTT PUBLISH")), "PUBLISH")
            # The broker's copy of our message has its own packet id: acknowledge it.
            forwarded = next(
                store.payloads[r]
                for r in range(len(store))
                if store.direction(r) is Direction.IN and store.payloads[r][:1] == b"\x32"
            )
            broker_id = _mid(forwarded)
            ack = package.CommandWithMidPacket.build_package(
                MQTTCommands.PUBACK, broker_id, False, proto_ver=version
            )
            conn.send_binary(bytes(ack))
            conn.send_binary(package.SimpleCommandPacket.build_package(MQTTCommands.PINGREQ))
            await _until(lambda: bool(received("MQTT PINGRESP")), "PINGRESP")
            conn.send_binary(bytes(package.DisconnectPacket.build_package(proto)))
        finally:
            await asyncio.wait_for(conn.close(), 5)
        return store, Conversation(store).subprotocol, broker_id

    store, negotiated, broker_id = asyncio.run(asyncio.wait_for(scenario(), 60))
    assert negotiated == "mqtt"
    conv = Conversation(store)
    data_rows = [r for r in range(len(store)) if store.opcode(r) in (1, 2)]
    assert {conv.view_of(r).name for r in data_rows} == {"mqtt"}
    sent = _lines(store, Direction.OUT)
    got = _lines(store, Direction.IN)
    level = "v5" if v5 else "v3.1.1"
    ok = "success" if v5 else "accepted"
    assert sent == [
        f"MQTT CONNECT {level} client=ws-inspector-test keepalive=60",
        f"MQTT SUBSCRIBE id={sub_id} sensors/# qos1",
        f'MQTT PUBLISH sensors/1 qos1 id={pub_id} 11 B {{"t": 21.5}}',
        f"MQTT PUBACK id={broker_id}" + (" success" if v5 else ""),
        "MQTT PINGREQ",
        "MQTT DISCONNECT" + (" success" if v5 else ""),
    ]
    assert got[0].startswith(f"MQTT CONNACK {ok}")
    assert f"MQTT SUBACK id={sub_id} granted qos1" in got
    # (mosquitto leaves out an MQTT 5 PUBACK's reason code when it is success, as
    # MQTT 5 3.4.2.1 allows: it reads like ours, which carries it.)
    assert f"MQTT PUBACK id={pub_id}" + (" success" if v5 else "") in got
    assert f'MQTT PUBLISH sensors/1 qos1 id={broker_id} 11 B {{"t": 21.5}}' in got
    assert got[-1] == "MQTT PINGRESP"
    # The decoded topic is what a search over the session's fields finds.
    topics = {conv.fields(r).get("topic") for r in data_rows}
    assert {"sensors/1", "sensors/#"} <= topics
