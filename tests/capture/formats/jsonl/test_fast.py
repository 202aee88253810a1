"""Frame lines read in bulk (inspector.capture.formats.jsonl.fast): the same store,
the same problems, as reading line by line."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from capture.conftest import assert_same, rich_store, session_info

from inspector.capture.events import ConnectionState, Direction, FramesCaptured, StateChanged
from inspector.capture.formats.jsonl import LoadResult, read_jsonl, write_jsonl
from inspector.capture.formats.jsonl import fast as fast_module
from inspector.capture.formats.jsonl.fast import FAST_JSON, read_frame_lines
from inspector.capture.store import CaptureStore
from inspector.protocol.connection import Protocol
from inspector.protocol.constants import Role
from inspector.protocol.frames import Frame, FrameBatch

pytestmark = pytest.mark.skipif(FAST_JSON is None, reason="neither msgspec nor orjson")


def _flood_store(frames: int = 10_000) -> CaptureStore:
    """Both directions interleaved: unmasked frames received in batches, masked ones
    sent, a 16-bit length now and then, and state events in between."""
    store = CaptureStore(session_info())
    store.add(StateChanged(0.0, ConnectionState.OPEN))
    server, client = Protocol(Role.SERVER), Protocol(Role.CLIENT)
    t = 0.0
    while len(store) < frames:
        t += 0.25
        for i in range(300):
            server.send_text(f'{{"tick":{len(store) + i}}}' + ("x" * 200 if i == 7 else ""))
        client.receive_data(b"".join(server.data_to_send()))
        for event in client.events_received():
            if isinstance(event, FrameBatch):
                store.add(FramesCaptured(t, Direction.IN, event))
        client.send_text(f"order {len(store)}")
        client.data_to_send()
        sent = [e for e in client.events_sent() if isinstance(e, Frame)]
        store.add(FramesCaptured(t, Direction.OUT, sent))
    store.add(StateChanged(t, ConnectionState.CLOSED, 1000, "", True))
    return store


def _both_ways(data: bytes, monkeypatch: pytest.MonkeyPatch) -> tuple[LoadResult, LoadResult]:
    fast = read_jsonl(io.BytesIO(data))
    with monkeypatch.context() as m:
        m.setattr(fast_module, "FAST_JSON", None)  # read.py looks it up per read
        slow = read_jsonl(io.BytesIO(data))
    return fast, slow


def _file(store: CaptureStore, tmp_path: Path) -> bytes:
    path = tmp_path / "capture.jsonl"
    write_jsonl(store, path)
    return path.read_bytes()


def test_a_flood_reads_in_bulk_into_the_same_store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = _flood_store()
    data = _file(original, tmp_path)
    taken = 0
    real = CaptureStore.extend_frames

    def counting(self: CaptureStore, *args: object) -> bool:
        nonlocal taken
        done = real(self, *args)  # type: ignore[arg-type]
        taken += done
        return done

    monkeypatch.setattr(CaptureStore, "extend_frames", counting)
    fast, slow = _both_ways(data, monkeypatch)
    assert taken >= 2  # most blocks went in bulk
    for result in (fast, slow):
        assert result.complete and result.problems == []
        assert result.lines_read == data.count(b"\n")
        assert_same(original, result.store)


def test_a_rich_session_reads_the_same_from_a_text_stream(tmp_path: Path) -> None:
    original = rich_store()
    data = _file(original, tmp_path)
    result = read_jsonl(io.StringIO(data.decode("utf-8")))
    assert result.complete and result.problems == []
    assert_same(original, result.store)


@pytest.mark.parametrize(
    ("old", "new"),
    [
        (b'"seq":5,', b'"seq":true,'),  # a bool is no integer
        (b'"seq":5,', b'"seq":-5,'),
        (b'"seq":5,', b'"seq":99999999999999999999,'),
        (b'"dir":"in"', b'"dir":"up"'),
        (b'"payload_b64":"', b'"payload_b64":"!'),
        (b'"violations":[]', b'"violations":[{"rule":"no-such-rule","message":"m"}]'),
    ],
)
def test_a_bad_line_in_a_block_is_reported_as_line_by_line(
    old: bytes, new: bytes, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = _file(_flood_store(3000), tmp_path)
    lines = data.split(b"\n")
    at = next(i for i, x in enumerate(lines) if b'"dir":"in","seq":5,' in x)
    assert old in lines[at]
    lines[at] = lines[at].replace(old, new, 1)
    fast, slow = _both_ways(b"\n".join(lines), monkeypatch)
    assert fast.problems == slow.problems != []
    assert fast.complete is slow.complete is False
    assert_same(slow.store, fast.store)


def test_a_line_cut_in_the_middle_stops_both_ways_at_the_same_place(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = _file(_flood_store(3000), tmp_path)
    lines = data.split(b"\n")
    lines[1500] = lines[1500][:40]
    fast, slow = _both_ways(b"\n".join(lines), monkeypatch)
    assert fast.problems == slow.problems
    assert "line 1501 is not valid JSON" in fast.problems[0]
    assert fast.lines_read == slow.lines_read == 1500
    assert_same(slow.store, fast.store)


def test_a_block_the_bulk_reader_cannot_take_leaves_the_store_untouched() -> None:
    store = CaptureStore(session_info())
    line = (
        '{{"type":"frame","t":0.5,"dir":"in","seq":{seq},"offset":{off},"header_hex":"{h}",'
        '"payload_b64":"{p}","violations":[]}}'
    )
    plain = line.format(seq=0, off=0, h="8102", p="aGk=")
    fragment = line.format(seq=1, off=4, h="0103", p="YWJj")  # FIN clear: a fragment
    assert not read_frame_lines(store, plain + "\n" + fragment, 2)
    assert len(store) == 0 and store.payloads == []
    # One record across two lines (a newline where JSON allows none) is no run of two.
    split = plain.replace('"t":0.5', '"t":\n0.5')
    assert not read_frame_lines(store, split.encode(), 2) and len(store) == 0
    assert read_frame_lines(store, plain.encode(), 1)
    assert store.frame(0).payload == b"hi" and store.direction(0) is Direction.IN


@pytest.mark.parametrize(
    "text",
    [
        '{"a": [1, 2.5, "x\\u00e9", null, true, {"b": -3}]}',
        '{"big": 123456789012345678901234567890}',  # past 64 bits: kept exact
        '{"n": NaN, "i": -Infinity, "huge": 1e999}',  # the standard decoder's marks
        '{"lone": "\\ud800"}',
        '{"dup": 1, "dup": 2}',
    ],
)
def test_loads_gives_what_the_standard_decoder_gives(text: str) -> None:
    from inspector.capture.formats.jsonl import fast, schema

    assert repr(fast.loads(text)) == repr(schema.loads(text))


def test_loads_raises_what_the_standard_decoder_raises() -> None:
    import json

    from inspector.capture.formats.jsonl import fast

    with pytest.raises(json.JSONDecodeError, match="Expecting"):
        fast.loads('{"a": ')


def _lines_of(store: CaptureStore, tmp_path: Path) -> list[bytes]:
    return _file(store, tmp_path).split(b"\n")


def test_other_lines_among_frame_lines_keep_their_place_and_numbers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    lines = _lines_of(_flood_store(6000), tmp_path)
    state = b'{"type":"state","t":1.0,"state":"open","code":null,"reason":null,"clean":null}'
    # Other lines every so often (runs long and short, one at a block's first line),
    # a blank line and a line with a Windows newline.
    mixed = lines[:2]
    for i, line in enumerate(lines[2:-2]):
        mixed.append(line + (b"\r" if i == 700 else b""))
        if i % 997 in (0, 3, 5) or i == 2500:
            mixed.append(state if i != 2500 else b"")
    end = b'{"type":"end","frames":%d,"events":%d}' % (
        len(lines) - 5,
        2 + sum(1 for x in mixed if x == state),
    )
    data = b"\n".join([*mixed, end, b""])
    fast, slow = _both_ways(data, monkeypatch)
    assert slow.complete and slow.problems == []
    assert (fast.complete, fast.problems, fast.lines_read) == (True, [], slow.lines_read)
    assert_same(slow.store, fast.store)
    # A bad line among them is reported with its own number, as line by line.
    at = next(i for i, x in enumerate(mixed) if i > 3000 and x.startswith(b'{"type":"frame"'))
    mixed[at] = mixed[at].replace(b'"seq":', b'"seq":-', 1)
    fast, slow = _both_ways(b"\n".join([*mixed, end, b""]), monkeypatch)
    assert fast.problems == slow.problems
    assert f"line {at + 1}: frame skipped" in fast.problems[0]
    assert_same(slow.store, fast.store)


def test_frame_lines_after_the_end_line_are_not_read_in_bulk(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    lines = _lines_of(_flood_store(3000), tmp_path)
    data = b"\n".join([*lines[:1000], lines[-2], *lines[1000:]])
    fast, slow = _both_ways(data, monkeypatch)
    assert fast.problems == slow.problems
    assert "comes after the end line" in fast.problems[0]
    assert fast.lines_read == slow.lines_read == 1001
    assert_same(slow.store, fast.store)


def test_a_frame_line_broken_by_a_raw_newline_stops_both_ways_at_the_same_place(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A writer that put a newline inside a string, unescaped: with a comma for the
    # newline the two halves would be one valid record, the line count says no.
    lines = _lines_of(_flood_store(3000), tmp_path)
    at = 1200
    head, tail = lines[at].split(b'"payload_b64":"', 1)
    lines[at : at + 1] = [head + b'"payload_b64":"', tail]
    fast, slow = _both_ways(b"\n".join(lines), monkeypatch)
    assert fast.problems == slow.problems
    assert f"line {at + 1} is not valid JSON" in fast.problems[0]
    assert_same(slow.store, fast.store)


def test_frame_lines_with_their_fields_in_another_order_read_the_same(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import json

    lines = _lines_of(_flood_store(3000), tmp_path)
    # Another writer's order (type last) on every other line.
    resorted = [
        json.dumps(dict(reversed(json.loads(x).items()))).encode() if i % 2 and x else x
        for i, x in enumerate(lines)
    ]
    fast, slow = _both_ways(b"\n".join(resorted), monkeypatch)
    assert fast.complete and fast.problems == slow.problems == []
    assert_same(slow.store, fast.store)


def test_a_frame_header_of_256_bytes_or_more_is_a_problem_not_a_crash(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The bulk reader counted header lengths in bytes (0-255): a longer header_hex
    # raised ValueError out of read_jsonl instead of being skipped as line by line.
    lines = _lines_of(_flood_store(3000), tmp_path)
    at = next(i for i, x in enumerate(lines) if x.startswith(b'{"type":"frame"') and i > 500)
    head, rest = lines[at].split(b'"header_hex":"', 1)
    lines[at] = head + b'"header_hex":"' + rest.replace(b'"', b"0000" * 150 + b'"', 1)
    fast, slow = _both_ways(b"\n".join(lines), monkeypatch)
    assert fast.problems == slow.problems
    assert f"line {at + 1}: frame skipped: not a frame header" in fast.problems[0]
    assert_same(slow.store, fast.store)
