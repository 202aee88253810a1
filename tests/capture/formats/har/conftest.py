"""Shared samples for the HAR tests: what Chrome DevTools' importer requires, and a
session as a connection records it."""

from __future__ import annotations

import copy
import datetime
import json
import math
from pathlib import Path
from typing import Any

from capture.conftest import IN, OUT, received, wire
from inspector.capture.events import (
    ConnectionState,
    FramesCaptured,
    HandshakeCaptured,
    MessageCaptured,
    SessionInfo,
    SessionRole,
    StateChanged,
)
from inspector.capture.store import CaptureStore
from inspector.protocol.connection import Protocol
from inspector.protocol.constants import Opcode, Role
from inspector.protocol.deflate import DeflateParams, PerMessageDeflate
from inspector.protocol.events import Message
from inspector.protocol.frames import Frame, FrameBatch, FrameSpec

FIXTURE = Path(__file__).parents[1] / "fixtures" / "chrome-devtools.har"


START = 1714564800.25


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _date(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    try:
        datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return False
    return True


def chrome_import_problems(har: Any) -> list[str]:
    """What Chrome DevTools' HAR importer (front_end/models/har: HARFormat.ts and
    Importer.ts) would throw on or drop: its required objects and numbers (it throws on
    NaN from ``Number(x)``), and the fields it needs to keep a WebSocket message."""
    problems: list[str] = []

    def need(ok: bool, what: str) -> None:
        if not ok:
            problems.append(what)

    need(isinstance(har, dict) and isinstance(har.get("log"), dict), "log")
    if problems:
        return problems
    log = har["log"]
    need(isinstance(log.get("creator"), dict), "log.creator")
    need(isinstance(log.get("entries"), list), "log.entries")
    for n, e in enumerate(log.get("entries", [])):
        at = f"entries[{n}]"
        need(_date(e.get("startedDateTime")), f"{at}.startedDateTime")
        need(_number(e.get("time")), f"{at}.time")
        req, resp, timings = e.get("request"), e.get("response"), e.get("timings")
        need(isinstance(req, dict), f"{at}.request")
        need(isinstance(resp, dict), f"{at}.response")
        need(isinstance(timings, dict), f"{at}.timings")
        if not (isinstance(req, dict) and isinstance(resp, dict) and isinstance(timings, dict)):
            continue
        for key in ("method", "url", "httpVersion"):
            need(isinstance(req.get(key), str), f"{at}.request.{key}")
        for key in ("headersSize", "bodySize"):
            need(_number(req.get(key)), f"{at}.request.{key}")
            need(_number(resp.get(key)), f"{at}.response.{key}")
        for key in ("headers", "cookies", "queryString"):
            need(isinstance(req.get(key), list), f"{at}.request.{key}")
        for h in req.get("headers", []) + resp.get("headers", []):
            need(isinstance(h.get("name"), str) and isinstance(h.get("value"), str), "header")
        need(_number(resp.get("status")), f"{at}.response.status")
        need(isinstance(resp.get("statusText"), str), f"{at}.response.statusText")
        need(isinstance(resp.get("httpVersion"), str), f"{at}.response.httpVersion")
        need(isinstance(resp.get("redirectURL"), str), f"{at}.response.redirectURL")
        content = resp.get("content")
        need(isinstance(content, dict) and _number(content.get("size")), f"{at}.content.size")
        for key in ("send", "wait", "receive"):
            need(_number(timings.get(key)), f"{at}.timings.{key}")
        for key in ("blocked", "dns", "connect", "ssl"):
            need(key not in timings or _number(timings[key]), f"{at}.timings.{key}")
        messages = e.get("_webSocketMessages")
        if messages is None:
            continue
        need(isinstance(messages, list), f"{at}._webSocketMessages")
        for k, m in enumerate(messages):
            where = f"{at}._webSocketMessages[{k}]"
            need(isinstance(m, dict), where)
            need(_number(m.get("time")), f"{where}.time")
            need(m.get("type") in ("send", "receive", "error"), f"{where}.type")
            need(isinstance(m.get("opcode"), int), f"{where}.opcode")
            need(isinstance(m.get("data"), str), f"{where}.data")
    return problems


def conversation(role: Role = Role.CLIENT) -> tuple[CaptureStore, list[tuple[str, float, Message]]]:
    """A session as a connection records it (deflate on, fragments, pings, a close),
    and the data messages in it: ("send" or "receive" from the client's side, t, m)."""
    session = SessionInfo(
        "wss://chat.example.com/socket?room=lobby",
        SessionRole(role.value),
        "2024-05-01T12:00:00.250+00:00",
        START,
    )
    store = CaptureStore(session)
    params = DeflateParams()
    me = Protocol(role, deflate=PerMessageDeflate(params, role))
    peer = Protocol(role.peer, deflate=PerMessageDeflate(params, role.peer))
    messages: list[tuple[str, float, Message]] = []
    ours = "send" if role is Role.CLIENT else "receive"
    theirs = "receive" if role is Role.CLIENT else "send"
    request = (
        b"GET /socket?room=lobby HTTP/1.1\r\nHost: chat.example.com\r\n"
        b"Cookie: session=s3cr3t; theme=dark\r\nAuthorization: Bearer tok3n\r\n\r\n"
    )
    response = (
        b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
        b"Set-Cookie: id=42; Path=/; HttpOnly\r\nSec-WebSocket-Protocol: chat.v2\r\n\r\n"
    )
    req_dir, resp_dir = (OUT, IN) if role is Role.CLIENT else (IN, OUT)
    store.add(StateChanged(0.0, ConnectionState.CONNECTING))
    store.add(
        HandshakeCaptured(
            0.01,
            req_dir,
            request,
            "GET /socket?room=lobby HTTP/1.1",
            (
                ("Host", "chat.example.com"),
                ("Cookie", "session=s3cr3t; theme=dark"),
                ("Authorization", "Bearer tok3n"),
            ),
        )
    )
    store.add(
        HandshakeCaptured(
            0.05,
            resp_dir,
            response,
            "HTTP/1.1 101 Switching Protocols",
            (
                ("Upgrade", "websocket"),
                ("Set-Cookie", "id=42; Path=/; HttpOnly"),
                ("Sec-WebSocket-Protocol", "chat.v2"),
            ),
            subprotocol="chat.v2",
            timings=(("dns", 0.002), ("tcp", 0.01), ("tls", 0.02), ("handshake", 0.018)),
        )
    )
    store.add(StateChanged(0.05, ConnectionState.OPEN))

    def send(t: float) -> None:
        sent = me.events_sent()
        store.add(FramesCaptured(t, OUT, [e for e in sent if isinstance(e, Frame)]))
        for e in sent:
            if isinstance(e, Message):
                store.add(MessageCaptured(t, OUT, e))
                messages.append((ours, t, e))
        peer.receive_data(b"".join(me.data_to_send()))
        peer.events_received()

    def receive(t: float) -> None:
        me.receive_data(b"".join(peer.data_to_send()))
        for e in me.events_received():
            if isinstance(e, FrameBatch):
                store.add(FramesCaptured(t, IN, e))
            elif isinstance(e, Message):
                store.add(MessageCaptured(t, IN, e))
                messages.append((theirs, t, e))

    me.send_text('{"type":"subscribe","room":"lobby"}', compress=False)
    me.send_text("compressed " * 50)
    send(0.1234567)
    peer.send_text("welcome, ✓ 😀")
    peer.send_binary(bytes(range(256)), fragments=3, compress=False)
    peer.send_ping(b"are you there")
    receive(0.2)
    send(0.2001)  # the automatic pong
    me.send_binary(b"\x00\x01binary", compress=False)
    me.send_text("", compress=False)
    send(1.5)
    peer.send_text("a" * 70000, compress=False)
    receive(2.0)
    me.send_close(1000, "bye")
    send(3.0)
    receive(3.01)
    store.add(StateChanged(3.02, ConnectionState.CLOSED, 1000, "bye", True))
    return store, messages


def entry_of(har: dict[str, Any]) -> dict[str, Any]:
    (entry,) = har["log"]["entries"]
    assert isinstance(entry, dict)
    return entry


def har_with(*entries: dict[str, Any], version: str = "1.2") -> bytes:
    log = {"version": version, "creator": {"name": "t", "version": "1"}, "entries": list(entries)}
    return json.dumps({"log": log}).encode()


def chrome_ws_entry() -> dict[str, Any]:
    fixture = json.loads(FIXTURE.read_text(encoding="utf-8"))
    entry: dict[str, Any] = copy.deepcopy(fixture["log"]["entries"][2])
    return entry


HUGE = 10**400  # 401 digits: more than a float holds


def strict_loads(text: str | bytes) -> Any:
    """json.loads that refuses what JSON (RFC 8259) has no form for."""

    def refuse(token: str) -> Any:
        raise ValueError(f"{token} is not JSON")

    return json.loads(text, parse_constant=refuse)


def odd_store() -> CaptureStore:
    """A session with what HAR cannot say as it is: a lone surrogate in a message's
    text (a capture file can hold one), frames with reserved opcodes, a ping."""
    store = CaptureStore(SessionInfo("ws://x/", SessionRole.CLIENT, "2024-01-01T00:00:00Z", START))
    store.add(HandshakeCaptured(0.0, OUT, b"GET / HTTP/1.1\r\n\r\n", "GET / HTTP/1.1", ()))
    store.add(HandshakeCaptured(0.1, IN, b"HTTP/1.1 101 OK\r\n\r\n", "HTTP/1.1 101 OK", ()))
    specs = [
        FrameSpec(Opcode.TEXT, b"a", fin=False),
        FrameSpec(Opcode.CONT, b"b"),
        FrameSpec(0x3, b"reserved"),
        FrameSpec(0xB, b"reserved control"),
        FrameSpec(0x3, b"again"),
        FrameSpec(Opcode.PING, b""),
        FrameSpec(Opcode.TEXT, b"rsv1, no deflate", rsv1=True),
    ]
    store.add(FramesCaptured(0.2, IN, received(wire(*specs))[0]))
    message = Message(Opcode.TEXT, b"ab", "a\ud800b", 0, 1, 2, frame_count=2)
    store.add(MessageCaptured(0.2, IN, message))
    return store
