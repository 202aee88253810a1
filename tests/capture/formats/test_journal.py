"""Tests of inspector.capture.formats.journal: what the journal writer writes reads
back as the session, within the same capture budget as the store, and journals are
found, kept and deleted as the lifecycle says. (The engine's journal, which keeps
one up to date on a live connection, is tested in tests/engine/test_journal.py.)"""

from __future__ import annotations

import io
import json
import stat
from pathlib import Path
from typing import Any

import pytest

from capture.conftest import (
    Recording,
    assert_same,
    capture_text,
    clean_events,
    compressed_flood,
    frame_rows_are_a_prefix,
    rich_store,
    wire,
    write_journal,
)
from inspector.capture.events import (
    ConnectionState,
    Direction,
    FramesCaptured,
    MessageCaptured,
    SessionInfo,
    SessionRole,
    StateChanged,
)
from inspector.capture.formats import journal as journal_mod
from inspector.capture.formats.journal import (
    RECOVERED_NOTE,
    JournalWriter,
    RecoverableJournal,
    data_dir,
    find_recoverable,
    journal_dir,
)
from inspector.capture.formats.jsonl import JOURNAL_UNFINISHED, iter_lines, read_jsonl
from inspector.capture.store import (
    CAPPED_PAYLOAD,
)
from inspector.protocol.connection import Protocol
from inspector.protocol.constants import Opcode, Role
from inspector.protocol.deflate import DeflateParams, PerMessageDeflate
from inspector.protocol.events import Message
from inspector.protocol.frames import Frame, FrameBatch, FrameSpec
from inspector.protocol.parser import FrameParser

OUT, IN = Direction.OUT, Direction.IN
SESSION = SessionInfo(
    "ws://journal.test/x", SessionRole.CLIENT, "2024-05-01T12:00:00+00:00", 1714564800.0
)


def journal_lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(x) for x in path.read_bytes().split(b"\n") if x.strip()]


def rich_events() -> Recording:
    """The capture format tests' richest session (violations, truncation, deflate,
    every event type), with the events that made it."""
    store = rich_store(Recording)
    assert isinstance(store, Recording)
    return store


# ------------------------------------------------------------------- what it writes


@pytest.mark.parametrize("compact", [True, False])
def test_a_journal_reads_back_as_the_session(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, compact: bool
) -> None:
    for n, store in enumerate((rich_events(), clean_events())):
        path = tmp_path / f"{n}-{compact}.jsonl"
        write_journal(path, store, compact=compact).close(keep=True)
        result = read_jsonl(path)
        assert result.kind == "journal"
        assert result.problems == [] and result.complete
        assert_same(store, result.store)
        # Saved again it is the same capture, byte for byte.
        assert capture_text(result.store) == capture_text(store)


def test_compact_journals_write_a_line_per_socket_read(tmp_path: Path) -> None:
    store = clean_events()
    path = tmp_path / "j.jsonl"
    write_journal(path, store).close(keep=True)
    lines = journal_lines(path)
    kinds = [o["type"] for o in lines]
    assert kinds[0] == "session" and lines[0]["journal"] is True
    assert kinds[-1] == "end" and "frame" not in kinds  # no violations: no frame line
    batches = [e for e in store.given if isinstance(e, FramesCaptured)]
    assert kinds.count("frames") == len(batches)
    assert sum(o["count"] for o in lines if o["type"] == "frames") == len(store)
    assert lines[-1] == {
        "type": "end",
        "frames": len(store),
        "events": len(store.events) + len(store.messages),
    }
    # The wire bytes, in base64: a third more than the traffic, not twenty times it.
    wire = sum(store.counters(d).wire_bytes for d in Direction)
    assert path.stat().st_size < wire * 1.5 + 20_000


def test_full_journals_write_the_capture_formats_own_frame_lines(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    store = rich_events()
    path = tmp_path / "j.jsonl"
    write_journal(path, store, compact=False).close(keep=True)
    written = [x for x in path.read_text().split("\n") if x.startswith('{"type":"frame"')]
    expected = [x for x in iter_lines(store) if x.startswith('{"type":"frame"')]
    assert written == expected


def test_frames_with_violations_are_written_as_frame_lines(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    store = rich_events()
    path = tmp_path / "j.jsonl"
    write_journal(path, store).close(keep=True)
    frame_lines = [o for o in journal_lines(path) if o["type"] == "frame"]
    assert frame_lines and any(o["violations"] for o in frame_lines)
    assert any(o["truncated"] for o in frame_lines)


def test_a_server_journal_keeps_masked_frames_as_they_came(tmp_path: Path) -> None:
    store = clean_events(Role.SERVER)
    path = tmp_path / "server.jsonl"
    write_journal(path, store).close(keep=True)
    lines = journal_lines(path)
    assert any(o["type"] == "frames" and o["dir"] == "in" for o in lines)
    result = read_jsonl(path)
    assert result.complete
    assert_same(store, result.store)
    rows = [r for r in range(len(store)) if store.direction(r) is IN]
    assert all(result.store.frame(r).masked for r in rows)


def test_sent_frames_that_are_not_consecutive_are_split(tmp_path: Path) -> None:
    proto = Protocol(Role.CLIENT, mask_key_source=lambda: b"abcd")
    proto.send_text("one")
    proto.send_text("two")
    proto.send_raw(b"garbage in between")
    proto.send_text("three")
    frames = [e for e in proto.events_sent() if isinstance(e, Frame)]
    store = Recording(SESSION)
    store.add(FramesCaptured(0.5, OUT, frames))
    path = tmp_path / "j.jsonl"
    write_journal(path, store).close(keep=True)
    lines = [o for o in journal_lines(path) if o["type"] == "frames"]
    assert [(o["seq"], o["count"]) for o in lines] == [(0, 2), (2, 1)]
    assert_same(store, read_jsonl(path).store)


def test_messages_of_one_plain_frame_are_not_written(tmp_path: Path) -> None:
    writer = JournalWriter(tmp_path / "j.jsonl", SESSION)
    writer.add(MessageCaptured(0.1, IN, Message(1, b"hi", "hi", 0, 0, 2)))
    writer.add(MessageCaptured(0.1, IN, Message(1, b"hi", "hi", 1, 2, 2, frame_count=2)))
    writer.close(keep=True)
    kinds = [o["type"] for o in journal_lines(tmp_path / "j.jsonl")]
    assert kinds == ["session", "messages", "end"]


def test_compressed_messages_go_in_columns(tmp_path: Path) -> None:
    store = compressed_flood()
    assert len(store.messages) > 3000
    path = tmp_path / "deflate.jsonl"
    write_journal(path, store).close(keep=True)
    lines = journal_lines(path)
    kinds = {o["type"] for o in lines}
    assert "message" not in kinds and "messages" in kinds
    batches = [o for o in lines if o["type"] == "messages"]
    assert sum(o["count"] for o in batches) == len(store.messages)
    typical = max(batches, key=lambda o: o["count"])
    assert typical["count"] > 50
    # Columns whose values are all the same are written once.
    assert typical["opcode"] == 1 and typical["compressed"] is True
    assert typical["truncated"] is False and typical["frame_count"] == 1
    assert typical["text"] is True and "first_seq" not in typical
    assert isinstance(typical["last_seq"], list) and isinstance(typical["size"], list)
    assert any("first_seq" in o for o in batches)  # the fragmented message
    result = read_jsonl(path)
    assert result.complete and result.problems == []
    assert_same(store, result.store)


def test_replay_writes_what_the_store_already_has(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    store = rich_events()
    writer = JournalWriter(tmp_path / "j.jsonl", store.session)
    writer.replay(store)
    writer.close(keep=True)
    result = read_jsonl(tmp_path / "j.jsonl")
    assert result.complete
    assert_same(store, result.store)


# ------------------------------------------------------------- unfinished journals


def test_a_journal_without_its_end_line_is_a_session_that_did_not_finish(
    tmp_path: Path,
) -> None:
    store = clean_events()
    path = tmp_path / "j.jsonl"
    writer = write_journal(path, store, finish=False)
    result = read_jsonl(path)
    assert result.kind == "journal" and not result.complete
    assert result.problems == [JOURNAL_UNFINISHED]
    assert_same(store, result.store)
    writer.abandon()
    assert path.exists()


def test_a_journal_cut_in_the_middle_of_a_line(tmp_path: Path) -> None:
    store = clean_events()
    path = tmp_path / "j.jsonl"
    write_journal(path, store, finish=False).abandon()
    data = path.read_bytes()
    path.write_bytes(data[: len(data) - 20_000])
    result = read_jsonl(path)
    assert not result.complete and 0 < len(result.store) < len(store)
    assert "is cut off" in result.problems[-2]
    assert result.problems[-1] == JOURNAL_UNFINISHED
    frame_rows_are_a_prefix(store, result.store)


def test_an_ordinary_capture_cut_short_still_says_so_in_its_own_words(tmp_path: Path) -> None:
    store = clean_events()
    text = capture_text(store)
    lines = text.split("\n")
    result = read_jsonl(io.StringIO("\n".join(lines[:-2]) + "\n"))
    assert result.kind == "capture"
    assert "without its end line: the capture may have been cut short" in result.problems[-1]


# ----------------------------------------------------------------------- lifecycle


def test_close_deletes_the_journal_and_keep_keeps_it(tmp_path: Path) -> None:
    writer = JournalWriter.create(tmp_path / "j", SESSION)
    assert writer.path.exists()
    writer.close()
    assert not writer.path.exists()
    kept = JournalWriter.create(tmp_path / "j", SESSION)
    kept.close(keep=True)
    assert journal_lines(kept.path)[-1]["type"] == "end"
    with JournalWriter.create(tmp_path / "j", SESSION) as scoped:
        pass
    assert not scoped.path.exists()


def test_a_journal_that_cannot_be_finished_is_never_deleted(tmp_path: Path) -> None:
    writer = JournalWriter.create(tmp_path, SESSION)
    writer.add(StateChanged(0.0, ConnectionState.OPEN))

    class Full(io.RawIOBase):
        def write(self, data: Any) -> int:
            raise OSError(28, "No space left on device")

    writer._file = Full()  # type: ignore[assignment]
    with pytest.raises(OSError, match="No space"):
        writer.close()
    assert writer.path.exists() and writer.closed
    assert [j.path for j in find_recoverable(directory=tmp_path)] == [writer.path]


def test_a_failed_flush_keeps_the_buffer(tmp_path: Path) -> None:
    writer = JournalWriter(tmp_path / "j.jsonl", SESSION)
    real = writer._file
    writer.add(StateChanged(0.0, ConnectionState.OPEN))

    class Once(io.RawIOBase):
        def write(self, data: Any) -> int:
            raise OSError(28, "No space left on device")

    writer._file = Once()  # type: ignore[assignment]
    with pytest.raises(OSError):
        writer.flush()
    writer._file = real
    writer.close(keep=True)
    assert [o["type"] for o in journal_lines(writer.path)] == ["session", "state", "end"]


def test_journals_are_private(tmp_path: Path) -> None:
    writer = JournalWriter.create(tmp_path / "new" / "journal", SESSION)
    assert stat.S_IMODE(writer.path.stat().st_mode) == 0o600
    assert stat.S_IMODE(writer.path.parent.stat().st_mode) == 0o700
    writer.close()


def test_names_are_unique_and_readable(tmp_path: Path) -> None:
    session = SessionInfo("wss://user:pw@chat.example.com:8443/a/b", SessionRole.CLIENT, "", 1e9)
    paths = [JournalWriter.create(tmp_path, session).path for _ in range(3)]
    assert len(set(paths)) == 3
    assert all("chat.example.com_8443" in p.name and "pw" not in p.name for p in paths)
    assert all(p.suffix == ".jsonl" for p in paths)


def test_where_journals_live(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("WS_INSPECTOR_DATA_DIR", raising=False)
    monkeypatch.delenv("XDG_DATA_HOME", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert journal_dir() == tmp_path / "home" / ".local" / "share" / "ws-inspector" / "journal"
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert journal_dir() == tmp_path / "xdg" / "ws-inspector" / "journal"
    monkeypatch.setenv("XDG_DATA_HOME", "relative/ignored")
    assert data_dir() == tmp_path / "home" / ".local" / "share" / "ws-inspector"
    monkeypatch.setenv("WS_INSPECTOR_DATA_DIR", str(tmp_path / "env"))
    assert journal_dir() == tmp_path / "env" / "journal"
    assert journal_dir(tmp_path / "param") == tmp_path / "param" / "journal"


def test_find_recoverable_lists_only_journals_nobody_writes(tmp_path: Path) -> None:
    live = JournalWriter.create(tmp_path, SESSION)
    crashed = JournalWriter.create(tmp_path, SESSION)
    crashed.add(StateChanged(0.0, ConnectionState.OPEN))
    crashed.flush()
    crashed.abandon()  # as a kill leaves it: no end line, nobody holding it
    ended = JournalWriter.create(tmp_path, SESSION)
    ended.finish()
    ended.abandon()  # the session ended, the program died before it was saved
    (tmp_path / "notes.txt").write_text("not a journal")
    (tmp_path / ".hidden.jsonl").write_text("{}")
    (tmp_path / "broken.jsonl").write_bytes(b"\x00\x01 junk")
    found = {j.path.name: j for j in find_recoverable(directory=tmp_path)}
    assert set(found) == {crashed.path.name, ended.path.name, "broken.jsonl"}
    assert not found[crashed.path.name].finished and found[ended.path.name].finished
    assert found[crashed.path.name].session == SESSION
    assert found["broken.jsonl"].session is None
    assert found[crashed.path.name].size == crashed.path.stat().st_size
    live.close()
    assert find_recoverable(directory=tmp_path / "missing") == []


def test_find_recoverable_respects_a_lock_held_elsewhere(tmp_path: Path) -> None:
    writer = JournalWriter.create(tmp_path, SESSION)
    journal_mod._OPEN.clear()  # as if the writer were another process: only flock says
    try:
        assert find_recoverable(directory=tmp_path) == []
    finally:
        writer.close()


def test_load_discard_and_archive(tmp_path: Path) -> None:
    store = clean_events()
    write_journal(tmp_path / "a.jsonl", store, finish=False).abandon()
    write_journal(tmp_path / "b.jsonl", store, finish=False).abandon()
    first, second = sorted(find_recoverable(directory=tmp_path), key=lambda j: j.path.name)
    result = first.load()
    assert not result.complete and result.problems == [JOURNAL_UNFINISHED]
    assert result.store.session.notes[-1] == RECOVERED_NOTE
    assert len(result.store) == len(store)
    first.discard()
    assert not first.path.exists()
    moved = second.archive()
    assert moved == tmp_path / "archive" / "b.jsonl" and moved.exists()
    assert find_recoverable(directory=tmp_path) == []
    again = RecoverableJournal(moved, None, 0, 0.0)
    assert again.archive() != moved  # archiving twice keeps both


# ------------------------------------------------------------------- the budget


def endless_fragments(n: int, size: int, budget: int | None) -> Recording:
    """A message that never ends (a TEXT frame without FIN, then continuation frames
    of ``size`` bytes, 16 per socket read), recorded by a store with ``budget``."""
    store = Recording(SESSION, max_payload_bytes=budget)
    parser = FrameParser(Role.SERVER, max_frame_size=size + 1)
    store.add(StateChanged(0.0, ConnectionState.OPEN))
    store.add(
        FramesCaptured(0.0, IN, parser.feed(wire(FrameSpec(Opcode.TEXT, b"s" * size, fin=False))))
    )
    cont = wire(FrameSpec(Opcode.CONT, b"c" * size, fin=False))
    for k in range(1, n, 16):
        store.add(FramesCaptured(k / 1000, IN, parser.feed(cont * min(16, n - k))))
    return store


@pytest.mark.slow  # big data
@pytest.mark.parametrize("compact", [True, False])
def test_a_journal_of_an_endless_stream_keeps_to_the_budget(tmp_path: Path, compact: bool) -> None:
    budget, size, n = 2**20, 64 * 1024, 400  # 25 MiB offered
    store = endless_fragments(n, size, budget)
    assert store.capped_at_row == budget // size
    path = tmp_path / "endless.jsonl"
    writer = JournalWriter(path, SESSION, compact=compact, max_payload_bytes=budget)
    for event in store.given:
        writer.add(event)
    writer.close(keep=True)
    assert writer.budget.held == store.held_payload_bytes
    # Of what the store keeps: base64 (4/3), the text of a text frame again (1), and
    # a line of JSON around each frame.
    on_disk = path.stat().st_size
    assert on_disk < (budget + n * CAPPED_PAYLOAD) * 7 / 3 + n * 600
    assert on_disk < n * size / 4
    result = read_jsonl(path, max_payload_bytes=budget)
    assert result.complete and result.problems == []
    assert capture_text(result.store) == capture_text(store)  # what the window held


def test_journal_messages_past_the_budget_keep_a_prefix(tmp_path: Path) -> None:
    store = Recording(SESSION, max_payload_bytes=6000)
    params = DeflateParams()
    me = Protocol(Role.CLIENT, deflate=PerMessageDeflate(params, Role.CLIENT))
    peer = Protocol(Role.SERVER, deflate=PerMessageDeflate(params, Role.SERVER))
    for i in range(4):
        peer.send_text(f"{i} " + "compressible " * 400)  # 5 KiB each, inflated
    me.receive_data(b"".join(peer.data_to_send()))
    for e in me.events_received():
        if isinstance(e, FrameBatch):
            store.add(FramesCaptured(0.1, IN, e))
        elif isinstance(e, Message):
            store.add(MessageCaptured(0.1, IN, e))
    kept = [c.message for c in store.messages.values()]
    assert [m.truncated for m in kept] == [False, True, True, True]
    assert all(len(m.data) == CAPPED_PAYLOAD and m.text is None for m in kept[1:])
    for compact in (True, False):
        path = tmp_path / f"{compact}.jsonl"
        writer = JournalWriter(path, SESSION, compact=compact, max_payload_bytes=6000)
        for event in store.given:
            writer.add(event)
        writer.close(keep=True)
        loaded = read_jsonl(path, max_payload_bytes=6000).store
        assert [c.message for c in loaded.messages.values()] == kept


def test_a_journal_started_late_continues_the_stores_budget(tmp_path: Path) -> None:
    store = endless_fragments(40, 64 * 1024, 2**20)
    writer = JournalWriter(tmp_path / "late.jsonl", SESSION, max_payload_bytes=2**20)
    writer.replay(store)
    assert writer.budget.capped and writer.budget.held == store.held_payload_bytes
    more = wire(FrameSpec(Opcode.BINARY, b"x" * 10_000))
    parser = FrameParser(Role.SERVER)
    event = FramesCaptured(1.0, IN, parser.feed(more))
    store.add(event)
    writer.add(event)
    writer.close(keep=True)
    loaded = read_jsonl(tmp_path / "late.jsonl", max_payload_bytes=2**20).store
    assert loaded.payloads[-1] == b"x" * CAPPED_PAYLOAD
    assert capture_text(loaded) == capture_text(store)


# ------------------------------------------------- numbers JSON has no form for
