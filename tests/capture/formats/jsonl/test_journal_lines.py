"""Tests of inspector.capture.formats.jsonl.journal_lines: the ``frames`` and
``messages`` lines of live journals read back, and a damaged or hostile one is
skipped with a problem naming its line and field, allocating nothing it claims."""

from __future__ import annotations

import base64
import io
import json
from pathlib import Path
from typing import Any

import pytest
from capture.conftest import clean_events, compressed_flood, session_info, write_journal

from inspector.capture.formats.jsonl import iter_lines, read_jsonl
from inspector.capture.store import CaptureStore

SESSION = session_info("ws://journal.test/x")


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"count": 0}, '"count" must be at least 1'),
        ({"last_seq": [1, 2]}, '"last_seq" has 2 values for'),
        ({"opcode": 99}, '"opcode" must hold integers 0-15'),
        ({"opcode": -1}, '"opcode" must hold integers 0-15'),
        ({"compressed": 1}, '"compressed" must hold true or false, not 1'),
        ({"size": 0}, '"size" adds up to 0 bytes but "data_b64" holds'),
        ({"data_b64": "!!"}, '"data_b64" is not valid base64'),
        ({"t": "later"}, '"t" must be a number'),
        # A huge count is refused before any column is expanded to it.
        ({"count": 10**18}, '"last_seq" has'),
        ({"count": 10**30}, '"count" is too large'),
        ({"count": 2**40, "last_seq": 7}, '"last_seq" must be a list of'),
    ],
)
def test_a_bad_messages_line_is_skipped(tmp_path: Path, change: dict[str, Any], words: str) -> None:
    store = compressed_flood()
    path = tmp_path / "j.jsonl"
    write_journal(path, store).close(keep=True)
    lines = path.read_bytes().split(b"\n")
    n = next(i for i, x in enumerate(lines) if x.startswith(b'{"type":"messages"'))
    obj = json.loads(lines[n])
    obj.update(change)
    lines[n] = json.dumps(obj).encode()
    result = read_jsonl(io.BytesIO(b"\n".join(lines)))
    assert not result.complete
    assert result.problems[0].startswith(f"line {n + 1}: messages skipped: ")
    assert words in result.problems[0]
    if "count" not in change:
        assert len(result.problems) == 1  # its count still counts: the end line agrees
    assert len(result.store) == len(store)


def test_a_message_marked_as_text_must_be_utf8(tmp_path: Path) -> None:
    store = compressed_flood()
    path = tmp_path / "j.jsonl"
    write_journal(path, store).close(keep=True)
    lines = path.read_bytes().split(b"\n")
    n = next(i for i, x in enumerate(lines) if x.startswith(b'{"type":"messages"'))
    obj = json.loads(lines[n])
    data = bytearray(base64.b64decode(obj["data_b64"]))
    data[0] = 0xFF
    obj["data_b64"] = base64.b64encode(bytes(data)).decode()
    lines[n] = json.dumps(obj).encode()
    result = read_jsonl(io.BytesIO(b"\n".join(lines)))
    assert "message 1 is marked as text but is not UTF-8" in result.problems[0]


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"count": 3}, '"count" is 3 but "data_b64" holds'),
        ({"data_b64": "gQ=="}, "ends inside the header of frame 1"),
        ({"data_b64": "gQVoZQ=="}, "ends inside the payload of frame 1"),
        ({"data_b64": "not base64!"}, '"data_b64" is not valid base64'),
        ({"count": 0}, '"count" must be at least 1'),
        ({"dir": "sideways"}, '"dir" must be "out" or "in"'),
        ({"seq": 2**63}, '"seq" is too large'),
        ({"seq": 2**63 - 2}, '"seq" or "offset" is too large'),
        ({"offset": 2**63 - 2}, '"seq" or "offset" is too large'),
    ],
)
def test_a_bad_frames_line_is_skipped(tmp_path: Path, change: dict[str, Any], words: str) -> None:
    store = clean_events()
    path = tmp_path / "j.jsonl"
    write_journal(path, store).close(keep=True)
    lines = path.read_bytes().split(b"\n")
    n = next(i for i, x in enumerate(lines) if x.startswith(b'{"type":"frames"'))
    obj = json.loads(lines[n])
    obj.update(change)
    lines[n] = json.dumps(obj).encode()
    result = read_jsonl(io.BytesIO(b"\n".join(lines)))
    assert not result.complete
    assert result.problems[0].startswith(f"line {n + 1}: frames skipped: ")
    assert words in result.problems[0]
    got = result.store
    assert len(got) < len(store)
    # What was skipped left no trace: every column has a value for each frame kept.
    assert {len(col) for col in got._columns()} == {len(got)} == {len(got.payloads)}


def test_a_frames_line_claiming_a_gigabyte_allocates_nothing_of_it(tmp_path: Path) -> None:
    # A header that declares 1 GiB, followed by 3 bytes: skipped, nothing allocated.
    claim = b"\x82\x7f" + (2**30).to_bytes(8, "big") + b"abc"
    line = {
        "type": "frames",
        "t": 0.5,
        "dir": "in",
        "seq": 0,
        "offset": 0,
        "count": 1,
        "data_b64": base64.b64encode(claim).decode(),
    }
    head = iter_lines(CaptureStore(SESSION)).__next__()
    data = (head + "\n" + json.dumps(line) + "\n").encode()
    import tracemalloc

    tracemalloc.start()
    result = read_jsonl(io.BytesIO(data))
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 5 * 2**20
    assert "ends inside the payload of frame 1" in result.problems[0]
    assert len(result.store) == 0


def test_journal_lines_refuse_numbers_json_cannot_hold(tmp_path: Path) -> None:
    store = compressed_flood()
    path = tmp_path / "j.jsonl"
    write_journal(path, store).close(keep=True)
    lines = path.read_text().splitlines()
    frames_at = next(i for i, x in enumerate(lines, 1) if x.startswith('{"type":"frames"'))
    messages_at = next(i for i, x in enumerate(lines, 1) if x.startswith('{"type":"messages"'))
    huge = str(10**400)
    cases = [
        (frames_at, '"t":', '"t":NaN,"x":', 'frames skipped: "t" must be a finite number, not NaN'),
        (frames_at, '"t":', '"t":1e999,"x":', 'frames skipped: "t" must be a finite number'),
        (frames_at, '"seq":', f'"seq":{huge},"x":', 'frames skipped: "seq" is too large'),
        (frames_at, '"count":', f'"count":{huge},"x":', 'frames skipped: "count" is too large'),
        (messages_at, '"t":', '"t":-Infinity,"x":', 'messages skipped: "t" must be a finite'),
        (messages_at, '"count":', f'"count":{huge},"x":', 'messages skipped: "count" is too'),
    ]
    for n, old, new, words in cases:
        changed = list(lines)
        changed[n - 1] = changed[n - 1].replace(old, new, 1)
        result = read_jsonl(io.StringIO("\n".join(changed) + "\n"))
        assert not result.complete
        (problem,) = [p for p in result.problems if p.startswith(f"line {n}:")]
        assert words in problem, problem
        assert len(problem) < 150
