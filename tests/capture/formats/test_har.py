"""Tests of inspector.capture.formats.har: exports are what Chrome DevTools writes (and its
importer accepts), credentials stay out unless asked, a Chrome HAR file imports, and
broken or foreign files fail in plain words."""

from __future__ import annotations

import base64
import copy
import datetime
import io
import json
import math
import os
import stat
from pathlib import Path
from typing import Any

import pytest

from capture.conftest import received, rich_store, wire
from inspector.capture.events import (
    ConnectionState,
    Direction,
    FramesCaptured,
    HandshakeCaptured,
    MessageCaptured,
    SessionInfo,
    SessionRole,
    SessionSource,
    StateChanged,
)
from inspector.capture.formats.har import (
    HAR_NOTE,
    WITHHELD,
    HarFormatError,
    is_message_level,
    read_har,
    to_har,
    write_har,
)
from inspector.capture.store import CaptureStore
from inspector.protocol.connection import Protocol
from inspector.protocol.constants import Opcode, Role
from inspector.protocol.deflate import DeflateParams, PerMessageDeflate
from inspector.protocol.events import Message
from inspector.protocol.frames import Frame, FrameBatch, FrameSpec

FIXTURE = Path(__file__).parent / "fixtures" / "chrome-devtools.har"
OUT, IN = Direction.OUT, Direction.IN
START = 1714564800.25


# ------------------------------------------------------- Chrome DevTools' importer


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


# ------------------------------------------------------------------- sessions


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


# ------------------------------------------------------------------------ export


def test_an_export_is_an_entry_as_chrome_writes_it() -> None:
    store, _ = conversation()
    har = to_har(store)
    assert chrome_import_problems(har) == []
    log = har["log"]
    assert log["version"] == "1.2"
    assert log["creator"]["name"] == "ws-inspector" and log["pages"] == []
    entry = entry_of(har)
    assert entry["_resourceType"] == "websocket"
    assert entry["startedDateTime"] == "2024-05-01T12:00:00.250Z"
    request, response = entry["request"], entry["response"]
    assert request["method"] == "GET" and request["httpVersion"] == "HTTP/1.1"
    assert request["url"] == "wss://chat.example.com/socket?room=lobby"  # as Chrome: ws URL
    assert request["queryString"] == [{"name": "room", "value": "lobby"}]
    assert request["headers"][0] == {"name": "Host", "value": "chat.example.com"}
    assert (response["status"], response["statusText"]) == (101, "Switching Protocols")
    assert response["content"] == {"size": 0, "mimeType": "x-unknown"}
    timings = entry["timings"]
    assert (timings["dns"], timings["ssl"], timings["connect"], timings["wait"]) == (
        2.0,
        20.0,
        30.0,
        18.0,
    )
    assert timings["receive"] == pytest.approx((3.02 - 0.05) * 1000)
    assert entry["time"] == pytest.approx(2 + 30 + 18 + (3.02 - 0.05) * 1000)


def test_exported_messages_are_the_data_messages() -> None:
    store, expected = conversation()
    messages = entry_of(to_har(store))["_webSocketMessages"]
    assert len(messages) == len(expected)
    for got, (kind, t, m) in zip(messages, expected, strict=True):
        assert set(got) == {"type", "time", "opcode", "data"}
        assert got["type"] == kind and got["opcode"] == m.opcode
        assert got["time"] == pytest.approx(START + t, abs=1e-6)
        if m.opcode == 1:
            assert got["data"] == m.text
        else:
            assert base64.b64decode(got["data"]) == m.data
    assert sum(1 for m in messages if m["data"] == "compressed " * 50) == 1  # inflated
    comment = entry_of(to_har(store))["comment"]
    assert "control frame(s) (ping, pong, close) are not listed" in comment


def test_control_frames_can_be_listed() -> None:
    store, expected = conversation()
    messages = entry_of(to_har(store, control_frames=True))["_webSocketMessages"]
    opcodes = [m["opcode"] for m in messages]
    assert opcodes.count(9) == 1 and opcodes.count(10) == 1 and opcodes.count(8) == 2
    close = next(m for m in messages if m["opcode"] == 8)
    assert base64.b64decode(close["data"]) == b"\x03\xe8bye"
    assert len(messages) == len(expected) + 4


def test_credentials_are_left_out_unless_asked() -> None:
    store, _ = conversation()
    entry = entry_of(to_har(store))
    headers = {h["name"]: h["value"] for h in entry["request"]["headers"]}
    assert headers["Cookie"] == WITHHELD and headers["Authorization"] == WITHHELD
    assert headers["Host"] == "chat.example.com"
    response = {h["name"]: h["value"] for h in entry["response"]["headers"]}
    assert response["Set-Cookie"] == WITHHELD
    assert entry["request"]["cookies"] == [] and entry["response"]["cookies"] == []
    text = json.dumps(to_har(store))
    assert "s3cr3t" not in text and "tok3n" not in text and "id=42" not in text
    assert "Authorization, Cookie, Set-Cookie header(s) were left out" in entry["comment"]

    kept = entry_of(to_har(store, include_secrets=True))
    headers = {h["name"]: h["value"] for h in kept["request"]["headers"]}
    assert headers["Cookie"] == "session=s3cr3t; theme=dark"
    assert headers["Authorization"] == "Bearer tok3n"
    assert kept["request"]["cookies"] == [
        {"name": "session", "value": "s3cr3t"},
        {"name": "theme", "value": "dark"},
    ]
    assert kept["response"]["cookies"] == [
        {"name": "id", "value": "42", "path": "/", "httpOnly": True}
    ]
    assert "left out" not in kept["comment"]


def test_a_server_side_capture_is_exported_from_the_clients_side() -> None:
    store, expected = conversation(Role.SERVER)
    entry = entry_of(to_har(store))
    assert entry["request"]["headers"][0]["name"] == "Host"  # the request came in
    assert entry["response"]["status"] == 101
    assert [m["type"] for m in entry["_webSocketMessages"]] == [k for k, _, _ in expected]
    assert expected[0][0] == "receive"  # the server's own first message


def test_round_trip_keeps_every_message(tmp_path: Path) -> None:
    store, expected = conversation()
    path = tmp_path / "session.har"
    assert write_har(store, path) == 1
    (session,) = read_har(path)
    assert session.problems == []
    imported = session.store
    assert len(imported) == len(expected)
    for row, (kind, t, m) in enumerate(expected):
        assert imported.direction(row) is (OUT if kind == "send" else IN)
        assert imported.opcode(row) == m.opcode
        assert imported.payloads[row] == m.data
        # The time of the message, to the millisecond, on both clocks.
        unix = imported.session.started_unix + imported.t[row]
        assert abs(unix - (START + t)) < 1e-3
        assert abs(imported.t[row] - t) < 1e-3


def test_write_har_is_private_and_whole(tmp_path: Path) -> None:
    store, _ = conversation()
    path = tmp_path / "x.har"
    path.write_text("old")
    write_har([store, store], path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(json.loads(path.read_text())["log"]["entries"]) == 2
    assert os.listdir(tmp_path) == ["x.har"]
    buf = io.StringIO()
    assert write_har(store, buf, include_secrets=True) == 1
    assert "s3cr3t" in buf.getvalue()


def test_header_bytes_that_are_not_text_still_write(tmp_path: Path) -> None:
    store = rich_store()  # its response has a header byte 0xff
    path = tmp_path / "rich.har"
    write_har(store, path)
    har = json.loads(path.read_text(encoding="utf-8"))
    assert chrome_import_problems(har) == []
    values = [h["value"] for h in entry_of(har)["response"]["headers"]]
    assert "\ufffd" in values
    assert "not valid UTF-8" in entry_of(har)["comment"]
    assert "not kept whole" in entry_of(har)["comment"]


def test_a_session_without_a_handshake_exports(tmp_path: Path) -> None:
    store = CaptureStore(SessionInfo("", SessionRole.SERVER, "", 0.0, SessionSource.DECODE))
    har = to_har(store)
    assert chrome_import_problems(har) == []
    assert entry_of(har)["_webSocketMessages"] == []


# ------------------------------------------------------------------------ import


def test_the_chrome_fixture_imports() -> None:
    (session,) = read_har(FIXTURE)
    assert session.entry_index == 2 and session.problems == []
    assert session.url == "wss://chat.example.com/socket?room=lobby&v=2"
    assert session.message_level
    store = session.store
    info = store.session
    assert info.source == "har" and info.role == "client" and is_message_level(info)
    assert info.notes[0] == HAR_NOTE
    assert info.started_at == "2024-05-01T12:00:04.512Z"
    request = store.handshake(OUT)
    response = store.handshake(IN)
    assert request is not None and response is not None
    assert request.start_line == "GET /socket?room=lobby&v=2 HTTP/1.1"
    assert ("Sec-WebSocket-Key", "x3JJHMbDL1EzLkh9GBhXDw==") in request.headers
    assert response.start_line == "HTTP/1.1 101 Switching Protocols"
    assert response.subprotocol == "chat.v2" and response.extensions == "permessage-deflate"
    assert store.state is not None and store.state.state is ConnectionState.CLOSED

    fixture = json.loads(FIXTURE.read_text(encoding="utf-8"))
    messages = fixture["log"]["entries"][2]["_webSocketMessages"]
    assert len(store) == len(messages) == 8
    for row, m in enumerate(messages):
        frame = store.frame(row)
        assert frame.fin and not frame.masked and not frame.rsv1
        assert frame.opcode == m["opcode"] and frame.length_form == 7
        assert store.direction(row) is (OUT if m["type"] == "send" else IN)
        data = m["data"].encode() if m["opcode"] == 1 else base64.b64decode(m["data"])
        assert frame.payload == data
        assert info.started_unix + store.t[row] == pytest.approx(m["time"], abs=1e-6)
    assert json.loads(store.payloads[1])["motd"] == "Hej 👋"
    assert [store.seq[r] for r in range(8)] == [0, 0, 1, 1, 2, 2, 3, 4]


def test_the_chrome_fixture_exports_back_as_it_was() -> None:
    (session,) = read_har(FIXTURE)
    fixture = json.loads(FIXTURE.read_text(encoding="utf-8"))
    original = fixture["log"]["entries"][2]
    entry = entry_of(to_har(session.store, include_secrets=True))
    assert chrome_import_problems({"log": {"creator": {}, "entries": [entry]}}) == []
    assert entry["request"]["url"] == original["request"]["url"]
    assert entry["request"]["headers"] == original["request"]["headers"]
    assert entry["response"]["headers"] == original["response"]["headers"]
    for got, want in zip(entry["_webSocketMessages"], original["_webSocketMessages"], strict=True):
        assert (got["type"], got["opcode"], got["data"]) == (
            want["type"],
            want["opcode"],
            want["data"],
        )
        assert got["time"] == pytest.approx(want["time"], abs=1e-3)
    withheld = entry_of(to_har(session.store))
    cookie = next(h for h in withheld["request"]["headers"] if h["name"] == "Cookie")
    assert cookie["value"] == WITHHELD


def har_with(*entries: dict[str, Any], version: str = "1.2") -> bytes:
    log = {"version": version, "creator": {"name": "t", "version": "1"}, "entries": list(entries)}
    return json.dumps({"log": log}).encode()


def chrome_ws_entry() -> dict[str, Any]:
    fixture = json.loads(FIXTURE.read_text(encoding="utf-8"))
    entry: dict[str, Any] = copy.deepcopy(fixture["log"]["entries"][2])
    return entry


def test_a_firefox_entry_without_messages_imports_its_handshake() -> None:
    entry = {
        "pageref": "page_1",
        "startedDateTime": "2024-05-01T14:00:04.512+02:00",
        "time": 12,
        "request": {
            "bodySize": 0,
            "method": "GET",
            "url": "wss://chat.example.com/socket",
            "httpVersion": "HTTP/1.1",
            "headers": [{"name": "Upgrade", "value": "websocket"}],
            "cookies": [],
            "queryString": [],
            "headersSize": 512,
        },
        "response": {
            "status": 101,
            "statusText": "Switching Protocols",
            "httpVersion": "HTTP/1.1",
            "headers": [{"name": "Upgrade", "value": "websocket"}],
            "cookies": [],
            "content": {"mimeType": "", "size": -1},
            "redirectURL": "",
            "headersSize": 180,
            "bodySize": -1,
        },
        "cache": {},
        "timings": {
            "blocked": 0,
            "dns": 0,
            "connect": 0,
            "ssl": 0,
            "send": 0,
            "wait": 12,
            "receive": 0,
        },
    }
    (session,) = read_har(io.BytesIO(har_with(entry, version="1.1")))
    store = session.store
    assert len(store) == 0 and session.problems == []
    assert store.session.started_unix == pytest.approx(1714564804.512)
    assert any("no messages" in note for note in store.session.notes)
    assert store.handshake(IN) is not None and store.handshake(IN).start_line.startswith(  # type: ignore[union-attr]
        "HTTP/1.1 101"
    )


def test_other_tools_http_urls_and_millisecond_or_iso_times() -> None:
    entry = chrome_ws_entry()
    entry["request"]["url"] = "https://chat.example.com/socket"
    del entry["_resourceType"]
    messages = entry["_webSocketMessages"]
    messages[0]["time"] = messages[0]["time"] * 1000  # milliseconds
    messages[1]["time"] = "2024-05-01T12:00:04.601337Z"  # ISO 8601
    (session,) = read_har(io.BytesIO(har_with(entry)))
    assert session.url == "wss://chat.example.com/socket"
    assert any("https://" in note for note in session.store.session.notes)
    store = session.store
    start = store.session.started_unix
    assert start + store.t[0] == pytest.approx(1714564804.573928, abs=1e-5)
    assert start + store.t[1] == pytest.approx(1714564804.601337, abs=1e-5)
    assert len(store) == 8


def test_a_url_urlsplit_refuses_is_kept_as_it_is() -> None:
    # A bad IPv6 literal: urlsplit raises ValueError, which must not escape.
    entry = chrome_ws_entry()
    entry["request"]["url"] = "wss://[::1/socket?x=1"
    (session,) = read_har(io.BytesIO(har_with(entry)))
    assert session.url == "wss://[::1/socket?x=1"
    assert len(session.store) == 8
    har = to_har(session.store)
    assert entry_of(har)["request"]["url"] == "wss://[::1/socket?x=1"
    assert entry_of(har)["request"]["queryString"] == []


def test_several_websocket_entries_are_several_sessions() -> None:
    first = chrome_ws_entry()
    second = chrome_ws_entry()
    second["request"]["url"] = "wss://chat.example.com/other"
    second["_webSocketMessages"] = second["_webSocketMessages"][:2]
    plain = {"request": {"url": "https://x.test/"}, "response": {"status": 200}}
    sessions = read_har(io.BytesIO(har_with(plain, first, plain, second)))
    assert [(s.entry_index, s.url, len(s.store)) for s in sessions] == [
        (1, first["request"]["url"], 8),
        (3, "wss://chat.example.com/other", 2),
    ]


@pytest.mark.parametrize(
    ("message", "words"),
    [
        ("not a message", "it is not an object"),
        ({"type": "sent", "time": 1.0, "opcode": 1, "data": "x"}, '"type" must be'),
        ({"type": "send", "opcode": 1, "data": "x"}, '"time" must be seconds'),
        ({"type": "send", "time": "soon", "opcode": 1, "data": "x"}, '"time" must be'),
        ({"type": "send", "time": 1714564805.0, "opcode": 2, "data": "!!"}, "not base64"),
        ({"type": "send", "time": 1714564805.0, "opcode": 5, "data": "x"}, "opcode 5 is not"),
        ({"type": "send", "time": 1714564805.0, "opcode": "1", "data": "x"}, '"opcode" must'),
        ({"type": "send", "time": 1714564805.0, "opcode": 1, "data": 7}, '"data" must be'),
        ({"type": "send", "time": 1714564805.0, "opcode": 9, "data": "p" * 200}, "at most 125"),
    ],
)
def test_a_malformed_message_is_skipped_and_listed(message: Any, words: str) -> None:
    entry = chrome_ws_entry()
    entry["_webSocketMessages"].insert(3, message)
    (session,) = read_har(io.BytesIO(har_with(entry)))
    assert len(session.store) == 8
    (problem,) = session.problems
    assert problem.startswith("message 4 skipped: ") and words in problem


def test_error_and_control_messages_of_other_tools() -> None:
    entry = chrome_ws_entry()
    entry["_webSocketMessages"] += [
        {"type": "receive", "time": 1714564813.0, "opcode": 9, "data": "cGluZw=="},
        {"type": "receive", "time": 1714564813.1, "opcode": 8, "data": "", "code": 1000},
        {"type": "error", "time": 1714564813.2, "opcode": -1, "data": "Connection reset"},
    ]
    (session,) = read_har(io.BytesIO(har_with(entry)))
    store = session.store
    assert session.problems == []
    assert store.frame(8).opcode == 9 and store.payloads[8] == b"ping"
    assert store.frame(9).close_code == 1000
    errors = [e for e in store.events if type(e).__name__ == "ErrorCaptured"]
    assert [e.message for e in errors] == ["Connection reset"]  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"", "the file is empty"),
        (b"   \n", "the file is empty"),
        (bytes(range(256)), "binary data"),
        (b"\xff\xfe{}", "not UTF-8 text"),
        (b'{"log": {"entries": [', "not valid JSON (Expecting value at line 1 column 22)"),
        (b"[1, 2]", 'no "log" object'),
        (b'{"logs": {}}', 'no "log" object'),
        (b'{"log": []}', 'no "log" object'),
        (b'{"log": {"version": "1.2"}}', 'no "entries" list'),
        (b'{"log": {"entries": {}}}', 'no "entries" list'),
        (b'{"log": {"entries": []}}', "has 0 entries but no WebSocket connection"),
        (har_with({"request": {"url": "https://x.test/"}}), "has 1 entry but no WebSocket"),
        (
            b'{"type":"session","format":"ws-inspector-capture","version":1}\n{"type":"end"}\n',
            "it is a ws-inspector capture",
        ),
        (b"[" * 100_000, "nested too deeply"),
    ],
)
def test_files_that_are_not_har_are_refused_in_plain_words(data: bytes, words: str) -> None:
    with pytest.raises(HarFormatError) as info:
        read_har(io.BytesIO(data))
    assert words in str(info.value)
    assert "\n" not in str(info.value)


def test_a_har_file_cut_short_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "cut.har"
    path.write_bytes(FIXTURE.read_bytes()[:5000])
    with pytest.raises(HarFormatError, match=r"not valid JSON .* at line"):
        read_har(path)


def test_a_har_file_over_the_limit_is_refused_unread(tmp_path: Path) -> None:
    path = tmp_path / "big.har"
    path.write_bytes(FIXTURE.read_bytes())
    with pytest.raises(HarFormatError, match="more than the 1000 a HAR file may have"):
        read_har(path, max_bytes=1000)
    with pytest.raises(HarFormatError, match="more than the 1000 bytes"):
        read_har(io.BytesIO(FIXTURE.read_bytes()), max_bytes=1000)


def test_text_streams_and_a_byte_order_mark() -> None:
    text = FIXTURE.read_text(encoding="utf-8")
    assert len(read_har(io.StringIO("\ufeff" + text))) == 1
    assert len(read_har(io.BytesIO(b"\xef\xbb\xbf" + text.encode()))) == 1


def test_broken_entry_parts_are_listed_not_fatal() -> None:
    entry = chrome_ws_entry()
    entry["request"]["headers"].append({"name": "X-Broken"})
    entry["response"] = "nope"
    entry["startedDateTime"] = "yesterday"
    (session,) = read_har(io.BytesIO(har_with(entry)))
    assert len(session.store) == 8
    assert any("request header 15" in p for p in session.problems)
    assert any('no "response" object' in p for p in session.problems)
    assert any("startedDateTime" in p for p in session.problems)
    assert session.store.session.started_unix == pytest.approx(1714564804.573928)


# ----------------------------------------------------------- strict JSON, both ways

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


def test_a_lone_surrogate_is_replaced_and_the_comment_says_so(tmp_path: Path) -> None:
    path = tmp_path / "s.har"
    write_har(odd_store(), path)
    entry = entry_of(strict_loads(path.read_bytes().decode("utf-8")))
    assert [m["data"] for m in entry["_webSocketMessages"]] == ["a\ufffdb", "rsv1, no deflate"]
    assert "1 text value(s) were not Unicode text" in entry["comment"]
    assert "lone surrogate" in entry["comment"]
    buf = io.StringIO()
    write_har(odd_store(), buf)
    strict_loads(buf.getvalue())


def test_reserved_opcode_frames_are_noted_like_control_frames() -> None:
    comment = entry_of(to_har(odd_store()))["comment"]
    assert (
        "3 frame(s) with a reserved opcode (0x3, 0xB) are not listed: HAR has no place for them"
        in comment
    )
    assert "1 control frame(s) (ping, pong, close) are not listed" in comment
    listed = entry_of(to_har(odd_store(), control_frames=True))
    assert "reserved opcode (0x3, 0xB)" in listed["comment"]
    assert "control frame(s)" not in listed["comment"]
    assert [m["opcode"] for m in listed["_webSocketMessages"]] == [1, 9, 1]


def test_a_number_json_cannot_hold_is_refused_and_nothing_is_written(tmp_path: Path) -> None:
    store = CaptureStore(SessionInfo("ws://x/", SessionRole.CLIENT, "", math.nan))
    store.add(FramesCaptured(0.0, IN, received(wire(FrameSpec(Opcode.TEXT, b"x")))[0]))
    with pytest.raises(ValueError):
        write_har(store, tmp_path / "nan.har")
    assert os.listdir(tmp_path) == []


def websocket_har(**message: Any) -> bytes:
    entry = chrome_ws_entry()
    entry["_webSocketMessages"] = [
        {"type": "send", "time": START, "opcode": 1, "data": "ok"},
        {"type": "receive", "time": START + 0.1, "opcode": 1, "data": "x", **message},
    ]
    return har_with(entry)


@pytest.mark.parametrize(
    ("field", "raw", "words"),
    [
        (
            "time",
            str(HUGE),
            'message 2 skipped: "time" must be seconds since the Unix epoch, not 1000',
        ),
        ("time", "NaN", 'message 2 skipped: "time" must be seconds since the Unix epoch, not NaN'),
        (
            "time",
            "1e999",
            'message 2 skipped: "time" must be seconds since the Unix epoch, not a number too',
        ),
        ("opcode", str(HUGE), "message 2 skipped: opcode 1000000"),
    ],
)
def test_a_number_no_field_can_hold_skips_the_message(field: str, raw: str, words: str) -> None:
    data = websocket_har(**{field: 12345}).replace(b"12345", raw.encode())
    (session,) = read_har(io.BytesIO(data))
    (problem,) = session.problems
    assert problem.startswith(words) and len(problem) < 150
    assert len(session.store) == 1


def test_a_huge_status_or_timing_is_a_problem_not_a_crash() -> None:
    entry = chrome_ws_entry()
    entry["response"]["status"] = 12345
    entry["timings"] = {"dns": 12346, "wait": 12347}
    data = har_with(entry).replace(b"12345", str(HUGE).encode())
    data = data.replace(b"12346", b"NaN").replace(b"12347", b"-1e999")
    (session,) = read_har(io.BytesIO(data))
    assert session.problems == ['the response "status" is not a number']
    response = session.store.handshake(IN)
    assert response is not None and response.timings == ()
