"""Tests of inspector.capture.formats.jsonl: the capture file round-trips every field, keeps
the true order of events, and damaged or foreign files fail in the documented way."""

from __future__ import annotations

import dataclasses
import io
import json
import os
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from inspector.capture.events import (
    FORMAT_NAME,
    FORMAT_VERSION,
    AcceptCheck,
    ConnectionState,
    Direction,
    ErrorCaptured,
    FramesCaptured,
    HandshakeCaptured,
    MessageCaptured,
    RawBytesSent,
    RttSample,
    SessionInfo,
    SessionRole,
    StateChanged,
    TlsInfo,
    ViolationCaptured,
)
from inspector.capture.formats import jsonl
from inspector.capture.formats.jsonl import (
    CaptureFormatError,
    LoadResult,
    iter_lines,
    read_jsonl,
    write_jsonl,
)
from inspector.capture.store import CaptureStore
from inspector.protocol.connection import Protocol
from inspector.protocol.constants import Opcode, Role
from inspector.protocol.events import Message
from inspector.protocol.frames import Frame, FrameBatch, FrameSpec
from inspector.protocol.violations import Rule, Violation

try:
    from inspector.protocol.deflate import DeflateParams, PerMessageDeflate
except ImportError:  # pragma: no cover - the deflate module is optional here
    PerMessageDeflate = None  # type: ignore[assignment,misc]

OUT, IN = Direction.OUT, Direction.IN
KEY = b"\x11\x22\x33\x44"


def rich_store() -> CaptureStore:
    """A client session with every kind of line: handshakes with TLS and timings,
    masked and unmasked frames, all length forms, fragments with a ping between,
    compressed messages, violations, a frame too large to keep, awkward text, and
    every other event type."""
    store = CaptureStore(
        SessionInfo(
            "wss://example.test/feed?x=1",
            "client",
            "2024-05-01T12:00:00.123456+02:00",
            1714557600.123456,
            "live",
            ("first note", "ünïcode note"),
        )
    )
    deflate = PerMessageDeflate is not None
    store.add(StateChanged(0.0, ConnectionState.CONNECTING, detail="dialling"))
    store.add(
        HandshakeCaptured(
            0.01,
            OUT,
            b"GET /feed HTTP/1.1\r\nHost: example.test\r\n\r\n",
            "GET /feed HTTP/1.1",
            (("Host", "example.test"), ("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==")),
        )
    )
    store.add(
        HandshakeCaptured(
            0.02,
            IN,
            b"HTTP/1.1 101 Switching Protocols\r\nX-Odd: \xff\r\n\r\n",
            "HTTP/1.1 101 Switching Protocols",
            (("Upgrade", "websocket"), ("X-Odd", "\udcff")),
            AcceptCheck(
                "dGhlIHNhbXBsZSBub25jZQ==",
                "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=",
                "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=",
                True,
                "dGhlIHNhbXBsZSBub25jZQ==258EAFA5-E914-47DA-95CA-C5AB0DC85B11",
                "b37a4f2cc0624f1690f64606cf385945b2bec4ea",
            ),
            (Violation(Rule.HANDSHAKE_INVALID, "a header is odd"),),
            "chat.v2",
            "permessage-deflate" if deflate else None,
            (("dns", 0.001), ("tcp", 0.004), ("tls", 0.0105), ("handshake", 0.02)),
            TlsInfo("TLSv1.3", "TLS_AES_128_GCM_SHA256", "CN=example.test", "CN=CA", "Jan 1", True),
        )
    )
    store.add(StateChanged(0.021, ConnectionState.OPEN))

    params = DeflateParams() if deflate else None
    keys = iter([KEY, b"\x00\x00\x00\x00", b"\xff\xfe\xfd\xfc"] * 20)
    client = Protocol(
        Role.CLIENT,
        max_frame_size=1000,
        deflate=PerMessageDeflate(params, Role.CLIENT) if params else None,
        mask_key_source=lambda: next(keys),
    )
    server = Protocol(
        Role.SERVER, deflate=PerMessageDeflate(params, Role.SERVER) if params else None
    )

    def send(t: float) -> None:
        sent = client.events_sent()
        store.add(FramesCaptured(t, OUT, [e for e in sent if isinstance(e, Frame)]))
        for e in sent:
            if isinstance(e, Message):
                store.add(MessageCaptured(t, OUT, e))
        client.data_to_send()

    def receive(t: float) -> None:
        client.receive_data(b"".join(server.data_to_send()))
        for e in client.events_received():
            if isinstance(e, FrameBatch):
                store.add(FramesCaptured(t, IN, e))
            elif isinstance(e, Message):
                store.add(MessageCaptured(t, IN, e))

    client.send_text('hello "server"\\ \n\t\x01 \u2028 ✓ 😀', fragments=3, compress=False)
    client.send_binary(bytes(range(256)), compress=True)
    client.send_ping(b"\x00ping")
    client.send_frame(FrameSpec(Opcode.TEXT, b"16-bit form", length_form=16))
    send(0.1)
    server.send_text("reply " * 40)  # compressed when deflate is on
    server.send_binary(b"\x00" * 300, fragments=2, compress=False)
    server.send_ping(b"in the middle")
    server.send_frame(FrameSpec(Opcode.TEXT, b"\xff\xfe not utf-8"))
    server.send_frame(FrameSpec(Opcode.TEXT, b"64-bit form", length_form=64, rsv2=True))
    server.send_frame(FrameSpec(0x5, b"reserved"))
    server.send_frame(FrameSpec(Opcode.BINARY, b"B" * 5000))  # over max_frame_size
    server.send_frame(FrameSpec(Opcode.PONG, b"", mask=True, mask_key=KEY))
    receive(0.2)
    send(0.21)  # the automatic pong
    store.add(RttSample(0.22, 0.0123, b"\x00ping"))
    store.add(RawBytesSent(0.23, b"\x81\x05hel", 9999))
    store.add(ViolationCaptured(0.24, IN, Violation(Rule.INVALID_UTF8, "cut short", None)))
    store.add(ErrorCaptured(0.25, "read", 'peer said "no"', fatal=False))
    server.send_close(1001, "gône")
    receive(0.3)
    send(0.31)
    store.add(StateChanged(0.4, ConnectionState.CLOSED, 1001, "gône", True, "clean"))
    store.add(ErrorCaptured(0.5, "close", "done"))
    return store


def assert_same(a: CaptureStore, b: CaptureStore) -> None:
    assert b.session == a.session
    assert len(b) == len(a)
    for row in range(len(a)):
        assert b.frame(row) == a.frame(row), row
        assert b.header(row) == a.header(row)
    for col_a, col_b in zip(a._columns(), b._columns(), strict=True):
        assert col_b == col_a
    assert b.payloads == a.payloads
    assert b.violations == a.violations
    assert b.messages == a.messages
    assert b.events == a.events
    assert b.event_rows == a.event_rows
    for d in Direction:
        assert b.counters(d) == a.counters(d)
        assert b.handshake(d) == a.handshake(d)
    assert b.state == a.state


def capture_bytes(store: CaptureStore) -> bytes:
    buf = io.StringIO()
    write_jsonl(store, buf)
    return buf.getvalue().encode("utf-8")


def load(data: bytes, **kwargs: Any) -> LoadResult:
    return read_jsonl(io.BytesIO(data), **kwargs)


@pytest.fixture(scope="module")
def rich() -> CaptureStore:
    return rich_store()


@pytest.fixture(scope="module")
def rich_file(rich: CaptureStore) -> bytes:
    return capture_bytes(rich)


def test_the_sample_session_has_what_it_should(rich: CaptureStore) -> None:
    assert len(rich) > 15 and len(rich.messages) >= 2 and len(rich.violations) >= 4
    assert any(rich.frame(r).truncated for r in range(len(rich)))
    assert {rich.frame(r).length_form for r in range(len(rich))} == {7, 16, 64}
    if PerMessageDeflate is not None:
        assert any(c.message.compressed for c in rich.messages.values())


def test_round_trip_through_a_file(rich: CaptureStore, tmp_path: Path) -> None:
    path = tmp_path / "session.jsonl"
    lines = write_jsonl(rich, path)
    result = read_jsonl(path)
    assert result.problems == [] and result.complete
    assert result.lines_read == lines == path.read_bytes().count(b"\n")
    assert_same(rich, result.store)
    assert_same(rich, read_jsonl(str(path)).store)
    # Written again, the file is identical byte for byte.
    assert capture_bytes(result.store) == path.read_bytes()
    assert not [p for p in tmp_path.iterdir() if p.name != "session.jsonl"]  # no temp left


@pytest.mark.parametrize("kind", ["bytes", "text"])
def test_round_trip_through_streams(rich: CaptureStore, rich_file: bytes, kind: str) -> None:
    stream: Any = io.BytesIO(rich_file) if kind == "bytes" else io.StringIO(rich_file.decode())
    result = read_jsonl(stream)
    assert result.complete and result.problems == []
    assert_same(rich, result.store)


def test_frame_lines_are_frame_to_json_plus_time_and_direction(rich: CaptureStore) -> None:
    frame_lines = [json.loads(x) for x in iter_lines(rich) if x.startswith('{"type":"frame"')]
    assert len(frame_lines) == len(rich)
    for row, obj in enumerate(frame_lines):
        frame = rich.frame(row)
        expected = frame.to_json()
        expected["t"] = rich.t[row]
        expected["dir"] = rich.direction(row).value
        assert obj == expected
        assert list(obj)[:3] == ["type", "t", "dir"]


def test_session_line_and_end_line(rich: CaptureStore) -> None:
    lines = [json.loads(x) for x in iter_lines(rich)]
    assert lines[0] == {
        "type": "session",
        "format": FORMAT_NAME,
        "version": FORMAT_VERSION,
        "url": rich.session.url,
        "role": "client",
        "started_at": rich.session.started_at,
        "started_unix": rich.session.started_unix,
        "source": "live",
        "notes": list(rich.session.notes),
    }
    assert lines[-1] == {
        "type": "end",
        "frames": len(rich),
        "events": len(rich.events) + len(rich.messages),
    }


def test_lines_keep_the_true_order(rich: CaptureStore) -> None:
    """Each event line comes after exactly as many frame lines as there were rows
    when it was recorded, and each message right after its last frame."""
    frames_seen = 0
    events_seen = 0
    last_frame_row = -1
    for text in list(iter_lines(rich))[1:-1]:
        obj = json.loads(text)
        if obj["type"] == "frame":
            last_frame_row = frames_seen
            frames_seen += 1
        elif obj["type"] == "message" and last_frame_row in rich.messages:
            kept = rich.messages[last_frame_row].message
            assert obj["last_seq"] == kept.last_seq
        else:
            assert rich.event_rows[events_seen] == frames_seen
            assert obj["t"] == rich.events[events_seen].t
            events_seen += 1
    assert events_seen == len(rich.events)


def test_message_and_event_lines(rich: CaptureStore) -> None:
    by_type: dict[str, list[dict[str, Any]]] = {}
    for text in iter_lines(rich):
        obj = json.loads(text)
        by_type.setdefault(obj["type"], []).append(obj)
    assert set(by_type) == {
        "session", "frame", "message", "handshake", "state", "error", "rtt", "raw",
        "violation", "end",
    }  # fmt: skip
    first = by_type["message"][0]
    assert set(first) == {
        "type", "t", "dir", "opcode", "first_seq", "last_seq", "size", "wire_size",
        "compressed", "truncated", "frame_count", "data_b64", "text",
    }  # fmt: skip
    assert first["text"] == 'hello "server"\\ \n\t\x01 \u2028 ✓ 😀'
    response = by_type["handshake"][1]
    assert response["timings"] == {"dns": 0.001, "tcp": 0.004, "tls": 0.0105, "handshake": 0.02}
    assert response["tls"]["version"] == "TLSv1.3" and response["accept"]["ok"] is True
    assert by_type["raw"][0]["offset"] == 9999
    assert by_type["violation"][0]["rule"] == "invalid-utf8"
    assert [s["state"] for s in by_type["state"]] == ["connecting", "open", "closed"]


def test_lines_in_another_layout_read_the_same(rich: CaptureStore, rich_file: bytes) -> None:
    """Spaces, another key order and CRLF line ends take the general json.loads path
    for every line (the canonical layout has a faster one): same result."""
    lines = rich_file.decode().split("\n")[:-1]  # not splitlines(): U+2028 is in a text
    relaid = [json.dumps(dict(reversed(list(json.loads(x).items())))) for x in lines]
    data = ("\ufeff" + "\r\n".join(relaid) + "\r\n\n  \n").encode("utf-8")
    result = load(data)
    assert result.complete and result.problems == []
    assert_same(rich, result.store)


def test_canonical_frame_lines_skip_json_loads(
    rich: CaptureStore, rich_file: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = 0
    real = json.loads

    def counting(text: Any) -> Any:
        nonlocal calls
        calls += 1
        return real(text)

    monkeypatch.setattr(jsonl, "_loads", counting)
    assert_same(rich, load(rich_file).store)
    lines = rich_file.split(b"\n")[:-1]
    frames_with_violations = len(rich.violations)
    assert calls == len(lines) - len(rich) + frames_with_violations


def test_write_through_a_temporary_file(rich: CaptureStore, tmp_path: Path) -> None:
    path = tmp_path / "keep.jsonl"
    path.write_text("the old capture\n")
    broken = CaptureStore(rich.session)
    broken.events.append("not an event")  # type: ignore[arg-type]
    broken.event_rows.append(0)
    with pytest.raises(AttributeError):
        write_jsonl(broken, path)
    assert path.read_text() == "the old capture\n"
    assert os.listdir(tmp_path) == ["keep.jsonl"]


def test_an_empty_session() -> None:
    store = CaptureStore(SessionInfo("ws://x", "server", "2024-01-01T00:00:00Z", 0.0, "decode"))
    data = capture_bytes(store)
    assert data.count(b"\n") == 2
    result = load(data)
    assert result.complete and result.lines_read == 2
    assert_same(store, result.store)


# --------------------------------------------------------------------- not captures


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"", "empty"),
        (b"\n", "not JSON"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", "not UTF-8 text: byte 0"),
        (bytes(range(256)) * 4, "binary"),
        (b"\xff\xfe\xfa garbage\n", "not UTF-8"),
        (b"hello world\n", "not JSON"),
        (b"[1, 2, 3]\n", "not a session"),
        (b'{"type": "frame", "seq": 0}\n', "not a session"),
        (b'{"type": "session", "format": "har", "version": 1}\n', '"har"'),
        (b'{"type": "session", "version": 1}\n', "format is null"),
        (b'{"type": "session", "format": "ws-inspector-capture", "version": 2}\n', "newer"),
        (b'{"type": "session", "format": "ws-inspector-capture", "version": "1"}\n', "not valid"),
        (b'{"type": "session", "format": "ws-inspector-capture", "version": 0}\n', "not valid"),
        (b"[" * 100_000 + b"\n", "not JSON"),
        (b"x" * (2**20 + 10), "longer than"),
    ],
)
def test_files_that_are_not_captures(data: bytes, words: str) -> None:
    with pytest.raises(CaptureFormatError, match=words):
        load(data)


def test_a_capture_from_a_newer_version_says_so() -> None:
    head = {"type": "session", "format": FORMAT_NAME, "version": FORMAT_VERSION + 1}
    with pytest.raises(CaptureFormatError) as info:
        load(json.dumps(head).encode() + b"\n")
    assert f"version {FORMAT_VERSION + 1}" in str(info.value)
    assert "newer ws-inspector" in str(info.value)


def test_a_damaged_session_line_is_read_with_defaults() -> None:
    head = {"type": "session", "format": FORMAT_NAME, "version": 1, "url": 5, "notes": "x"}
    result = load(json.dumps(head).encode() + b'\n{"type":"end","frames":0,"events":0}\n')
    assert result.store.session == SessionInfo("", SessionRole.CLIENT, "", 0.0)
    assert not result.complete and len(result.store) == 0
    assert any('"url" must be a string' in p for p in result.problems)
    assert any('"notes"' in p for p in result.problems)


# ------------------------------------------------------------------ damaged captures


def frame_rows_are_a_prefix(original: CaptureStore, loaded: CaptureStore) -> None:
    assert len(loaded) <= len(original)
    for row in range(len(loaded)):
        assert loaded.frame(row) == original.frame(row)
        assert loaded.t[row] == original.t[row] and loaded.dir[row] == original.dir[row]


def test_cut_anywhere(rich: CaptureStore, rich_file: bytes) -> None:
    """A file cut at any byte loads as far as it goes and says where it stopped."""
    first_end = rich_file.index(b"\n") + 1
    line_starts = {i + 1 for i, c in enumerate(rich_file) if c == 0x0A}
    for cut in [*range(0, len(rich_file), 23), *line_starts, len(rich_file) - 1]:
        data = rich_file[:cut]
        if cut < first_end - 1:
            with pytest.raises(CaptureFormatError):
                load(data)
            continue
        result = load(data)
        frame_rows_are_a_prefix(rich, result.store)
        if cut >= len(rich_file) - 1:  # at most the last newline is missing
            assert result.complete and result.problems == []
            continue
        assert not result.complete
        assert result.problems and "line " in result.problems[-1]
        if cut in line_starts or rich_file[cut : cut + 1] == b"\n":
            # Cut between lines (or just before a newline): nothing is cut off.
            assert "end line" in result.problems[-1]
        else:
            assert "is cut off" in result.problems[-1]


def test_cut_between_lines_keeps_every_whole_line(rich: CaptureStore, rich_file: bytes) -> None:
    lines = rich_file.splitlines(keepends=True)
    frame_lines = [i for i, x in enumerate(lines) if x.startswith(b'{"type":"frame"')]
    cut = frame_lines[10]
    result = load(b"".join(lines[:cut]))
    assert len(result.store) == 10 and not result.complete
    assert result.lines_read == cut
    assert result.problems == [
        f"the file ends after line {cut} without its end line: the capture may have been "
        "cut short (for example the program stopped while saving)"
    ]


def lines_of(data: bytes) -> list[bytes]:
    return data.splitlines(keepends=True)


def frame_line_numbers(data: bytes) -> list[int]:
    return [n for n, x in enumerate(lines_of(data), 1) if x.startswith(b'{"type":"frame"')]


def test_bad_json_in_the_middle_stops_there(rich: CaptureStore, rich_file: bytes) -> None:
    lines = lines_of(rich_file)
    n = frame_line_numbers(rich_file)[12]
    lines[n - 1] = lines[n - 1][:40] + b"\n"
    result = load(b"".join(lines))
    assert len(result.store) == 12 and not result.complete
    assert result.lines_read == n - 1
    assert result.problems[-1].startswith(f"line {n} is not valid JSON (")
    assert "stopped reading there; 12 frames and" in result.problems[-1]
    frame_rows_are_a_prefix(rich, result.store)


def test_binary_junk_after_good_lines(rich: CaptureStore, rich_file: bytes) -> None:
    lines = lines_of(rich_file)
    data = b"".join(lines[:8]) + bytes(range(256)) * 100
    result = load(data)
    frame_rows_are_a_prefix(rich, result.store)
    assert not result.complete
    assert result.problems[-1].startswith("line 9 is not valid JSON")
    assert "binary data" in result.problems[-1]


def test_a_giant_line_stops_reading_without_reading_it_all(rich_file: bytes) -> None:
    lines = lines_of(rich_file)
    giant = b'{"type":"frame","payload_b64":"' + b"A" * 3_000_000 + b'"}\n'
    result = load(b"".join(lines[:5]) + giant + b"".join(lines[5:]), max_line_bytes=2**20)
    assert result.problems[-1].startswith(f"line 6 is longer than {2**20} bytes")
    assert result.lines_read == 5 and not result.complete

    class Endless(io.RawIOBase):
        """A session line, then one line that never ends."""

        served = 0

        def readable(self) -> bool:
            return True

        def readinto(self, buffer: Any) -> int:
            head = lines[0]
            view = memoryview(buffer)
            chunk = (head + b"A" * len(view))[self.served :] if self.served < len(head) else b""
            chunk = chunk or b"A" * len(view)
            chunk = chunk[: len(view)]
            view[: len(chunk)] = chunk
            self.served += len(chunk)
            return len(chunk)

    endless = Endless()
    result = read_jsonl(io.BufferedReader(endless), max_line_bytes=3 * 2**20)
    assert "line 2 is longer than" in result.problems[-1]
    assert endless.served <= 3 * 2**20 + 2 * 2**20


def test_the_first_line_is_read_with_a_small_limit() -> None:
    class Counting(io.BytesIO):
        asked = 0

        def read(self, n: int | None = -1) -> bytes:
            data = super().read(n)
            self.asked += len(data)
            return data

    stream = Counting(b"\x00" * 50 * 2**20)
    with pytest.raises(CaptureFormatError, match="binary data"):
        read_jsonl(stream)
    assert stream.asked <= 3 * 2**20


def corrupt(data: bytes, n: int, change: Any) -> bytes:
    """``data`` with line ``n`` (from 1) replaced by ``change(obj)`` of its object."""
    lines = lines_of(data)
    obj = json.loads(lines[n - 1])
    lines[n - 1] = json.dumps(change(obj)).encode() + b"\n"
    return b"".join(lines)


def with_field(key: str, value: Any) -> Any:
    def change(obj: dict[str, Any]) -> dict[str, Any]:
        obj[key] = value
        return obj

    return change


@pytest.mark.parametrize(
    ("key", "value", "words"),
    [
        ("payload_b64", "not base64!", '"payload_b64" is not valid base64'),
        ("payload_b64", 5, '"payload_b64" must be a string, not 5'),
        ("header_hex", "81", "not a frame header: 81"),
        ("header_hex", "zz", '"header_hex" is not hexadecimal'),
        ("header_hex", "8100", "the payload has"),
        ("seq", -1, '"seq" must be at least 0'),
        ("seq", 2**70, "too large"),
        ("seq", "3", '"seq" must be an integer, not "3"'),
        ("t", None, '"t" must be a number, not null'),
        ("dir", "up", '"dir" must be "out" or "in", not "up"'),
        ("violations", {"x": 1}, '"violations" must be a list'),
        ("violations", [5], "a violation must be an object"),
    ],
)
def test_a_bad_frame_line_is_skipped(rich_file: bytes, key: str, value: Any, words: str) -> None:
    numbers = frame_line_numbers(rich_file)
    n = numbers[3]
    result = load(corrupt(rich_file, n, with_field(key, value)))
    assert not result.complete
    assert len(result.store) == len(numbers) - 1  # only that frame is lost
    assert result.problems[0].startswith(f"line {n}: frame skipped: ")
    assert words in result.problems[0]
    assert len(result.problems) == 1  # the line is still counted: the end line agrees


def test_an_unknown_rule_drops_only_the_violation(rich: CaptureStore, rich_file: bytes) -> None:
    row = min(rich.violations)
    n = frame_line_numbers(rich_file)[row]

    def rename(obj: dict[str, Any]) -> dict[str, Any]:
        obj["violations"][0]["rule"] = "rule-from-the-future"
        return obj

    result = load(corrupt(rich_file, n, rename))
    assert len(result.store) == len(rich) and not result.complete
    assert result.store.violations.get(row, ()) == rich.violations[row][1:]
    assert result.problems == [
        f"line {n}: violations of rules this version does not know were dropped: "
        "rule-from-the-future"
    ]


@pytest.mark.parametrize(
    ("kind", "key", "value", "words"),
    [
        ("state", "state", "exploded", 'unknown "state" "exploded"'),
        ("state", "t", "soon", '"t" must be a number'),
        ("handshake", "headers", [["a"]], '"headers" must hold [name, value]'),
        ("handshake", "accept", {"key": "k"}, '"expected" is missing'),
        ("handshake", "timings", {"dns": "fast"}, 'timing "dns" must be a number'),
        ("handshake", "raw_b64", None, '"raw_b64" must be a string, not null'),
        ("message", "opcode", 99, '"opcode" must be 0-15'),
        ("message", "compressed", 1, '"compressed" must be true or false, not 1'),
        ("error", "step", None, '"step" must be a string, not null'),
        ("rtt", "rtt", True, '"rtt" must be a number, not true'),
        ("raw", "offset", -5, '"offset" must be at least 0'),
        ("violation", "rule", "no-such-rule", "unknown rule 'no-such-rule'"),
    ],
)
def test_a_bad_event_line_is_skipped(
    rich: CaptureStore, rich_file: bytes, kind: str, key: str, value: Any, words: str
) -> None:
    lines = lines_of(rich_file)
    n = next(i for i, x in enumerate(lines, 1) if json.loads(x)["type"] == kind)
    result = load(corrupt(rich_file, n, with_field(key, value)))
    assert not result.complete
    assert len(result.store) == len(rich)
    assert result.problems[0].startswith(f"line {n}: {kind} skipped: ")
    assert words in result.problems[0]
    lost = len(rich.events) + len(rich.messages)
    assert len(result.store.events) + len(result.store.messages) == lost - 1


def test_lines_of_unknown_types_are_ignored(rich: CaptureStore, rich_file: bytes) -> None:
    lines = lines_of(rich_file)
    lines.insert(3, b'{"type":"bookmark","t":0.5,"label":"here"}\n')
    lines.insert(3, b'{"type":"bookmark","t":0.4}\n')
    end = json.loads(lines[-1])
    end["events"] += 2
    lines[-1] = json.dumps(end).encode() + b"\n"
    result = load(b"".join(lines))
    assert result.complete
    assert result.problems == ["ignored 2 line(s) of type 'bookmark', unknown to this version"]
    assert_same(rich, result.store)


def test_unknown_fields_are_ignored(rich: CaptureStore, rich_file: bytes) -> None:
    data = rich_file
    for n in range(2, len(lines_of(rich_file))):
        data = corrupt(data, n, with_field("added_later", [1, {"x": None}]))
    result = load(data)
    assert result.complete and result.problems == []
    assert_same(rich, result.store)


def test_missing_lines_show_in_the_end_counts(rich: CaptureStore, rich_file: bytes) -> None:
    lines = lines_of(rich_file)
    n = frame_line_numbers(rich_file)[5]
    del lines[n - 1]
    result = load(b"".join(lines))
    assert len(result.store) == len(rich) - 1 and not result.complete
    assert result.problems == [
        f"the end line (line {len(lines)}) counts {len(rich)} frames and "
        f"{len(rich.events) + len(rich.messages)} other lines, but the file holds "
        f"{len(rich) - 1} and {len(rich.events) + len(rich.messages)}: "
        "lines are missing or were added"
    ]


def test_what_follows_the_end_line_is_not_read(rich: CaptureStore, rich_file: bytes) -> None:
    result = load(rich_file + rich_file)
    assert_same(rich, result.store)
    assert not result.complete
    assert result.problems[-1].startswith(f"line {len(lines_of(rich_file)) + 1} comes after")


def test_a_second_session_stops_reading(rich: CaptureStore, rich_file: bytes) -> None:
    lines = lines_of(rich_file)
    result = load(b"".join(lines[:-1]) + rich_file)
    assert len(result.store) == len(rich) and not result.complete
    assert result.problems[-1].startswith(f"line {len(lines)} starts another session")


def test_a_line_that_is_not_an_object_is_skipped(rich: CaptureStore, rich_file: bytes) -> None:
    lines = lines_of(rich_file)
    lines[4] = b"[1, 2, 3]\n"
    result = load(b"".join(lines))
    assert result.problems[0] == "line 5 is not a JSON object; skipped"
    assert not result.complete


def test_problems_are_summarised(rich_file: bytes) -> None:
    lines = lines_of(rich_file)
    data = b"".join(lines[:1] + [b"7\n"] * 80 + lines[1:])
    result = load(data)
    assert len(result.problems) == 50 + 2
    assert result.problems[50] == "... and 30 more problems like these"


def test_a_text_stream_in_the_wrong_encoding(rich_file: bytes, tmp_path: Path) -> None:
    path = tmp_path / "latin.jsonl"
    path.write_bytes(rich_file + b"\xff\xff\n")
    with open(path, encoding="utf-8") as f, pytest.raises(CaptureFormatError, match="not utf-8"):
        read_jsonl(f)
    result = read_jsonl(path)  # read as bytes, only the last line is wrong
    assert result.problems[-1].startswith("line ")


def every_bad_value_of_every_field(data: bytes) -> list[bytes]:
    lines = lines_of(data)
    out = []
    bad_values: list[Any] = [None, "x", -1, 2**64, 1.5, True, [], {}, [None], {"": None}]
    for n in range(2, len(lines)):
        obj = json.loads(lines[n - 1])
        for key in obj:
            for value in bad_values:
                changed = dict(obj)
                changed[key] = value
                out.append(lines[0] + json.dumps(changed).encode() + b"\n" + lines[-1])
    return out


def test_no_value_in_any_field_raises_anything_undocumented() -> None:
    store = rich_store()
    # A small capture with one line of every type keeps this quick.
    small = CaptureStore(store.session)
    seen: set[type] = set()
    for _, ev in store.iter_events():
        if type(ev) not in seen:
            seen.add(type(ev))
            small.add(ev)
    small.add(FramesCaptured(1.0, IN, [store.frame(r) for r in sorted(store.violations)[:1]]))
    small.add(FramesCaptured(1.0, OUT, [store.frame(0)]))
    small.messages[0] = next(iter(store.messages.values()))
    for data in every_bad_value_of_every_field(capture_bytes(small)):
        result = load(data)
        assert isinstance(result, LoadResult)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_random_damage_never_raises_anything_undocumented(data: st.DataObject) -> None:
    original = SMALL_FILE
    edits = data.draw(
        st.lists(
            st.tuples(st.integers(0, len(original) - 1), st.integers(0, 255)),
            min_size=1,
            max_size=4,
        )
    )
    damaged = bytearray(original)
    for at, value in edits:
        damaged[at] = value
    cut = data.draw(st.integers(0, len(damaged)))
    try:
        result = load(bytes(damaged[:cut]))
    except CaptureFormatError as exc:
        assert str(exc)
    else:
        assert isinstance(result.store, CaptureStore)
        assert result.complete or result.problems


def _small_file() -> bytes:
    store = CaptureStore(SessionInfo("ws://x", "client", "2024-01-01T00:00:00Z", 0.0))
    proto = Protocol(Role.CLIENT, mask_key_source=lambda: KEY)
    proto.send_text("abc", fragments=2)
    proto.send_close(1000, "ok")
    sent = proto.events_sent()
    store.add(FramesCaptured(0.5, OUT, [e for e in sent if isinstance(e, Frame)]))
    store.add(MessageCaptured(0.5, OUT, next(e for e in sent if isinstance(e, Message))))
    store.add(StateChanged(0.6, ConnectionState.CLOSED, 1000, "ok", True))
    return capture_bytes(store)


SMALL_FILE = _small_file()


def test_frames_are_plain_columns_after_loading(rich_file: bytes) -> None:
    store = load(rich_file).store
    assert all(type(p) is bytes for p in store.payloads)
    assert dataclasses.is_dataclass(store.events[0])
