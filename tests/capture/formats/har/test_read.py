"""Tests of inspector.capture.formats.har.read: a Chrome HAR file imports, other
tools' files too, and broken, foreign or hostile files fail in plain words."""

from __future__ import annotations

import base64
import io
import json
from pathlib import Path
from typing import Any

import pytest

from capture.conftest import IN, OUT, assert_same
from capture.formats.har.conftest import (
    FIXTURE,
    HUGE,
    START,
    chrome_ws_entry,
    entry_of,
    har_with,
)
from inspector.capture.events import (
    ConnectionState,
)
from inspector.capture.formats.har import (
    HAR_NOTE,
    HarFormatError,
    is_message_level,
    read_har,
    to_har,
)


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


def websocket_har(**message: Any) -> bytes:
    entry = chrome_ws_entry()
    entry["_webSocketMessages"] = [
        {"type": "send", "time": START, "opcode": 1, "data": "ok"},
        {"type": "receive", "time": START + 0.1, "opcode": 1, "data": "x", **message},
    ]
    return har_with(entry)


def _mixed_messages() -> list[dict[str, Any]]:
    t = 1714564812.0
    return [
        {"type": "send", "time": t + 0.1, "opcode": 1, "data": "hello"},
        {"type": "receive", "time": t + 0.2, "opcode": 1, "data": "héllo ☃"},
        {"type": "receive", "time": int(t) + 1, "opcode": 2, "data": "AAEC"},
        {"type": "send", "time": (t + 0.3) * 1000, "opcode": 1, "data": "in ms"},
        {"type": "receive", "time": t + 0.4, "opcode": 9, "data": "cGluZw=="},
        {"type": "error", "time": t + 0.5, "opcode": -1, "data": "reset"},
        {"type": "receive", "time": t + 0.6, "opcode": 1, "data": "x" * 300},
        {"type": "send", "time": t + 0.7, "opcode": True, "data": "a bool opcode"},
        {"type": "send", "time": t + 0.8, "opcode": 1, "data": "after"},
    ]


def _rows(store: Any) -> list[tuple[Any, ...]]:
    return [
        (store.frame(r), store.t[r], store.msg_start[r], store.direction(r))
        for r in range(len(store))
    ]


def test_messages_become_frames_numbered_per_direction_with_events_in_place() -> None:
    entry = chrome_ws_entry()
    entry["_webSocketMessages"] = _mixed_messages()
    (session,) = read_har(io.BytesIO(har_with(entry)))
    store = session.store
    assert [p for p in session.problems if "bool" in p or "opcode" in p]  # the bool opcode
    frames = [store.frame(r) for r in range(len(store))]
    assert [f.opcode for f in frames] == [1, 1, 2, 1, 9, 1, 1]
    assert [store.payloads[r] for r in range(len(store))] == [
        b"hello",
        "héllo ☃".encode(),
        b"\x00\x01\x02",
        b"in ms",
        b"ping",
        b"x" * 300,
        b"after",
    ]
    assert [store.direction(r) for r in range(len(store))] == [OUT, IN, IN, OUT, IN, IN, OUT]
    assert [f.seq for f in frames] == [0, 0, 1, 1, 2, 3, 2]
    outs = [f for f in frames if f.header[0] in (0x81, 0x82)]
    assert all(f.header[1] & 0x7F == min(f.length, 126) for f in outs)
    assert frames[5].length == 300 and frames[5].offset == frames[4].offset + 2 + 4
    assert store.t[3] - store.t[0] == pytest.approx(0.2, abs=1e-3)  # milliseconds, as such
    assert list(store.msg_start) == [0, 1, 2, 3, -1, 5, 6]
    (error_row,) = [r for r, e in store.iter_events() if type(e).__name__ == "ErrorCaptured"]
    assert error_row == 5  # after the ping, before the long text


def test_frames_the_bulk_path_refuses_are_added_one_by_one_the_same(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    entry = chrome_ws_entry()
    entry["_webSocketMessages"] = _mixed_messages()
    data = har_with(entry)
    (bulk,) = read_har(io.BytesIO(data))
    from inspector.capture.store import CaptureStore

    monkeypatch.setattr(CaptureStore, "extend_frames", lambda self, *columns: False)
    (one_by_one,) = read_har(io.BytesIO(data))
    assert _rows(one_by_one.store) == _rows(bulk.store)
    assert one_by_one.store.counters(IN) == bulk.store.counters(IN)
    assert one_by_one.store.counters(OUT) == bulk.store.counters(OUT)
    assert one_by_one.problems == bulk.problems


def _text_messages(n: int) -> list[dict[str, Any]]:
    """Text messages both ways (runs of each, a few long enough for the 16- and
    64-bit length forms), timed in seconds: what a HAR of a text protocol holds."""
    t = 1714564812.0
    sizes = {7: 126, 8: 300, 9: 70_000}
    return [
        {
            "type": "receive" if (i // 3) % 4 else "send",
            "time": t + i / 1000,
            "opcode": 1,
            "data": f"m{i}" + "y" * sizes.get(i % 100, 0),
        }
        for i in range(n)
    ]


@pytest.mark.parametrize("spoil", [None, 1, 155, 302])
def test_text_messages_in_columns_read_as_one_by_one(
    spoil: int | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    from inspector.capture.formats.har import read as har_read

    messages = _text_messages(400)
    if spoil is not None:  # one item that is not the common one: each is read alone
        messages[spoil] = _mixed_messages()[spoil % 9]
    entry = chrome_ws_entry()
    entry["_webSocketMessages"] = messages
    data = har_with(entry)
    (columns,) = read_har(io.BytesIO(data))
    monkeypatch.setattr(har_read, "_text_columns", lambda raw: None)
    (each,) = read_har(io.BytesIO(data))
    assert columns.problems == each.problems
    assert_same(each.store, columns.store)
    assert len(columns.store) == 400 - (spoil is not None and spoil % 9 in (5, 7))
