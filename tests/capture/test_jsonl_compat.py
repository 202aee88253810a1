"""read_jsonl opens what ws-inspector itself writes besides captures (``decode --json``
and ``capture --json`` output, journals) and still refuses, in plain words, what is
not a capture; a live session saved and opened again keeps every field."""

from __future__ import annotations

import asyncio
import base64
import binascii
import io
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from test_jsonl import assert_same  # tests/capture is on sys.path

from inspector.capture.events import Direction
from inspector.capture.formats.jsonl import (
    DECODE_NOTE,
    CaptureFormatError,
    read_jsonl,
    session_line,
    write_jsonl,
)
from inspector.capture.store import CaptureStore
from inspector.engine.client import connect
from inspector.engine.options import ConnectOptions
from inspector.engine.server import EchoServer
from inspector.protocol.connection import Protocol
from inspector.protocol.constants import Role
from inspector.protocol.deflate import DeflateParams, PerMessageDeflate
from inspector.protocol.events import Message
from inspector.protocol.frames import FrameBatch

ROOT = Path(__file__).resolve().parents[2]
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


# ------------------------------------------------------------------ decode --json


@pytest.mark.parametrize("name", sorted(SAMPLE_ARGS))
def test_decode_output_opens_as_a_session(name: str) -> None:
    args = SAMPLE_ARGS[name]
    out = cli("decode", str(SAMPLES / name), *args, "--json")
    assert out.returncode == 0, out.stderr
    result = read_jsonl(io.BytesIO(out.stdout))
    assert result.kind == "decode"
    assert result.complete and result.problems == [], result.problems
    store = result.store
    sender = args[1]
    assert store.session.source == "decode" and store.session.notes == (DECODE_NOTE,)
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


def test_decode_output_of_a_cut_stream_keeps_the_truncation(tmp_path: Path) -> None:
    data = sample_bytes("client-chat.bin")
    path = tmp_path / "cut.bin"
    path.write_bytes(data[:-3])
    out = cli("decode", str(path), "--from", "client", "--json")
    result = read_jsonl(io.BytesIO(out.stdout))
    assert result.complete
    (violation,) = [e for e in result.store.events if type(e).__name__ == "ViolationCaptured"]
    assert violation.violation.rule.slug == "incomplete-frame"  # type: ignore[union-attr]
    assert "incomplete frame" in violation.violation.message  # type: ignore[union-attr]


def test_decode_output_of_nothing_but_a_cut_frame(tmp_path: Path) -> None:
    path = tmp_path / "cut.bin"
    path.write_bytes(b"\x81\x05he")
    out = cli("decode", str(path), "--from", "server", "--json")
    result = read_jsonl(io.BytesIO(out.stdout))
    assert result.kind == "decode" and result.complete
    assert len(result.store) == 0 and len(result.store.events) == 1


def test_decode_output_converts_to_a_capture(tmp_path: Path) -> None:
    out = cli(
        "decode", str(SAMPLES / "server-deflate.bin"), "--from", "server", "--deflate", "--json"
    )
    (tmp_path / "decoded.jsonl").write_bytes(out.stdout)
    converted = cli("convert", str(tmp_path / "decoded.jsonl"), str(tmp_path / "saved.jsonl"))
    assert converted.returncode == 0, converted.stderr
    again = read_jsonl(tmp_path / "saved.jsonl")
    assert again.complete and again.kind == "capture"
    assert_same(read_jsonl(io.BytesIO(out.stdout)).store, again.store)


# ----------------------------------------------------------------- capture --json


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


# ------------------------------------------------------- a live session, saved


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


# ------------------------------------------------------------- not captures at all


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


# -------------------------------------------------------- damaged captures, by kind


def small_capture() -> bytes:
    proto = Protocol(Role.SERVER)
    proto.send_text("one")
    proto.send_binary(b"\x00two")
    proto.send_text("three")
    client = Protocol(Role.CLIENT)
    client.receive_data(b"".join(proto.data_to_send()))
    store = CaptureStore(test_session())
    from inspector.capture.events import FramesCaptured

    for e in client.events_received():
        if isinstance(e, FrameBatch):
            store.add(FramesCaptured(0.5, Direction.IN, e))
    buf = io.StringIO()
    write_jsonl(store, buf)
    return buf.getvalue().encode()


def test_session() -> Any:
    from inspector.capture.events import SessionInfo

    return SessionInfo("ws://damage.test/", "client", "2024-01-01T00:00:00+00:00", 1704067200.0)


test_session.__test__ = False  # type: ignore[attr-defined]  # a helper, not a test


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


def test_a_journal_session_line_is_a_session_line() -> None:
    line = session_line(test_session(), journal=True)
    assert json.loads(line)["journal"] is True
    plain = session_line(test_session())
    assert json.loads(line) == {**json.loads(plain), "journal": True}
    assert read_jsonl(io.StringIO(line + "\n")).kind == "journal"
