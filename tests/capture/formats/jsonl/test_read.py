"""Tests of inspector.capture.formats.jsonl.read: a capture reads back exactly as it
was written; damaged, hostile or foreign files fail in the documented way, naming
the line and the field, and never with an exception that is not documented."""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import io
import json
from pathlib import Path
from typing import Any

import pytest
from capture.conftest import (
    IN,
    KEY,
    OUT,
    assert_same,
    capture_bytes,
    frame_rows_are_a_prefix,
    received,
    rich_store,
    session_info,
    wire,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from inspector.capture.events import (
    FORMAT_NAME,
    FORMAT_VERSION,
    ConnectionState,
    FramesCaptured,
    HandshakeCaptured,
    MessageCaptured,
    SessionInfo,
    SessionRole,
    SessionSource,
    StateChanged,
)
from inspector.capture.formats.jsonl import (
    CaptureFormatError,
    LoadResult,
    read_jsonl,
    schema,
    write_jsonl,
)
from inspector.capture.store import CaptureStore
from inspector.engine.client import connect
from inspector.engine.options import ConnectOptions
from inspector.engine.server import EchoServer
from inspector.protocol.connection import Protocol
from inspector.protocol.constants import Opcode, Role
from inspector.protocol.events import Message
from inspector.protocol.frames import Frame, FrameBatch, FrameSpec
from inspector.protocol.violations import Rule, Violation


def load(data: bytes, **kwargs: Any) -> LoadResult:
    return read_jsonl(io.BytesIO(data), **kwargs)


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
    real = schema.loads

    def counting(text: Any) -> Any:
        nonlocal calls
        calls += 1
        return real(text)

    monkeypatch.setattr(schema, "loads", counting)
    assert_same(rich, load(rich_file).store)
    lines = rich_file.split(b"\n")[:-1]
    frames_with_violations = len(rich.violations)
    assert calls == len(lines) - len(rich) + frames_with_violations


def test_an_empty_session() -> None:
    store = CaptureStore(
        SessionInfo("ws://x", SessionRole.SERVER, "2024-01-01T00:00:00Z", 0.0, SessionSource.DECODE)
    )
    data = capture_bytes(store)
    assert data.count(b"\n") == 2
    result = load(data)
    assert result.complete and result.lines_read == 2
    assert_same(store, result.store)


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
    store = CaptureStore(SessionInfo("ws://x", SessionRole.CLIENT, "2024-01-01T00:00:00Z", 0.0))
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


def har_text() -> bytes:
    har = {"log": {"version": "1.2", "creator": {"name": "x", "version": "1"}, "entries": []}}
    return json.dumps(har, indent=2).encode()


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"", "the file is empty"),
        (b"\x00\x01\x02\x03" * 1000, "binary data"),
        (b"\xff\xfe\x00h\x00e\x00l\x00l\x00o", "binary data"),
        (b"\xffhello\xfe\n", "not UTF-8 text: byte 0"),
        (b"Lorem ipsum dolor sit amet\n", "the first line is not JSON"),
        (b"1,2,3\n4,5,6\n", "the first line is not JSON"),
        (b'{"type": "frame", "seq": 0}\n', "not a session object"),
        (b'{"type": "frame", "seq": 0, "header_hex": "8100"}\n', "older 'ws-inspector decode"),
        (b'{"type": "message", "opcode": 1}\n', "not a session object"),
        (har_text(), "it looks like a HAR file"),
        (json.dumps({"log": {"entries": []}}).encode(), "it looks like a HAR file"),
        (b'{"type":"session","format":"ws-inspector-capture","version":99}\n', "newer"),
        (b'{"type":"session","format":"pcap","version":1}\n', "'ws-inspector-capture'"),
    ],
)
def test_what_is_not_a_capture_is_refused_in_plain_words(data: bytes, words: str) -> None:
    with pytest.raises(CaptureFormatError, match=words) as info:
        read_jsonl(io.BytesIO(data))
    assert "\n" not in str(info.value)


def small_capture() -> bytes:
    proto = Protocol(Role.SERVER)
    proto.send_text("one")
    proto.send_binary(b"\x00two")
    proto.send_text("three")
    client = Protocol(Role.CLIENT)
    client.receive_data(b"".join(proto.data_to_send()))
    store = CaptureStore(session_info("ws://damage.test/"))
    for e in client.events_received():
        if isinstance(e, FrameBatch):
            store.add(FramesCaptured(0.5, IN, e))
    buf = io.StringIO()
    write_jsonl(store, buf)
    return buf.getvalue().encode()


def damaged(kind: str) -> bytes:
    data = small_capture()
    lines = data.split(b"\n")
    if kind == "cut mid-line":
        return data[: len(data) - len(lines[-2]) - 30]
    if kind == "bad JSON":
        lines[2] = lines[2].replace(b'"seq":', b'"seq":,')
        return b"\n".join(lines)
    if kind == "binary junk":
        return b"\n".join(lines[:2]) + b"\n" + bytes(range(256)) * 20
    if kind == "wrong version":
        head = json.loads(lines[0])
        head["version"] = 7
        return json.dumps(head).encode() + b"\n" + b"\n".join(lines[1:])
    if kind == "a 1 GB claim":
        # A frame whose header declares 1 GiB and whose line holds 4 bytes of it.
        obj = json.loads(lines[1])
        obj["header_hex"] = "827f" + (2**30).to_bytes(8, "big").hex()
        obj["payload_b64"] = base64.b64encode(b"abcd").decode()
        lines[1] = json.dumps(obj).encode()
        return b"\n".join(lines)
    if kind == "a 1 GB line":
        return b"\n".join(lines[:2]) + b'\n{"type":"frame","payload_b64":"' + b"A" * 3_000_000
    raise AssertionError(kind)


@pytest.mark.parametrize(
    ("kind", "words"),
    [
        ("cut mid-line", "is cut off: the file ends in the middle of it"),
        ("bad JSON", "line 3 is not valid JSON"),
        ("binary junk", "line 3 is not valid JSON"),
        ("a 1 GB line", "line 3 is longer than 2097152 bytes"),
    ],
)
def test_damaged_captures_load_as_far_as_they_go(kind: str, words: str) -> None:
    result = read_jsonl(io.BytesIO(damaged(kind)), max_line_bytes=2 * 2**20)
    assert not result.complete
    assert words in result.problems[-1]
    assert len(result.store) >= 1


def test_a_wrong_version_is_refused() -> None:
    with pytest.raises(CaptureFormatError, match="format version 7, newer than this program"):
        read_jsonl(io.BytesIO(damaged("wrong version")))


def test_a_line_claiming_a_gigabyte_payload_costs_nothing() -> None:
    import tracemalloc

    data = damaged("a 1 GB claim")
    tracemalloc.start()
    result = read_jsonl(io.BytesIO(data))
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 10 * 2**20
    frame = result.store.frame(0)
    assert frame.length == 2**30 and frame.payload == b"abcd" and frame.truncated
    assert result.complete  # the file is as written: a frame not kept whole


def test_a_live_session_saved_and_opened_keeps_every_field(tmp_path: Path) -> None:
    async def main() -> CaptureStore:
        async with EchoServer("127.0.0.1", 0) as server:
            conn = await connect(server.url, ConnectOptions())
            conn.send_text("plain")
            conn.send_text("fragmented " * 100, fragments=4)
            conn.send_binary(bytes(range(256)) * 40)
            conn.send_ping(b"ping")
            await asyncio.sleep(0.2)
            await conn.close(4001, "bye")
            assert conn.store is not None
            return conn.store

    store = asyncio.run(asyncio.wait_for(main(), 20))
    assert any(c.message.compressed for c in store.messages.values())
    path = tmp_path / "live.jsonl"
    write_jsonl(store, path)
    result = read_jsonl(path)
    assert result.complete and result.problems == []
    assert_same(store, result.store)


# ------------------------------------------------------ numbers JSON has no form for

HUGE = 10**400  # 401 digits: more than a float holds, less than Python's int limit
BAD_NUMBERS = ["NaN", "Infinity", "-Infinity", "1e999", str(HUGE), f"-{HUGE}"]


def strict_loads(text: str | bytes) -> Any:
    """json.loads that refuses what JSON (RFC 8259) has no form for."""

    def refuse(token: str) -> Any:
        raise ValueError(f"{token} is not JSON")

    return json.loads(text, parse_constant=refuse)


def small_store() -> CaptureStore:
    store = CaptureStore(session_info())
    store.add(StateChanged(0.0, ConnectionState.OPEN))  # line 2
    store.add(FramesCaptured(0.5, IN, received(wire(FrameSpec(Opcode.TEXT, b"hello")) * 3)[0]))
    store.add(StateChanged(0.9, ConnectionState.CLOSED, 1000, "bye", True))  # line 6
    store.add(
        HandshakeCaptured(1.0, IN, b"HTTP/1.1 101 OK\r\n\r\n", "HTTP/1.1 101 OK", (),
                          timings=(("dns", 0.001),))
    )  # fmt: skip
    return store


def capture_lines(store: CaptureStore) -> list[str]:
    buf = io.StringIO()
    write_jsonl(store, buf)
    return buf.getvalue().splitlines()


def with_text(lines: list[str], n: int, old: str, new: str) -> bytes:
    """The file with ``old`` replaced by ``new`` in line ``n`` (from 1), as raw text:
    NaN and huge numbers are not what json.dumps writes."""
    assert old in lines[n - 1], lines[n - 1]
    changed = list(lines)
    changed[n - 1] = changed[n - 1].replace(old, new, 1)
    return ("\n".join(changed) + "\n").encode()


@pytest.mark.parametrize("bad", BAD_NUMBERS)
def test_a_bad_number_in_t_skips_the_line_and_says_where(bad: str) -> None:
    lines = capture_lines(small_store())
    for n, kind in ((3, "frame"), (2, "state")):
        result = load(with_text(lines, n, '"t":', f'"t":{bad},"x":'))
        assert not result.complete
        (problem,) = [p for p in result.problems if p.startswith(f"line {n}:")]
        assert problem.startswith(f'line {n}: {kind} skipped: "t" must be a finite number, not ')
        assert len(problem) < 150
        # Nothing that is not JSON goes back out.
        for line in capture_lines(result.store):
            strict_loads(line)


@pytest.mark.parametrize(
    ("n", "field", "value", "words"),
    [
        (3, '"seq":0', f'"seq":{HUGE}', '"seq" is too large'),
        (3, '"offset":0', f'"offset":{HUGE}', '"offset" is too large'),
        (6, '"code":1000', f'"code":{HUGE}', '"code" is too large'),
        (6, '"code":1000', '"code":70000', '"code" is too large (the most is 65535)'),
    ],
)
def test_an_integer_too_large_for_its_field_is_refused(
    n: int, field: str, value: str, words: str
) -> None:
    result = load(with_text(capture_lines(small_store()), n, field, value))
    assert not result.complete
    (problem,) = [p for p in result.problems if p.startswith(f"line {n}:")]
    assert words in problem and "skipped" in problem and len(problem) < 150


@pytest.mark.parametrize("bad", BAD_NUMBERS)
def test_bad_numbers_in_the_session_line_and_in_timings(bad: str) -> None:
    lines = capture_lines(small_store())
    result = load(with_text(lines, 1, '"started_unix":1714564800.0', f'"started_unix":{bad}'))
    assert result.store.session.started_unix == 0.0
    assert any(
        p.startswith('line 1: session "started_unix" must be a finite number')
        for p in result.problems
    )
    n = next(i for i, x in enumerate(lines, 1) if '"type":"handshake"' in x)
    timing = load(with_text(lines, n, '"dns":0.001', f'"dns":{bad}'))
    (problem,) = [p for p in timing.problems if p.startswith(f"line {n}:")]
    assert 'timing "dns" must be a finite number' in problem


def test_an_integer_of_thousands_of_digits_skips_its_line() -> None:
    lines = capture_lines(small_store())
    result = load(with_text(lines, 2, '"t":0.0', '"t":' + "9" * 5000))
    assert len(result.store) == 3 and len(result.store.events) == 2  # the rest is read
    assert result.problems[0] == "line 2 holds an integer thousands of digits long; skipped"
    assert not result.complete


# ----------------------------------------------------------- handshake problems


def test_old_string_problems_read_as_handshake_invalid() -> None:
    store = CaptureStore(session_info())
    store.add(HandshakeCaptured(0.1, IN, b"HTTP/1.1 200 OK\r\n\r\n", "HTTP/1.1 200 OK", ()))
    lines = capture_lines(store)
    old = with_text(lines, 2, '"problems":[]', '"problems":["status 200 OK, expected 101"]')
    result = load(old)
    assert result.complete and result.problems == []
    hs = result.store.handshake(IN)
    assert hs is not None
    assert hs.problems == (Violation(Rule.HANDSHAKE_INVALID, "status 200 OK, expected 101"),)
    future = with_text(
        lines, 2, '"problems":[]',
        '"problems":[{"rule":"handshake-from-the-future","message":"odd","offset":3}]',
    )  # fmt: skip
    result = load(future)
    hs = result.store.handshake(IN)
    assert hs is not None
    assert hs.problems == (Violation(Rule.HANDSHAKE_INVALID, "odd", 3),)
    assert result.problems == [
        "line 2: handshake problem of rule 'handshake-from-the-future', unknown to this "
        "version, read as 'handshake-invalid'"
    ]
    bad = load(with_text(lines, 2, '"problems":[]', '"problems":[{"rule":"x"}]'))
    assert bad.problems[0] == 'line 2: handshake skipped: "message" is missing'


# ------------------------------------------------------------------ the budget


def test_a_capture_larger_than_the_budget_loads_capped_and_says_so() -> None:
    store = CaptureStore(session_info(), max_payload_bytes=None)
    big = FrameSpec(Opcode.BINARY, b"\xab" * 9000)
    store.add(FramesCaptured(0.5, IN, received(wire(big, big, big))[0]))
    data = capture_bytes(store)
    assert load(data).complete  # the default budget holds it
    result = load(data, max_payload_bytes=10_000)
    assert not result.complete and result.store.capped_at_row == 1
    assert result.problems == [
        "the capture holds more than the capture budget of 10000 bytes of payload: from "
        "frame 2 on, frames and messages keep only their first 4096 bytes (2 were cut)"
    ]
    assert [len(p) for p in result.store.payloads] == [9000, 4096, 4096]
