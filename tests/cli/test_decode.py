"""``ws-inspector decode``: every bundled sample, as a user runs it (a subprocess each),
and the decoding and output functions in-process."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from inspector.cli.decode import decode_stream, write_json, write_text
from inspector.protocol.constants import Role
from inspector.protocol.frames import FrameSpec, encode_frame

from ._cli_support import FRAME_KEYS, SAMPLES, TERMINAL_CONTROLS, VIEW_KEYS, cli, json_lines

SAMPLE_ARGS = {
    "client-chat.bin": ["--from", "client"],
    "rfc6455-examples.hex": ["--from", "server", "--hex"],
    "rfc6455-masked.hex": ["--from", "client", "--hex"],
    "server-deflate.bin": ["--from", "server", "--deflate"],
    "server-violations.bin": ["--from", "server"],
}


def server_bytes(*specs: FrameSpec) -> bytes:
    return b"".join(b"".join(encode_frame(s, Role.SERVER)) for s in specs)


def test_every_sample_is_covered() -> None:
    assert sorted(p.name for p in SAMPLES.iterdir()) == sorted(SAMPLE_ARGS)


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(SAMPLE_ARGS))
def test_decode_every_sample(name: str) -> None:
    human = cli("decode", str(SAMPLES / name), *SAMPLE_ARGS[name])
    as_json = cli("decode", str(SAMPLES / name), *SAMPLE_ARGS[name], "--json")
    assert human.returncode == 0 and as_json.returncode == 0
    assert human.stderr == "" and as_json.stderr == ""
    lines = json_lines(as_json.stdout)
    frame_lines = [o for o in lines if o["type"] == "frame"]
    rows = [line for line in human.stdout.splitlines() if line.startswith("#")]
    assert len(rows) == len(frame_lines) > 0
    summary = human.stdout.splitlines()[-1]
    violations = sum(len(f["violations"]) for f in frame_lines)
    assert summary.startswith(f"-- {len(frame_lines)} frame(s), ")
    assert f"{violations} violation(s)" in summary
    for f in frame_lines:
        # Ordinary capture lines (decode output is a capture), the view of a whole
        # payload added.
        compressed = f["rsv1"] and "--deflate" in SAMPLE_ARGS[name]
        # A control frame's payload is whole even with FIN=0 (a violation).
        whole = f["opcode"] >= 8 or (f["fin"] and f["opcode"] in (1, 2) and not compressed)
        assert set(f) - {"view_error"} == (FRAME_KEYS | VIEW_KEYS if whole else FRAME_KEYS)
        assert f["seq"] == frame_lines.index(f)


def _decode_json(name: str, *args: str) -> list[dict[str, object]]:
    data = (SAMPLES / name).read_bytes()
    if "--hex" in args:
        from inspector.cli.decode import read_stream

        data = read_stream(str(SAMPLES / name), True)
    out = io.StringIO()
    sender = Role(args[args.index("--from") + 1])
    write_json(decode_stream(data, sender, deflate="--deflate" in args), sender, out)
    return json_lines(out.getvalue())


def test_decode_client_chat() -> None:
    lines = _decode_json("client-chat.bin", "--from", "client")
    frame_lines = [o for o in lines if o["type"] == "frame"]
    assert [f["opcode_name"] for f in frame_lines] == [
        "TEXT",
        "TEXT",
        "PING",
        "CONT",
        "BINARY",
        "CLOSE",
    ]
    first = frame_lines[0]
    assert (first["masked"], first["mask_key"], first["text"]) == (True, "37fa213d", "Hello")
    assert first["header_hex"] == "818537fa213d"
    assert frame_lines[-1]["close_code"] == 1000 and frame_lines[-1]["close_reason"] == "bye"
    fragmented = next(o for o in lines if o["type"] == "message" and o["first_seq"] == 1)
    assert fragmented["last_seq"] == 3
    assert fragmented["text"] == '{"op": "subscribe", "channel": "prices"}'
    assert not any(f["violations"] for f in frame_lines)


def test_decode_violations_and_truncation() -> None:
    path = str(SAMPLES / "server-violations.bin")
    lines = _decode_json("server-violations.bin", "--from", "server")
    found = {
        (v["rule"], v["rfc"]): v
        for o in lines
        if o["type"] == "frame"
        for v in o["violations"]  # type: ignore[attr-defined]
    }
    assert set(found) == {
        ("masked-server-frame", "RFC 6455 §5.1"),
        ("reserved-bit", "RFC 6455 §5.2"),
        ("reserved-opcode", "RFC 6455 §5.2"),
        ("fragmented-control-frame", "RFC 6455 §5.5"),
        ("control-frame-too-long", "RFC 6455 §5.5"),
        ("non-minimal-length", "RFC 6455 §5.2"),
        ("invalid-utf8", "RFC 6455 §8.1"),
        ("unexpected-continuation", "RFC 6455 §5.4"),
        ("invalid-close-code", "RFC 6455 §7.4"),
    }
    assert found[("reserved-opcode", "RFC 6455 §5.2")]["message"] == "reserved opcode 0x3"
    assert found[("masked-server-frame", "RFC 6455 §5.1")]["close_code"] == 1002
    assert found[("invalid-utf8", "RFC 6455 §8.1")]["close_code"] == 1007
    assert lines[-2] == {
        "type": "violation",
        "t": 0.0,
        "dir": "in",
        "rule": "incomplete-frame",
        "rfc": "RFC 6455 §5.2",
        "offset": 257,
        "close_code": 1006,
        "deliberate": False,
        "message": "the stream ends with 8 bytes of an incomplete frame",
    }
    assert lines[-1] == {"type": "end", "frames": 10, "events": 1}
    out = io.StringIO()
    write_text(decode_stream(Path(path).read_bytes(), Role.SERVER), out)
    human = out.getvalue().splitlines()
    assert "    ! RFC 6455 §5.2: reserved opcode 0x3" in human
    assert human[-1] == (
        "-- 10 frame(s), 265 bytes, 9 violation(s); "
        "the stream ends with 8 bytes of an incomplete frame"
    )


def test_decode_hex_examples() -> None:
    lines = _decode_json("rfc6455-examples.hex", "--from", "server", "--hex")
    frame_lines = [o for o in lines if o["type"] == "frame"]
    assert [f["header_hex"] for f in frame_lines[:4]] == ["8105", "0103", "8002", "8905"]
    assert frame_lines[4]["length"] == 256 and frame_lines[4]["length_form"] == 16
    reassembled = next(o for o in lines if o["type"] == "message" and o["first_seq"] == 1)
    assert reassembled["text"] == "Hello" and reassembled["last_seq"] == 2
    # The same bytes as raw input are not hex: --hex is what makes them readable.
    raw = decode_stream((SAMPLES / "rfc6455-examples.hex").read_bytes(), Role.SERVER)
    assert raw.violations > 0


def test_decode_deflate() -> None:
    lines = _decode_json("server-deflate.bin", "--from", "server", "--deflate")
    messages = [o for o in lines if o["type"] == "message"]
    assert [m["compressed"] for m in messages] == [True, True, True]
    assert [m["text"] for m in messages[:2]] == ["Hello", "Hello"]
    assert messages[2]["size"] == 99 and messages[2]["wire_size"] == 36
    assert all(not o["violations"] for o in lines if o["type"] == "frame")
    # Without --deflate, RSV1 is a violation and the payload is not text.
    plain = _decode_json("server-deflate.bin", "--from", "server")
    rules = {
        v["rule"]
        for o in plain
        if o["type"] == "frame"
        for v in o["violations"]  # type: ignore[attr-defined]
    }
    assert "reserved-bit" in rules


def test_decode_wrong_side_flags_masking() -> None:
    lines = _decode_json("client-chat.bin", "--from", "server")
    rules = [
        v["rule"]
        for o in lines
        if o["type"] == "frame"
        for v in o["violations"]  # type: ignore[attr-defined]
    ]
    assert rules == ["masked-server-frame"] * 6


@pytest.mark.slow
def test_decode_stdin_and_errors() -> None:
    piped = cli("decode", "-", "--from", "server", "--hex", stdin="81 02 68 69  # 'hi'\n")
    assert piped.returncode == 0
    assert piped.stdout.splitlines()[0].endswith('len=2  "hi"')
    bad_hex = cli("decode", "-", "--from", "server", "--hex", stdin="81 02 # ok\nzz")
    assert bad_hex.returncode == 2
    # The position is the file's (the comment counts), not the digits'.
    assert bad_hex.stderr.startswith("ws-inspector decode: -: not valid hex ('z' at character 12")
    missing = cli("decode", "/nonexistent/stream.bin", "--from", "server")
    assert missing.returncode == 2
    assert "No such file or directory" in missing.stderr


@pytest.mark.slow
@pytest.mark.parametrize("as_json", [False, True])
def test_a_pipe_is_decoded_as_its_bytes_come(as_json: bool) -> None:
    """Frames arriving on a pipe that stays open are written out before the next
    bytes come (not once a whole chunk has), with the output flushed while waiting."""
    import os
    import select
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}
    args = [sys.executable, "-m", "inspector", "decode", "-", "--from", "server"]
    proc = subprocess.Popen(
        [*args, *(["--json"] if as_json else [])],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    assert proc.stdin is not None and proc.stdout is not None
    try:
        proc.stdin.write(server_bytes(FrameSpec(1, b"first"), FrameSpec(1, b"second")))
        proc.stdin.flush()
        seen = b""
        while b"second" not in seen:
            ready, _, _ = select.select([proc.stdout], [], [], 30)
            assert ready, f"nothing more after {seen!r}"
            more = os.read(proc.stdout.fileno(), 65536)
            assert more, proc.stderr.read() if proc.stderr else ""
            seen += more
        assert b"first" in seen and b"frame(s)" not in seen and b'"end"' not in seen
        rest, err = proc.communicate(timeout=30)  # (stdin closed: the stream ends)
    finally:
        proc.kill()
        proc.wait(timeout=30)
    assert proc.returncode == 0, err
    ending = (seen + rest).decode().splitlines()[-1]
    assert ending.startswith('{"type":"end","frames":2' if as_json else "-- 2 frame(s)")


def test_decode_shows_close_code_zero() -> None:
    # Code 0 is a code (an invalid one); only an empty close payload has none.
    out = io.StringIO()
    write_text(decode_stream(bytes.fromhex("880200008800"), Role.SERVER), out)
    first, violation, second = out.getvalue().splitlines()[:3]
    assert "code=0 (Invalid) reason=''" in first
    assert "close code 0" in violation
    assert second.endswith("(no code)")


# --------------------------------------------------------- --fail-on-violation
@pytest.mark.slow
def test_fail_on_violation_exit_status() -> None:
    clean = str(SAMPLES / "client-chat.bin")
    dirty = str(SAMPLES / "server-violations.bin")
    assert cli("decode", clean, "--from", "client", "--fail-on-violation").returncode == 0
    assert cli("decode", dirty, "--from", "server").returncode == 0  # without the flag
    failed = cli("decode", dirty, "--from", "server", "--fail-on-violation", "--json")
    assert failed.returncode == 1
    assert json_lines(failed.stdout)[-1]["type"] == "end"  # the output is whole


def test_an_incomplete_last_frame_counts_as_a_violation() -> None:
    result = decode_stream(bytes.fromhex("8105 4865"), Role.SERVER)
    assert result.rows == () and result.incomplete == 4
    assert result.violations == 1
    assert decode_stream(bytes.fromhex("8100"), Role.SERVER).violations == 0


# ------------------------------------------------------------- peer-controlled text
HOSTILE = "\x1b]0;pwned\x07\x1b[2J\x9b31m\u202eevil\u2066"


def test_human_output_escapes_what_the_sender_wrote() -> None:
    hostile = HOSTILE.encode()
    data = server_bytes(
        FrameSpec(opcode=1, payload=hostile),
        FrameSpec(opcode=1, payload=hostile),  # a flood: its view and meta looked up
        FrameSpec(opcode=1, payload=json.dumps({"k": HOSTILE}).encode()),  # rendered lines
        FrameSpec(opcode=1, payload=hostile, fin=False),  # a message's own line
        FrameSpec(opcode=9, payload=hostile),
        FrameSpec(opcode=0, payload=hostile),
        FrameSpec(opcode=8, payload=b"\x03\xe8" + hostile),
    )
    out = io.StringIO()
    write_text(decode_stream(data, Role.SERVER), out)
    text = out.getvalue()
    assert not any(c in text for c in TERMINAL_CONTROLS), repr(text)
    escaped = "\\e]0;pwned\\x07\\e[2J\\x9b31m\\u202eevil\\u2066"
    rows = text.splitlines()
    assert [r.endswith(f'"{escaped}"') for r in rows[:2]] == [True, True]
    assert any(r.startswith('        "k": ') and "\\x9b31m\\u202eevil\\u2066" in r for r in rows)
    assert any(
        r.startswith("  = TEXT message") and r.endswith(f'"{escaped}{escaped}"') for r in rows
    )
    assert "reason='\\e]0;pwned" in text


def test_json_output_keeps_the_values_and_escapes_the_controls() -> None:
    out = io.StringIO()
    data = server_bytes(FrameSpec(opcode=1, payload=HOSTILE.encode()))
    write_json(decode_stream(data, Role.SERVER), Role.SERVER, out)
    text = out.getvalue()
    assert not any(c in text for c in TERMINAL_CONTROLS), repr(text)
    session, frame, end = (json.loads(line) for line in text.splitlines())
    assert session["type"] == "session" and end["type"] == "end"
    # The same JSON values, only written safely.
    assert frame["type"] == "frame" and frame["text"] == HOSTILE
    # A one-frame message has no line of its own: the frame says everything.


# ------------------------------------------------------------------ payload views
def _run(
    args: list[str], capsys: pytest.CaptureFixture[str], expect: int = 0
) -> tuple[int, str, str]:
    from inspector.cli.main import main

    code = main(["decode", *args])
    out, err = capsys.readouterr()
    assert code == expect, err
    return code, out, err


def test_payloads_go_through_the_view_registry(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    stream = tmp_path / "s.bin"
    stream.write_bytes(
        server_bytes(
            FrameSpec(1, b'{"op": "hi", "n": [1, 2]}'),
            FrameSpec(1, b"plain words"),
            FrameSpec(2, bytes(range(8))),
        )
    )
    _, out, _ = _run([str(stream), "--from", "server"], capsys)
    rows = out.splitlines()
    assert rows[0].endswith('len=25  "{"op": "hi", "n": [1, 2]}"')
    # JSON is an application view: its pretty-printed text follows the row.
    assert rows[1:4] == ["      {", '        "op": "hi",', '        "n": [']
    plain = next(r for r in rows if r.endswith('"plain words"'))
    assert rows[rows.index(plain) + 1].startswith("#"), "the text view adds no lines"
    assert any(r.endswith("len=8  00 01 02 03 04 05 06 07") for r in rows)

    _, out, _ = _run([str(stream), "--from", "server", "--json"], capsys)
    frames = [o for o in json_lines(out) if o["type"] == "frame"]
    assert [f["view"] for f in frames] == ["json", "text", "hex"]
    assert json.loads(str(frames[0]["rendered"])) == {"op": "hi", "n": [1, 2]}
    assert frames[1]["rendered"] == "plain words"

    _, out, _ = _run([str(stream), "--from", "server", "--json", "--view", "hex"], capsys)
    frames = [o for o in json_lines(out) if o["type"] == "frame"]
    assert [f["view"] for f in frames] == ["hex", "hex", "hex"]
    _, out, _ = _run([str(stream), "--from", "server", "--view", "text"], capsys)
    assert '"{"op": "hi", "n": [1, 2]}"' in out and '        "op": "hi",' not in out

    code, out, err = _run([str(stream), "--from", "server", "--view", "nope"], capsys, 2)
    assert code == 2 and out == ""
    assert err.startswith("ws-inspector decode: --view: no view called 'nope' (views: text")


def test_a_forced_view_that_cannot_read_says_where(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    stream = tmp_path / "s.bin"
    stream.write_bytes(server_bytes(FrameSpec(1, b'{"a": 1,}')))
    _, out, _ = _run([str(stream), "--from", "server", "--json"], capsys)
    frame = next(o for o in json_lines(out) if o["type"] == "frame")
    # It looks like JSON; the JSON view says where the bytes stop being JSON.
    assert frame["view"] == "json" and "at byte 8" in str(frame["view_error"])
    _, out, _ = _run([str(stream), "--from", "server"], capsys)
    assert out.splitlines()[1].startswith("      ! not valid JSON at byte 8: ")


def test_the_subprotocol_reaches_the_views(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from inspector.views.base import PayloadMeta, Rendered, View
    from inspector.views.registry import default_registry

    seen: list[str | None] = []

    class Chat(View):
        """A test-only format chosen by its subprotocol, as application formats are."""

        name = "chat-test"
        title = "Chat"

        def priority(self, data: bytes, meta: PayloadMeta) -> float:
            seen.append(meta.subprotocol)
            return 1.5 if meta.subprotocol == "chat.v1" else -1

        def render(self, data: bytes, meta: PayloadMeta) -> Rendered:
            return Rendered(self.name, f"chat line: {data.decode()}")

        def summary(self, prefix: bytes, meta: PayloadMeta) -> str | None:
            return f"CHAT {prefix.decode()}"

    registry = default_registry()
    registry.add(Chat())
    try:
        stream = tmp_path / "s.bin"
        stream.write_bytes(server_bytes(FrameSpec(1, b"hello")))
        _, out, _ = _run([str(stream), "--from", "server"], capsys)
        assert out.splitlines()[0].endswith('"hello"') and set(seen) == {None}
        args = [str(stream), "--from", "server", "--subprotocol", "chat.v1"]
        _, out, _ = _run(args, capsys)
        assert out.splitlines()[:2] == [out.splitlines()[0], "      chat line: hello"]
        assert out.splitlines()[0].endswith("len=5  CHAT hello")
        _, out, _ = _run([*args, "--json"], capsys)
        frame = next(o for o in json_lines(out) if o["type"] == "frame")
        assert (frame["view"], frame["rendered"]) == ("chat-test", "chat line: hello")
    finally:
        registry.remove("chat-test")


def test_json_output_with_views_opens_as_a_capture(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from inspector.capture.formats.jsonl import read_jsonl

    _, out, _ = _run(
        [str(SAMPLES / "server-deflate.bin"), "--from", "server", "--deflate", "--json"], capsys
    )
    path = tmp_path / "decoded.jsonl"
    path.write_text(out)
    messages = [o for o in json_lines(out) if o["type"] == "message"]
    assert [m["view"] for m in messages] == ["text", "text", "json"]
    assert "view_error" in messages[2], "three JSON objects in a row are not one"
    store = read_jsonl(path).store
    assert len(store) == 3 and len(store.messages) == 3


def test_decode_reads_in_chunks() -> None:
    from inspector.cli.decode import DecodeStream

    wire = server_bytes(*(FrameSpec(1, f"message {i}".encode()) for i in range(50)))
    # Chunks of 7 bytes: frames cut anywhere, each row given once its frame is whole.
    chunks = [wire[i : i + 7] for i in range(0, len(wire), 7)]
    stream = DecodeStream(chunks, Role.SERVER)
    texts = [frame.payload.decode() for frame, _ in stream.iter_rows()]
    assert texts == [f"message {i}" for i in range(50)]
    assert stream.size == len(wire) and stream.frames == 50 and stream.violations == 0


def test_a_message_in_fragments_across_chunks_reads_as_it_began() -> None:
    from inspector.cli.decode import DecodeStream

    # (A control character: as bytes, hex would read it best.)
    wire = server_bytes(FrameSpec(1, b"first half, ", fin=False), FrameSpec(0, b"second\x01half"))
    cut = len(wire) - 5  # the continuation frame ends in the second chunk
    out = io.StringIO()
    write_text(DecodeStream([wire[:cut], wire[cut:]], Role.SERVER), out)
    rows = out.getvalue().splitlines()
    assert rows[0].endswith('"first half, "')
    assert rows[1].endswith('"second\\x01half"'), "text, as the message began"
    assert rows[2].endswith('"first half, second\\x01half"')


@pytest.mark.slow
def test_decode_memory_is_bounded_by_the_largest_frame(tmp_path: Path) -> None:
    """``decode`` streams: its peak RSS grows with the largest frame, not the input
    (a 16 MiB stream of small frames costs what a 1 MiB one does)."""
    import subprocess
    import sys

    def peak_rss(path: Path, *extra: str) -> int:
        script = (
            "import resource, sys\n"
            "from inspector.cli.main import main\n"
            "sys.stdout = open('/dev/null', 'w')\n"
            f"main(['decode', {str(path)!r}, '--from', 'server', *{list(extra)!r}])\n"
            "sys.stderr.write(str(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss))\n"
        )
        done = subprocess.run(
            [sys.executable, "-c", script], capture_output=True, text=True, timeout=600
        )
        assert done.returncode == 0, done.stderr
        return int(done.stderr.strip().splitlines()[-1]) * 1024

    frame = server_bytes(FrameSpec(1, b'{"n": 12345, "text": "a small message"}'))
    small, big = tmp_path / "small.bin", tmp_path / "big.bin"
    small.write_bytes(frame * (2**20 // len(frame)))
    big.write_bytes(frame * (16 * 2**20 // len(frame)))
    for extra in ((), ("--json",)):
        base, grown = peak_rss(small, *extra), peak_rss(big, *extra)
        # Whole, the input alone would be 15 MiB more, its frames several times that.
        assert grown - base < 6 * 2**20, (extra, base, grown)


@pytest.mark.parametrize(
    ("name", "sender"),
    [
        ("server-violations.bin", Role.SERVER),
        ("server-deflate.bin", Role.SERVER),
        ("rfc6455-examples.hex", Role.SERVER),
        ("client-chat.bin", Role.CLIENT),
    ],
)
def test_capture_prints_the_frames_and_messages_decode_prints(name: str, sender: Role) -> None:
    """The same frames, each as the event a connection hands ``capture``'s printer
    (the messages each completes after it): the lines ``decode`` writes, each row
    and message line behind the direction's arrow."""
    from inspector.capture.events import (
        Direction,
        FramesCaptured,
        HandshakeCaptured,
        MessageCaptured,
    )
    from inspector.cli.capture import CapturePrinter, _Watcher
    from inspector.cli.decode import read_stream

    data = read_stream(str(SAMPLES / name), name.endswith(".hex"))
    deflate = "--deflate" in SAMPLE_ARGS[name]
    decoded = decode_stream(data, sender, deflate=deflate)
    written = io.StringIO()
    write_text(decoded, written, sender=sender)
    *lines, summary = written.getvalue().splitlines()
    assert summary.startswith("-- ")

    # We are the client: the server's frames come in, ours go out.
    way = Direction.IN if sender is Role.SERVER else Direction.OUT
    arrow = "<- " if way is Direction.IN else "-> "
    printer = CapturePrinter(io.StringIO(), _Watcher(None))
    # The server's answer first, as on a connection: whether RSV1 means compressed.
    extensions = "permessage-deflate" if deflate else None
    headers = (("Sec-WebSocket-Extensions", extensions),) if extensions else ()
    start = "HTTP/1.1 101 Switching Protocols"
    printer(HandshakeCaptured(0.0, Direction.IN, b"", start, headers, extensions=extensions))
    printed = printer.out = io.StringIO()
    for batch, messages in decoded.pieces:
        ending = {m.last_seq: m for m in messages}
        for frame in batch:
            printer(FramesCaptured(0.0, way, [frame]))
            if frame.seq in ending:
                printer(MessageCaptured(0.0, way, ending[frame.seq]))
    expected = [arrow + line if line.startswith(("#", "  = ")) else line for line in lines]
    assert printed.getvalue().splitlines() == expected
