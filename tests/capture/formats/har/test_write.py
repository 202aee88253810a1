"""Tests of inspector.capture.formats.har.write: exports are what Chrome DevTools
writes (and its importer accepts), credentials stay out unless asked, and the file
is strict JSON that says what HAR could not hold."""

from __future__ import annotations

import base64
import io
import json
import math
import os
import stat
from pathlib import Path

import pytest

from capture.conftest import IN, OUT, received, rich_store, wire
from capture.formats.har.conftest import (
    FIXTURE,
    START,
    chrome_import_problems,
    conversation,
    entry_of,
    odd_store,
    strict_loads,
)
from inspector.capture.events import (
    FramesCaptured,
    SessionInfo,
    SessionRole,
    SessionSource,
)
from inspector.capture.formats.har import (
    WITHHELD,
    read_har,
    to_har,
    write_har,
)
from inspector.capture.store import CaptureStore
from inspector.protocol.constants import Opcode, Role
from inspector.protocol.frames import FrameSpec


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


def _plain_text_store(payloads: list[tuple[float, FrameSpec]]) -> CaptureStore:
    store = CaptureStore(SessionInfo("ws://x/", SessionRole.CLIENT, "", START))
    for t, spec in payloads:
        store.add(FramesCaptured(t, IN, received(wire(spec))[0]))
    return store


def _as_json_dumps_writes_it(har: dict[str, object]) -> str:
    return json.dumps(har, indent=2, ensure_ascii=False, allow_nan=False) + "\n"


@pytest.mark.parametrize("control_frames", [False, True])
def test_the_file_is_the_documents_json_laid_out_as_json_dumps_does(
    tmp_path: Path, control_frames: bool
) -> None:
    # The writer lays the message lists out itself (in chunks, from columns): the
    # text must be json.dumps's of to_har's document, for every kind of row: plain
    # ASCII text, non-ASCII and invalid UTF-8 text, characters JSON escapes,
    # binary, control frames, fragmented and compressed messages, times that go back.
    ascii_only = _plain_text_store(
        [(0.1 * i, FrameSpec(Opcode.TEXT, b'{"tick":%d}' % i)) for i in range(5)]
    )
    mixed = _plain_text_store(
        [
            (0.3, FrameSpec(Opcode.TEXT, 'h\u00e9 "q" \\ \n\t\x01'.encode())),
            (0.2, FrameSpec(Opcode.TEXT, b"bad \xff utf-8")),
            (0.1, FrameSpec(Opcode.BINARY, bytes(range(256)))),
            (0.4, FrameSpec(Opcode.TEXT, "\ufffd itself".encode())),
            (0.4, FrameSpec(Opcode.PING, b"p")),
        ]
    )
    stores = [rich_store(), conversation()[0], odd_store(), ascii_only, mixed]
    for store in stores:
        path = tmp_path / "one.har"
        write_har(store, path, control_frames=control_frames)
        har = to_har(store, control_frames=control_frames)
        assert path.read_bytes().decode("utf-8") == _as_json_dumps_writes_it(har)
    buf = io.StringIO()
    assert write_har(stores, buf, control_frames=control_frames) == len(stores)
    assert buf.getvalue() == _as_json_dumps_writes_it(to_har(stores, control_frames=control_frames))


def test_text_that_is_not_utf8_is_counted_once_per_message() -> None:
    store = _plain_text_store(
        [
            (0.1, FrameSpec(Opcode.TEXT, b"bad \xff")),
            (0.2, FrameSpec(Opcode.TEXT, "\ufffd is text".encode())),
            (0.3, FrameSpec(Opcode.TEXT, b"also \xc3")),
        ]
    )
    entry = entry_of(to_har(store))
    assert [m["data"] for m in entry["_webSocketMessages"]] == [
        "bad \ufffd",
        "\ufffd is text",
        "also \ufffd",
    ]
    assert "2 text message(s) were not valid UTF-8" in entry["comment"]
