"""Tests of inspector.capture.formats.jsonl.write: every line type as the format
document describes it, in the true order, strict JSON; a capture written as it
happens (CaptureLineWriter), which is what ``decode --json`` and ``capture --json``
print."""

from __future__ import annotations

import asyncio
import binascii
import io
import json
import math
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from capture.conftest import IN, assert_same, received, session_info, wire

from inspector.capture.events import (
    FORMAT_NAME,
    FORMAT_VERSION,
    ConnectionState,
    Direction,
    ErrorCaptured,
    ErrorStep,
    FramesCaptured,
    HandshakeCaptured,
    HandshakeLeg,
    MessageCaptured,
    ProxyExchange,
    SessionInfo,
    SessionRole,
    SessionSource,
    StateChanged,
    ViolationCaptured,
)
from inspector.capture.formats.jsonl import (
    CaptureLineWriter,
    iter_lines,
    read_jsonl,
    session_line,
    write_jsonl,
)
from inspector.capture.formats.jsonl.schema import DECODE_NOTE
from inspector.capture.store import CaptureStore
from inspector.engine.server import EchoServer
from inspector.protocol.connection import Protocol
from inspector.protocol.constants import Opcode, Role
from inspector.protocol.deflate import DeflateParams, PerMessageDeflate
from inspector.protocol.events import Message
from inspector.protocol.frames import FrameBatch, FrameSpec
from inspector.protocol.violations import Rule, Violation

ROOT = Path(__file__).resolve().parents[4]


def strict_loads(text: str | bytes) -> Any:
    """json.loads that refuses what JSON (RFC 8259) has no form for."""

    def refuse(token: str) -> Any:
        raise ValueError(f"{token} is not JSON")

    return json.loads(text, parse_constant=refuse)


def test_the_sample_session_has_what_it_should(rich: CaptureStore) -> None:
    assert len(rich) > 15 and len(rich.messages) >= 2 and len(rich.violations) >= 4
    assert any(rich.frame(r).truncated for r in range(len(rich)))
    assert {rich.frame(r).length_form for r in range(len(rich))} == {7, 16, 64}
    if PerMessageDeflate is not None:
        assert any(c.message.compressed for c in rich.messages.values())


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


class _Tagged:
    """Fields that say where they were asked for (a :class:`LineFields`)."""

    def frame_fields(self, store: CaptureStore, row: int, text_json: str) -> str:
        return f',"row":{row},"text_json":{json.dumps(text_json)}'

    def message_fields(self, store: CaptureStore, row: int) -> str:
        return f',"message_row":{row}'


def test_fields_end_the_frame_and_message_lines(rich: CaptureStore) -> None:
    plain = [json.loads(x) for x in iter_lines(rich)]
    tagged = [json.loads(x) for x in iter_lines(rich, _Tagged())]
    assert len(tagged) == len(plain)
    row = -1
    for before, after in zip(plain, tagged, strict=True):
        extra = {k: after.pop(k) for k in ("row", "text_json", "message_row") if k in after}
        assert after == before and list(after) == list(before), "the fields come last"
        if before["type"] == "frame":
            row += 1
            # The text as the line holds it; a close frame's reason is not its text.
            text = before["text"] if before["opcode"] != Opcode.CLOSE else None
            assert extra == {"row": row, "text_json": json.dumps(text, ensure_ascii=False)}
        elif before["type"] == "message" and row in rich.messages:
            assert extra == {"message_row": row}
        else:
            assert extra == {}
    assert row == len(rich) - 1


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


def test_a_journal_session_line_is_a_session_line() -> None:
    line = session_line(session_info(), journal=True)
    assert json.loads(line)["journal"] is True
    plain = session_line(session_info())
    assert json.loads(line) == {**json.loads(plain), "journal": True}
    assert read_jsonl(io.StringIO(line + "\n")).kind == "journal"


def test_handshake_problems_are_violation_objects() -> None:
    problem = Violation(Rule.HANDSHAKE_INVALID, "no Upgrade header", 17)
    store = CaptureStore(session_info())
    store.add(
        HandshakeCaptured(0.1, IN, b"HTTP/1.1 200 OK\r\n\r\n", "HTTP/1.1 200 OK", (),
                          problems=(problem, Violation(Rule.HANDSHAKE_INVALID, "ours", None, True)))
    )  # fmt: skip
    lines = list(iter_lines(store))
    (line,) = [json.loads(x) for x in lines if '"type":"handshake"' in x]
    assert line["problems"] == [p.to_json() for p in store.events[0].problems]  # type: ignore[union-attr]
    assert line["problems"][0] == {
        "rule": "handshake-invalid", "rfc": "RFC 6455 §4", "message": "no Upgrade header",
        "offset": 17, "close_code": 1002, "deliberate": False,
    }  # fmt: skip
    assert line["problems"][1]["deliberate"] is True
    back = read_jsonl(io.StringIO("\n".join(lines) + "\n"))
    assert back.complete and back.problems == []
    assert_same(store, back.store)


def test_proxy_handshake_lines_keep_their_leg_and_the_upstream_proxy_exchange() -> None:
    via = ProxyExchange(
        "http", "10.0.0.1:3128", "echo.example:443", b"CONNECT echo.example:443 HTTP/1.1\r\n\r\n",
        b"HTTP/1.1 200 OK\r\n\r\n",
    )  # fmt: skip
    store = CaptureStore(session_info())
    store.add(HandshakeCaptured(0.1, Direction.OUT, b"GET / HTTP/1.1\r\n\r\n", "GET / HTTP/1.1",
                                (), leg=HandshakeLeg.UPSTREAM, via=via))  # fmt: skip
    store.add(HandshakeCaptured(0.2, IN, b"HTTP/1.1 101 x\r\n\r\n", "HTTP/1.1 101 x", ()))
    lines = [json.loads(x) for x in iter_lines(store) if '"type":"handshake"' in x]
    assert lines[0]["leg"] == "upstream"
    assert lines[0]["via"]["kind"] == "http" and lines[0]["via"]["target"] == "echo.example:443"
    # An end's own handshake is written as before: no leg, no via.
    assert "leg" not in lines[1] and "via" not in lines[1]
    back = read_jsonl(io.StringIO("\n".join(iter_lines(store)) + "\n"))
    assert back.complete
    first = back.store.events[0]
    assert isinstance(first, HandshakeCaptured)
    assert first.leg is HandshakeLeg.UPSTREAM and first.via == via


# ------------------------------------------------------------------ strict JSON


def odd_text_store() -> CaptureStore:
    """Lone surrogates wherever a str goes: the URL, a note, a header (bytes that were
    not text, kept as surrogate escapes), a message's text, an error message."""
    store = CaptureStore(
        SessionInfo("ws://x/\ud800", SessionRole.CLIENT, "", 0.0, notes=("note \udcff",))
    )
    store.add(
        HandshakeCaptured(0.1, IN, b"HTTP/1.1 101 OK\r\nX: \xff\r\n\r\n", "HTTP/1.1 101 OK",
                          (("X", "\udcff"),))
    )  # fmt: skip
    specs = [FrameSpec(Opcode.TEXT, b"a", fin=False), FrameSpec(Opcode.CONT, b"b")]
    store.add(FramesCaptured(0.2, IN, received(wire(*specs))[0]))
    message = Message(Opcode.TEXT, b"ab", "a\ud800b", 0, 1, 2, frame_count=2)
    store.add(MessageCaptured(0.2, IN, message))
    store.add(ErrorCaptured(0.3, ErrorStep.READ, "odd \udfff", fatal=False))
    return store


def test_a_lone_surrogate_is_written_escaped_and_reads_back(tmp_path: Path) -> None:
    store = odd_text_store()
    path = tmp_path / "s.jsonl"
    write_jsonl(store, path)
    text = path.read_bytes().decode("utf-8")
    assert "\\ud800" in text
    for line in text.splitlines():
        strict_loads(line)
    back = read_jsonl(path)
    assert back.complete and back.problems == []
    assert_same(store, back.store)
    # A text stream that must encode what it is given: nothing to encode but ASCII.
    raw = io.BytesIO()
    with io.TextIOWrapper(raw, encoding="utf-8") as stream:
        write_jsonl(store, stream)
        stream.flush()
        assert raw.getvalue().isascii()


def test_a_writer_refuses_a_number_json_cannot_hold(tmp_path: Path) -> None:
    nan_session = CaptureStore(SessionInfo("ws://x/", SessionRole.CLIENT, "", math.nan))
    inf_frame = CaptureStore(session_info())
    inf_frame.add(FramesCaptured(math.inf, IN, received(wire(FrameSpec(Opcode.TEXT, b"x")))[0]))
    nan_event = CaptureStore(session_info())
    nan_event.add(StateChanged(math.nan, ConnectionState.OPEN))
    for n, store in enumerate((nan_session, inf_frame, nan_event)):
        path = tmp_path / f"{n}.jsonl"
        with pytest.raises(ValueError):
            write_jsonl(store, path)
        assert not path.exists()
    assert os.listdir(tmp_path) == []


# ---------------------------------------------------------- as it happens


def conversation() -> list[FramesCaptured | MessageCaptured | StateChanged | ViolationCaptured]:
    """Events as a connection publishes them: batches, then their messages."""
    params = DeflateParams()
    server = Protocol(Role.SERVER, deflate=PerMessageDeflate(params, Role.SERVER))
    client = Protocol(Role.CLIENT, deflate=PerMessageDeflate(params, Role.CLIENT))
    events: list[FramesCaptured | MessageCaptured | StateChanged | ViolationCaptured] = [
        StateChanged(0.0, ConnectionState.OPEN)
    ]
    server.send_text("one")
    server.send_text("two " * 50)  # compressed: a message line
    server.send_binary(b"\x00" * 10, fragments=2, compress=False)
    client.receive_data(b"".join(server.data_to_send()))
    for e in client.events_received():
        if isinstance(e, FrameBatch):
            events.append(FramesCaptured(0.5, IN, e))
        elif isinstance(e, Message):
            events.append(MessageCaptured(0.5, IN, e))
    events.append(ViolationCaptured(0.6, IN, Violation(Rule.INCOMPLETE_FRAME, "cut", 99)))
    return events


def test_the_line_writer_writes_what_write_jsonl_writes() -> None:
    events = conversation()
    buf = io.StringIO()
    writer = CaptureLineWriter(buf)
    writer.session(session_info())
    for event in events:
        writer.add(event)
    writer.end()
    store = CaptureStore(session_info())
    for event in events:
        store.add(event)
    streamed = buf.getvalue().splitlines()
    saved = list(iter_lines(store))
    # The same lines; a message follows the batch of its last frame (here: the
    # whole read) rather than that frame.
    assert sorted(streamed) == sorted(saved)
    assert streamed[0] == saved[0] and streamed[-1] == saved[-1]
    assert writer.frames_written == len(store) == 4
    assert writer.events_written == len(store.events) + len(store.messages) == 5
    result = read_jsonl(io.StringIO(buf.getvalue()))
    assert result.complete and result.problems == []
    assert_same(store, result.store)


def test_the_line_writer_flushes_and_keeps_its_order() -> None:
    class Counting(io.StringIO):
        flushes = 0

        def flush(self) -> None:
            self.flushes += 1

    out = Counting()
    writer = CaptureLineWriter(out, flush=True)
    with pytest.raises(RuntimeError, match="session"):
        writer.event(StateChanged(0.0, ConnectionState.OPEN))
    writer.session(session_info())
    plain = Message(Opcode.TEXT, b"x", "x", 0, 0, 1)
    writer.message(MessageCaptured(0.0, IN, plain))  # one plain frame: not written
    writer.end()
    assert out.flushes == 2 and out.getvalue().count("\n") == 2
    with pytest.raises(RuntimeError, match="ended"):
        writer.frames(FramesCaptured(0.0, IN, []))
    with pytest.raises(RuntimeError):
        writer.session(session_info())


# ------------------------------------------------- decode --json, capture --json

SAMPLES = ROOT / "resources" / "samples"
SAMPLE_ARGS = {
    "client-chat.bin": ["--from", "client"],
    "rfc6455-examples.hex": ["--from", "server", "--hex"],
    "rfc6455-masked.hex": ["--from", "client", "--hex"],
    "server-deflate.bin": ["--from", "server", "--deflate"],
    "server-violations.bin": ["--from", "server"],
}


def cli(*args: str, timeout: float = 30) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "inspector", *args],
        capture_output=True,
        timeout=timeout,
        cwd=ROOT,
        stdin=subprocess.DEVNULL,
    )


def parse_directly(data: bytes, sender: str, deflate: bool) -> tuple[list[Any], list[Message]]:
    role = Role(sender)
    proto = Protocol(
        role.peer,
        deflate=PerMessageDeflate(DeflateParams(), role.peer) if deflate else None,
        auto_pong=False,
        auto_close=False,
    )
    proto.receive_data(data)
    proto.receive_eof()
    frames: list[Any] = []
    messages: list[Message] = []
    for event in proto.events_received():
        if isinstance(event, FrameBatch):
            frames.extend(event)
        elif isinstance(event, Message):
            messages.append(event)
    return frames, messages


def sample_bytes(name: str) -> bytes:
    raw = (SAMPLES / name).read_bytes()
    if name.endswith(".hex"):
        text = raw.decode()
        digits = "".join(line.split("#", 1)[0] for line in text.splitlines())
        return binascii.unhexlify("".join(digits.split()).replace("0x", "").replace(",", ""))
    return raw


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(SAMPLE_ARGS))
def test_decode_output_is_a_capture(name: str) -> None:
    args = SAMPLE_ARGS[name]
    out = cli("decode", str(SAMPLES / name), *args, "--json")
    assert out.returncode == 0, out.stderr
    result = read_jsonl(io.BytesIO(out.stdout))
    assert result.kind == "capture"
    assert result.complete and result.problems == [], result.problems
    store = result.store
    sender = args[1]
    assert store.session.source is SessionSource.DECODE
    assert store.session.notes == (DECODE_NOTE,)
    assert store.session.role == Role(sender).peer.value
    frames, messages = parse_directly(sample_bytes(name), sender, "--deflate" in args)
    assert len(store) == len(frames) > 0
    for row, frame in enumerate(frames):
        assert store.frame(row) == frame
        assert store.direction(row) is Direction.IN and store.t[row] == 0.0
    kept = {m.message.last_seq: m.message for m in store.messages.values()}
    for m in messages:
        if m.frame_count > 1 or m.compressed or m.truncated:
            assert kept[m.last_seq].data == m.data
            assert kept[m.last_seq].text == m.text
            assert kept[m.last_seq].compressed == m.compressed
    for line in out.stdout.splitlines():
        strict_loads(line)


@pytest.mark.slow
def test_decode_output_of_a_cut_stream_keeps_the_truncation(tmp_path: Path) -> None:
    data = sample_bytes("client-chat.bin")
    path = tmp_path / "cut.bin"
    path.write_bytes(data[:-3])
    out = cli("decode", str(path), "--from", "client", "--json")
    result = read_jsonl(io.BytesIO(out.stdout))
    assert result.complete
    (violation,) = [e for e in result.store.events if isinstance(e, ViolationCaptured)]
    assert violation.violation.rule is Rule.INCOMPLETE_FRAME
    assert "incomplete frame" in violation.violation.message
    frames, _ = parse_directly(data, "client", False)
    assert violation.violation.offset == frames[-1].offset  # where the cut frame began


@pytest.mark.slow
def test_decode_output_of_nothing_but_a_cut_frame(tmp_path: Path) -> None:
    path = tmp_path / "cut.bin"
    path.write_bytes(b"\x81\x05he")
    out = cli("decode", str(path), "--from", "server", "--json")
    result = read_jsonl(io.BytesIO(out.stdout))
    assert result.kind == "capture" and result.complete
    assert len(result.store) == 0 and len(result.store.events) == 1
    (event,) = result.store.events
    assert isinstance(event, ViolationCaptured) and event.violation.offset == 0


@pytest.mark.slow
def test_decode_output_converts_to_the_same_capture(tmp_path: Path) -> None:
    out = cli(
        "decode", str(SAMPLES / "server-deflate.bin"), "--from", "server", "--deflate", "--json"
    )
    (tmp_path / "decoded.jsonl").write_bytes(out.stdout)
    converted = cli("convert", str(tmp_path / "decoded.jsonl"), str(tmp_path / "saved.jsonl"))
    assert converted.returncode == 0, converted.stderr
    again = read_jsonl(tmp_path / "saved.jsonl")
    assert again.complete and again.kind == "capture"
    assert_same(read_jsonl(io.BytesIO(out.stdout)).store, again.store)


@pytest.mark.slow
def test_capture_output_opens_as_a_capture() -> None:
    async def main() -> bytes:
        async with EchoServer("127.0.0.1", 0) as server:
            proc = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "inspector", "capture", server.url, "--send", "héllo",
                "--send-binary", "00ff10", "--ping", "p", "--close", "1000:done", "--json",
                "--no-journal", "--no-deflate", cwd=ROOT,
                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
            )  # fmt: skip
            out, err = await proc.communicate()
            assert proc.returncode == 0, err
            return out

    out = asyncio.run(asyncio.wait_for(main(), 30))
    result = read_jsonl(io.BytesIO(out))
    assert result.kind == "capture" and result.complete and result.problems == []
    store = result.store
    assert store.session.source == "live" and store.session.role == "client"
    texts = [store.payloads[r] for r in range(len(store)) if store.opcode(r) == 1]
    assert "héllo".encode() in texts
    assert store.handshake(Direction.IN) is not None
    assert store.state is not None and store.state.clean
