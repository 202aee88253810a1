"""``ws-inspector capture``, run as a user runs it: a subprocess each, bounded by a
timeout, against ``ws-inspector serve`` or small hand-made servers on 127.0.0.1."""

from __future__ import annotations

import argparse
import base64
import contextlib
import json
import signal
import socket
import socketserver
import ssl
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from inspector.capture.store import DEFAULT_MAX_CAPTURE_BYTES
from inspector.cli.capture import check_actions, connect_options
from inspector.cli.main import parse_args
from inspector.cli.options import UsageError

from ._cli_support import (
    FRAME_KEYS,
    TERMINAL_CONTROLS,
    VIEW_KEYS,
    Serve,
    cli,
    frames,
    free_port,
    json_lines,
    read_until_eof,
    start_cli,
    thread_server,
    unmask_frames,
    upgrade_response,
)


@pytest.mark.slow
def test_capture_json_against_serve(serve: Serve) -> None:
    result = cli(
        "capture",
        serve.url,
        "--send",
        "hi",
        "--ping",
        "x",
        "--send-binary",
        "0102",
        "--close",
        "4000:bye",
        "--no-deflate",
        "--json",
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    lines = json_lines(result.stdout)
    assert lines[0]["type"] == "session"
    assert lines[0]["url"] == serve.url and lines[0]["role"] == "client"
    assert lines[-1]["type"] == "end"
    for frame in frames(lines):
        # Every frame here is a whole payload: its line says the view and its text.
        assert set(frame) == FRAME_KEYS | VIEW_KEYS
        assert frame["dir"] in ("in", "out") and isinstance(frame["t"], float)
    out = frames(lines, "out")
    assert [(f["opcode_name"], f["masked"]) for f in out] == [
        ("TEXT", True),
        ("PING", True),
        ("BINARY", True),
        ("CLOSE", True),
    ]
    assert out[0]["text"] == "hi"
    assert out[1]["text"] == "x"
    assert base64.b64decode(out[2]["payload_b64"]) == b"\x01\x02"
    assert [(f["view"], f["rendered"]) for f in out[:3]] == [
        ("text", "hi"),
        ("text", "x"),
        ("hex", f"00000000  {'01 02':<47}  .."),
    ]
    assert out[3]["view"] == "close" and "4000" in out[3]["rendered"]
    assert (out[3]["close_code"], out[3]["close_reason"]) == (4000, "bye")
    inn = frames(lines, "in")
    # The server's automatic pong may overtake the echo of the message before it.
    assert sorted(f["opcode_name"] for f in inn[:3]) == ["BINARY", "PONG", "TEXT"]
    by_name = {f["opcode_name"]: f for f in inn}
    assert by_name["TEXT"]["text"] == "hi" and not by_name["TEXT"]["masked"]
    assert by_name["PONG"]["text"] == "x"
    assert base64.b64decode(by_name["BINARY"]["payload_b64"]) == b"\x01\x02"
    assert inn[3]["opcode_name"] == "CLOSE" and inn[3]["close_code"] == 4000
    assert [f["seq"] for f in inn] == [0, 1, 2, 3]
    states = [o["state"] for o in lines if o["type"] == "state"]
    assert states == ["connecting", "open", "closing", "closed"]
    closed = [o for o in lines if o["type"] == "state"][-1]
    assert (closed["code"], closed["clean"]) == (4000, True)
    handshakes = [o for o in lines if o["type"] == "handshake"]
    assert [h["dir"] for h in handshakes] == ["out", "in"]
    assert handshakes[1]["accept"]["ok"] is True
    assert any(o["type"] == "rtt" for o in lines)
    # serve logged the same connection, frames both ways.
    logged = serve.wait_for(lambda line: "** closed code=4000" in line)
    assert any("<- #0" in line and '"hi"' in line for line in logged)
    assert any("-> #" in line and "TEXT" in line and '"hi"' in line for line in logged)
    assert any("-> " in line and "PONG" in line for line in logged)


@pytest.mark.slow
def test_capture_shows_payloads_through_the_views(serve: Serve) -> None:
    doc = '{"op": "subscribe", "channel": "prices"}'
    human = cli("capture", serve.url, "--send", doc, "--close", "1000", "--no-deflate")
    assert human.returncode == 0, human.stderr
    rows = human.stdout.splitlines()
    echo = next(i for i, r in enumerate(rows) if r.startswith("<- ") and "TEXT" in r)
    assert rows[echo].endswith(f'"{doc}"')
    assert rows[echo + 1 : echo + 5] == [
        "      {",
        '        "op": "subscribe",',
        '        "channel": "prices"',
        "      }",
    ], "JSON is shown pretty-printed under its row"
    forced = cli(
        "capture",
        serve.url,
        "--send",
        doc,
        "--close",
        "1000",
        "--no-deflate",
        "--json",
        "--view",
        "hex",
    )
    assert forced.returncode == 0, forced.stderr
    views = {(f["dir"], f["opcode_name"]): f["view"] for f in frames(json_lines(forced.stdout))}
    assert views[("in", "TEXT")] == views[("out", "TEXT")] == "hex"
    unknown = cli("capture", serve.url, "--view", "nope")
    assert unknown.returncode == 2
    assert "--view: no view called 'nope'" in unknown.stderr


@pytest.mark.slow
def test_capture_with_deflate_reports_the_inflated_messages(serve: Serve) -> None:
    result = cli("capture", serve.url, "--send", "hello hello hello", "--close", "1000", "--json")
    assert result.returncode == 0, result.stderr
    lines = json_lines(result.stdout)
    handshake_in = next(o for o in lines if o["type"] == "handshake" and o["dir"] == "in")
    assert handshake_in["extensions"] == "permessage-deflate"
    sent, echoed = frames(lines, "out")[0], frames(lines, "in")[0]
    assert sent["rsv1"] and echoed["rsv1"] and sent["text"] is None
    messages = [o for o in lines if o["type"] == "message"]
    assert [(m["dir"], m["text"], m["compressed"]) for m in messages] == [
        ("out", "hello hello hello", True),
        ("in", "hello hello hello", True),
    ]
    serve.wait_for(lambda line: "** closed" in line)


@pytest.mark.slow
def test_capture_human_output_shows_frames_both_ways(serve: Serve) -> None:
    result = cli("capture", serve.url, "--send", "hi", "--ping", "x", "--close", "4000:bye")
    assert result.returncode == 0, result.stderr
    out = result.stdout.splitlines()
    assert out[0] == "** connecting"
    assert out[1] == "-> GET / HTTP/1.1"
    assert out[2] == "<- HTTP/1.1 101 Switching Protocols"
    assert out[3].startswith("   Sec-WebSocket-Accept ok (expected ")
    sent = [line for line in out if line.startswith("-> #")]
    got = [line for line in out if line.startswith("<- #")]
    assert len(sent) == 3 and len(got) == 3
    assert "TEXT" in sent[0] and "mask=" in sent[0] and "mask=-" not in sent[0]
    assert "CLOSE" in sent[2] and "code=4000 (Private use) reason='bye'" in sent[2]
    assert "mask=-" in got[0]
    assert any("PONG" in line and '"x"' in line for line in got)
    assert any(line.startswith("   rtt ") and line.endswith(" ms") for line in out)
    assert out[-1] == "** closed code=4000 reason='' clean=True"
    serve.wait_for(lambda line: "** closed" in line)


@pytest.mark.slow
def test_capture_writes_the_file(serve: Serve, tmp_path: Path) -> None:
    path = tmp_path / "session.jsonl"
    result = cli("capture", serve.url, "--send", "saved", "--close", "1000", "-o", str(path))
    assert result.returncode == 0, result.stderr
    assert "-> #0" in result.stdout  # the human output still goes to the terminal
    lines = json_lines(path.read_text("utf-8"))
    assert lines[0]["type"] == "session" and lines[0]["format"] == "ws-inspector-capture"
    assert lines[-1] == {"type": "end", "frames": 4, "events": lines[-1]["events"]}
    assert sorted(f["dir"] for f in frames(lines)) == ["in", "in", "out", "out"]
    from inspector.capture.formats.jsonl import read_jsonl

    loaded = read_jsonl(str(path))
    assert len(loaded.store) == 4
    assert sorted(loaded.store.frame(r).opcode for r in range(4)) == [1, 1, 8, 8]
    serve.wait_for(lambda line: "** closed" in line)


@pytest.mark.slow
def test_capture_sends_piped_stdin_lines(serve: Serve) -> None:
    result = cli(
        "capture", serve.url, "--no-deflate", "--wait", "0.3", "--json", stdin="alpha\nbeta\n"
    )
    assert result.returncode == 0, result.stderr
    lines = json_lines(result.stdout)
    assert [f["text"] for f in frames(lines, "out") if f["opcode_name"] == "TEXT"] == [
        "alpha",
        "beta",
    ]
    assert [f["text"] for f in frames(lines, "in") if f["opcode_name"] == "TEXT"] == [
        "alpha",
        "beta",
    ]
    # No --close: capture closes with 1000 after --wait.
    close = [f for f in frames(lines, "out") if f["opcode_name"] == "CLOSE"]
    assert [f["close_code"] for f in close] == [1000]
    serve.wait_for(lambda line: "** closed" in line)


@pytest.mark.slow
def test_capture_actions_come_before_stdin_lines(serve: Serve) -> None:
    result = cli(
        "capture",
        serve.url,
        "--no-deflate",
        "--send",
        "first",
        "--wait",
        "0.2",
        "--json",
        stdin="second\n",
    )
    assert result.returncode == 0, result.stderr
    texts = [f["text"] for f in frames(json_lines(result.stdout), "out")]
    assert texts[:2] == ["first", "second"]
    serve.wait_for(lambda line: "** closed" in line)


@pytest.mark.slow
def test_capture_streams_stdin_lines_as_they_arrive(serve: Serve) -> None:
    # The pipe stays open between lines: each is sent when it arrives, not at EOF,
    # and a --close waits for the end of input.
    proc = start_cli("capture", serve.url, "--no-deflate", "--close", "1000:done", "--json")
    assert proc.stdin is not None
    try:
        proc.stdin.write("early\n")
        proc.stdin.flush()
        serve.wait_for(lambda line: "early" in line)
        out, err = proc.communicate("late\n", timeout=30)  # writes, then closes stdin
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, err
    sent = frames(json_lines(out), "out")
    assert [f["text"] for f in sent] == ["early", "late", "done"]
    assert sent[-1]["close_code"] == 1000


@pytest.mark.slow
def test_capture_ctrl_c_closes_cleanly_and_writes(serve: Serve, tmp_path: Path) -> None:
    out_file = tmp_path / "interrupted.jsonl"
    proc = start_cli("capture", serve.url, "--no-deflate", "-o", str(out_file))
    assert proc.stdin is not None
    try:
        proc.stdin.write("hello\n")
        proc.stdin.flush()
        serve.wait_for(lambda line: "hello" in line)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, err
    lines = [json.loads(line) for line in out_file.read_text().splitlines()]
    closed = [o for o in lines if o["type"] == "state" and o["state"] == "closed"]
    assert closed and closed[-1]["clean"] is True and closed[-1]["code"] == 1000
    assert any(o.get("text") == "hello" for o in lines if o["type"] == "frame")


@pytest.mark.slow
@pytest.mark.parametrize("wait", [0.2, 1.2])
def test_capture_wait_listens_after_the_last_action(serve: Serve, wait: float) -> None:
    result = cli("capture", serve.url, "--send", "x", "--wait", str(wait), "--json")
    assert result.returncode == 0, result.stderr
    # The session's own clock: the close came --wait seconds after the connection opened.
    lines = json_lines(result.stdout)
    closing = next(o for o in lines if o["type"] == "state" and o["state"] == "closing")
    opened = next(o for o in lines if o["type"] == "state" and o["state"] == "open")
    assert closing["t"] - opened["t"] >= wait * 0.9
    serve.wait_for(lambda line: "** closed" in line)


# ------------------------------------------------------------- what can be sent
@pytest.mark.slow
def test_send_file_sends_one_binary_message(serve: Serve, tmp_path: Path) -> None:
    blob = bytes(range(256)) * 40  # 10 KiB, every byte value
    path = tmp_path / "blob.bin"
    path.write_bytes(blob)
    result = cli(
        "capture", serve.url, "--no-deflate", "--send-file", str(path), "--close", "1000", "--json"
    )
    assert result.returncode == 0, result.stderr
    lines = json_lines(result.stdout)
    (sent,) = [f for f in frames(lines, "out") if f["opcode_name"] != "CLOSE"]
    assert (sent["opcode_name"], sent["fin"], sent["length"]) == ("BINARY", True, len(blob))
    (echoed,) = [f for f in frames(lines, "in") if f["opcode_name"] != "CLOSE"]
    assert base64.b64decode(echoed["payload_b64"]) == blob
    serve.wait_for(lambda line: "** closed" in line)


@contextlib.contextmanager
def recording_server(received: list[bytes]) -> Iterator[int]:
    """Upgrades, then keeps what the client sends, answering its close frame."""

    def record(sock: socket.socket, head: bytes) -> None:
        sock.sendall(upgrade_response(head))
        data = b""
        with contextlib.suppress(OSError):
            while chunk := sock.recv(65536):
                data += chunk
                if any(b0 & 0x0F == 8 for b0, _, _ in unmask_frames(data)):
                    sock.sendall(b"\x88\x02\x03\xe8")
                    break
        received.append(data)

    with thread_server(record) as port:
        yield port


@pytest.mark.slow
def test_frame_puts_exactly_the_crafted_bytes_on_the_wire() -> None:
    received: list[bytes] = []
    spec = "fin=0,rsv2=1,opcode=0x1,mask=01020304,length=5,payload=hi"
    with recording_server(received) as port:
        result = cli(
            "capture",
            f"ws://127.0.0.1:{port}/",
            "--no-deflate",
            "--no-journal",
            "--frame",
            spec,
            "--frame",
            "opcode=8,mask=0a0b0c0d,payload=hex:03e8",
            "--json",
        )
    masked_hi = bytes(b ^ k for b, k in zip(b"hi", b"\x01\x02\x03\x04", strict=False))
    # FIN 0, RSV2, TEXT; MASK, a declared length of 5 for a 2-byte payload.
    crafted = bytes.fromhex("21 85 01020304") + masked_hi
    close = bytes.fromhex("88 82 0a0b0c0d") + bytes([0x03 ^ 0x0A, 0xE8 ^ 0x0B])
    assert received == [crafted + close]
    lines = json_lines(result.stdout)
    sent = frames(lines, "out")
    assert [f["header_hex"] for f in sent] == ["218501020304", "88820a0b0c0d"]
    assert (sent[0]["fin"], sent[0]["rsv2"], sent[0]["length"]) == (False, True, 5)
    assert sent[0]["masked"] and sent[0]["mask_key"] == "01020304"


@pytest.mark.slow
def test_frame_flags_the_rules_it_breaks_as_ours() -> None:
    received: list[bytes] = []
    with recording_server(received) as port:
        url = f"ws://127.0.0.1:{port}/"
        spec = ["--frame", "rsv2=1,opcode=1,payload=hi", "--close", "1000"]
        as_json = cli("capture", url, "--no-deflate", "--no-journal", *spec, "--json")
        human = cli("capture", url, "--no-deflate", "--no-journal", *spec)
    (crafted, _) = frames(json_lines(as_json.stdout), "out")
    assert [(v["rule"], v["deliberate"]) for v in crafted["violations"]] == [("reserved-bit", True)]
    assert any(line.endswith("(sent on purpose)") for line in human.stdout.splitlines())


@pytest.mark.slow
@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--send-binary", "zz"], "--send-binary 'zz' is not hex"),
        (["--close", "abc"], "--close 'abc': the code must be a number"),
        (["-H", "no colon"], "header 'no colon' is not 'Name: value'"),
        (["--ping", "p" * 126], "a ping payload is at most 125 bytes"),
        (["--close", "70000"], "--close '70000': a close code is 0-65535 (two bytes)"),
        (["--close=-1:x"], "--close '-1:x': a close code is 0-65535 (two bytes)"),
        (["--close", "1000:" + "r" * 124], "the reason is over 123 bytes of UTF-8"),
        (
            ["--send-file", "/nonexistent/blob"],
            "--send-file '/nonexistent/blob': No such file or directory",
        ),
        (["--frame", "opcode=99"], "--frame 'opcode=99': opcode 99 does not fit in 4 bits (0-15)"),
        (["--frame", "payload=x"], "--frame 'payload=x': a frame needs opcode=N"),
    ],
)
def test_capture_usage_errors(args: list[str], words: str) -> None:
    result = cli("capture", "ws://127.0.0.1:9/", *args)
    assert result.returncode == 2
    (reason,) = result.stderr.splitlines()
    assert reason.startswith("ws-inspector capture: ")
    assert words in reason
    assert result.stdout == ""


# --------------------------------------------------------------------- failures
@pytest.mark.slow
def test_capture_refused_port() -> None:
    port = free_port()
    result = cli("capture", f"ws://127.0.0.1:{port}/", "--json")
    assert result.returncode == 1
    (reason,) = result.stderr.splitlines()
    assert reason == (
        f"ws-inspector capture: tcp: connection to 127.0.0.1:{port} refused: "
        f"nothing is listening on port {port}"
    )
    lines = json_lines(result.stdout)
    assert lines[0]["type"] == "session"
    (error,) = [o for o in lines if o["type"] == "error"]
    assert error["step"] == "tcp"
    assert [o["state"] for o in lines if o["type"] == "state"] == ["connecting", "closed"]


@pytest.mark.slow
@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("ftp://127.0.0.1/", "url: unknown scheme 'ftp'"),
        ("127.0.0.1:9", "url: '127.0.0.1:9' has no scheme"),
        ("ws://[::1/", "url: 'ws://[::1/' is not a valid URL"),
    ],
)
def test_capture_bad_url(url: str, words: str, tmp_path: Path) -> None:
    path = tmp_path / "failed.jsonl"
    result = cli("capture", url, "-o", str(path))
    assert result.returncode == 1
    (reason,) = result.stderr.splitlines()
    assert reason.startswith(f"ws-inspector capture: {words}")
    assert "!! url:" in result.stdout
    lines = json_lines(path.read_text("utf-8"))
    assert [o["type"] for o in lines] == ["session", "state", "error", "state", "end"]


@pytest.mark.slow
def test_capture_handshake_rejected(tmp_path: Path) -> None:
    def refuse(sock: socket.socket, head: bytes) -> None:
        sock.sendall(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 10\r\n\r\nforbidden\n")

    path = tmp_path / "rejected.jsonl"
    with thread_server(refuse) as port:
        result = cli("capture", f"ws://127.0.0.1:{port}/", "-o", str(path))
    assert result.returncode == 1
    (reason,) = result.stderr.splitlines()
    assert reason.startswith(
        "ws-inspector capture: handshake: the server answered 403 Forbidden, not "
        "101 Switching Protocols; body (10 B): "
    )
    assert "<- HTTP/1.1 403 Forbidden" in result.stdout.splitlines()
    lines = json_lines(path.read_text("utf-8"))
    response = next(o for o in lines if o["type"] == "handshake" and o["dir"] == "in")
    assert response["start_line"] == "HTTP/1.1 403 Forbidden"


HTML = (
    b"<!DOCTYPE html><html><head><title>Welcome</title></head><body>"
    + (b"<p>This is a web page, not a WebSocket endpoint.</p>" * 30)
    + b"</body></html>"
)

_REFUSALS = {
    "200": (
        b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n"
        b"Content-Length: %d\r\n\r\n" % len(HTML) + HTML,
        "the server answered 200 OK, not 101 Switching Protocols; "
        f"body ({len(HTML) / 1024:.1f} KiB, text/html): “Welcome”",
    ),
    "302": (
        b"HTTP/1.1 302 Found\r\nLocation: https://example.test/login?next=%2F\r\n"
        b"Content-Length: 0\r\n\r\n",
        "the server answered 302 Found, not 101 Switching Protocols; "
        "it redirects to https://example.test/login?next=%2F",
    ),
    "401": (
        b"HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Bearer\r\n"
        b"Content-Type: text/plain\r\nContent-Length: 10\r\n\r\nforbidden\n",
        "the server answered 401 Unauthorized, not 101 Switching Protocols; "
        "it asks for authentication: Bearer; body (10 B, text/plain): “forbidden”",
    ),
    "hostile": (
        b"HTTP/1.1 307 \x1b]0;x\x07\r\nLocation: wss://x/\x1b[2J\r\n\r\n",
        "the server answered 307 \\e]0;x\\x07, not 101 Switching Protocols; "
        "it redirects to wss://x/\\e[2J",
    ),
}


@pytest.mark.slow
@pytest.mark.parametrize("kind", list(_REFUSALS))
def test_a_failed_upgrade_is_one_line_said_once(kind: str) -> None:
    """Issue 9 item 17: the engine's one sentence, escaped, once on standard error and
    once among the events; no HTML, no Accept check for what is not a 101."""
    answer, sentence = _REFUSALS[kind]

    def refuse(sock: socket.socket, head: bytes) -> None:
        sock.sendall(answer)

    with thread_server(refuse) as port:
        result = cli("capture", f"ws://127.0.0.1:{port}/", "--no-journal")
    assert result.returncode == 1
    assert result.stderr.splitlines() == [f"ws-inspector capture: handshake: {sentence}"]
    out = result.stdout.splitlines()
    assert out.count(f"!! handshake: {sentence}") == 1
    assert "<" not in result.stdout.replace("<- ", "")  # no HTML, anywhere
    assert "Sec-WebSocket-Accept" not in result.stdout
    assert not any(c in result.stdout + result.stderr for c in TERMINAL_CONTROLS)
    assert out[-1] == "** closed code=None reason=None clean=False"


@pytest.mark.slow
def test_a_101_without_accept_says_missing() -> None:
    def no_accept(sock: socket.socket, head: bytes) -> None:
        sock.sendall(
            b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n"
        )

    with thread_server(no_accept) as port:
        result = cli("capture", f"ws://127.0.0.1:{port}/", "--no-journal")
    assert result.returncode == 1
    (reason,) = result.stderr.splitlines()
    assert reason.startswith("ws-inspector capture: handshake: Sec-WebSocket-Accept missing: ")
    assert "   Sec-WebSocket-Accept missing (expected " in result.stdout
    assert "wrong" not in result.stdout.lower()
    assert "!! handshake: the upgrade failed (the problem above)" in result.stdout


@pytest.mark.slow
def test_capture_keeps_what_came_before_an_abnormal_end(tmp_path: Path) -> None:
    def hang_up(sock: socket.socket, head: bytes) -> None:
        sock.sendall(upgrade_response(head) + b"\x81\x0blast words!")
        time.sleep(0.2)  # then close TCP without a close frame

    path = tmp_path / "abnormal.jsonl"
    with thread_server(hang_up) as port:
        result = cli("capture", f"ws://127.0.0.1:{port}/", "--json", "-o", str(path), "--wait", "5")
    assert result.returncode == 1
    (reason,) = result.stderr.splitlines()
    assert reason == (
        "ws-inspector capture: the connection did not close cleanly "
        "(code 1006, the TCP connection closed without a close frame)"
    )
    for text in (result.stdout, path.read_text("utf-8")):
        lines = json_lines(text)
        (got,) = frames(lines, "in")
        assert got["text"] == "last words!"
        assert lines[-2]["type"] == "state" and lines[-2]["code"] == 1006


@pytest.mark.slow
def test_capture_survives_the_peer_hanging_up_during_the_actions() -> None:
    def hang_up_at_once(sock: socket.socket, head: bytes) -> None:
        sock.sendall(upgrade_response(head))
        sock.shutdown(socket.SHUT_WR)
        time.sleep(0.5)

    sends = [arg for i in range(300) for arg in ("--send", f"m{i}")]
    with thread_server(hang_up_at_once) as port:
        result = cli("capture", f"ws://127.0.0.1:{port}/", "--no-deflate", *sends)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    (reason,) = result.stderr.splitlines()
    assert reason.startswith("ws-inspector capture: the connection did not close cleanly")


@pytest.mark.slow
def test_capture_strict_mode_reports_the_violation() -> None:
    received: list[bytes] = []

    def bad_utf8(sock: socket.socket, head: bytes) -> None:
        sock.sendall(upgrade_response(head) + b"\x81\x02ok\x81\x02\xff\xfe")
        received.append(read_until_eof(sock))

    with thread_server(bad_utf8) as port:
        result = cli("capture", f"ws://127.0.0.1:{port}/", "--strict", "--no-deflate")
    assert result.returncode == 1
    (reason,) = result.stderr.splitlines()
    assert reason.startswith("ws-inspector capture: protocol: failing the connection with 1007")
    assert "invalid-utf8" in reason
    assert "! RFC 6455 §8.1: invalid UTF-8" in result.stdout
    ((b0, _, payload), *_) = unmask_frames(b"".join(received))
    assert b0 == 0x88 and int.from_bytes(payload[:2], "big") == 1007  # a close with 1007


@pytest.mark.slow
@pytest.mark.parametrize(
    "close_frame",
    [
        "880203e7",  # code 999
        "880203ed",  # 1005 on the wire
        "8802a58d",  # 42381
        "880103",  # a 1-byte payload
        "880403e8fffe",  # a reason that is not UTF-8
    ],
)
def test_a_bad_close_from_the_server_is_not_clean(close_frame: str) -> None:
    def bad_close(sock: socket.socket, head: bytes) -> None:
        sock.sendall(upgrade_response(head) + bytes.fromhex(close_frame))
        sock.recv(4096)  # our answer (1002 or 1007), then the server closes TCP

    with thread_server(bad_close) as port:
        result = cli("capture", f"ws://127.0.0.1:{port}/", "--no-journal", "--json")
    assert result.returncode == 1
    (reason,) = result.stderr.splitlines()
    assert reason.startswith("ws-inspector capture: ")
    closed = [o for o in json_lines(result.stdout) if o["type"] == "state"][-1]
    assert closed["clean"] is False


# ------------------------------------------------------- peer-controlled text
HOSTILE = "\x1b]0;pwned\x07\x1b[2J\x9b31m\u202eevil\u2066"


@pytest.mark.slow
def test_a_hostile_handshake_reaches_the_terminal_escaped() -> None:
    def hostile(sock: socket.socket, head: bytes) -> None:
        sock.sendall(
            upgrade_response(
                head,
                status=b"Switching \x1b]0;pwned\x07 Protocols",
                extra=b"X-Evil: \x1b[2J\xc2\x9b31m\r\n"
                b"Sec-WebSocket-Protocol: \x1b[31mred\xe2\x80\xae\r\n",
            )
        )
        read_until_eof(sock)

    with thread_server(hostile) as port:
        result = cli("capture", f"ws://127.0.0.1:{port}/", "--no-journal", "--timeout", "5")
    assert result.returncode == 1
    for text in (result.stdout, result.stderr):
        assert not any(c in text for c in TERMINAL_CONTROLS), repr(text)
    assert "<- HTTP/1.1 101 Switching \\e]0;pwned\\x07 Protocols" in result.stdout
    assert "Sec-WebSocket-Protocol" in result.stderr  # the reason names the header
    # ... and is said once on standard output: the problem line, not again after it.
    assert "!! handshake: the upgrade failed (the problem above)" in result.stdout


@pytest.mark.slow
def test_a_hostile_close_reason_reaches_the_terminal_escaped() -> None:
    reason = HOSTILE.encode()

    def hostile(sock: socket.socket, head: bytes) -> None:
        sock.sendall(upgrade_response(head) + bytes([0x88, 2 + len(reason)]) + b"\x03\xe8" + reason)
        sock.recv(4096)

    with thread_server(hostile) as port:
        url = f"ws://127.0.0.1:{port}/"
        human = cli("capture", url, "--no-journal")
        as_json = cli("capture", url, "--no-journal", "--json")
    for result in (human, as_json):
        assert result.returncode == 0, result.stderr
        assert not any(c in result.stdout for c in TERMINAL_CONTROLS), repr(result.stdout)
    escaped = "'\\e]0;pwned\\x07\\e[2J\\x9b31m\\u202eevil\\u2066'"
    assert human.stdout.splitlines()[-1] == f"** closed code=1000 reason={escaped} clean=True"
    closed = [o for o in json_lines(as_json.stdout) if o["type"] == "state"][-1]
    assert closed["reason"] == HOSTILE  # JSON keeps the value, written with \u escapes


# ---------------------------------------------------------------- capture budget
def _ns(*args: str) -> argparse.Namespace:
    return parse_args(["capture", "ws://127.0.0.1:9/", *args])


@pytest.mark.parametrize(
    ("args", "budget"),
    [((), DEFAULT_MAX_CAPTURE_BYTES), (("--max-capture", "64"), 64 * 2**20),
     (("--max-capture", "0.5"), 2**19), (("--max-capture", "0"), 0)],
)  # fmt: skip
def test_max_capture_is_the_connection_budget(args: tuple[str, ...], budget: int) -> None:
    assert connect_options(_ns(*args)).max_capture_bytes == budget


@pytest.mark.parametrize("bad", ["-1", "lots", "nan", "inf"])
def test_max_capture_must_be_a_size(bad: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        _ns("--max-capture", bad)
    assert exited.value.code == 2
    assert "--max-capture" in capsys.readouterr().err


@pytest.mark.slow
def test_the_budget_note_is_said_once(serve: Serve) -> None:
    sends = [a for i in range(4) for a in ("--send-binary", f"{i:02x}" * 8192)]
    args = (
        "capture",
        serve.url,
        "--no-deflate",
        "--max-capture",
        "0.01",
        *sends,
        "--close",
        "1000",
    )
    human = cli(*args)
    assert human.returncode == 0, human.stderr
    notes = [line for line in human.stdout.splitlines() if line.startswith("!! capture:")]
    assert len(notes) == 1 and "capture budget" in notes[0]
    as_json = cli(*args, "--json")
    assert as_json.returncode == 0
    assert len(as_json.stderr.splitlines()) == 1 and "capture budget" in as_json.stderr
    assert any(f["truncated"] for f in frames(json_lines(as_json.stdout)))


# ---------------------------------------------------------------- in-process checks
def test_actions_are_parsed_before_connecting(tmp_path: Path) -> None:
    path = tmp_path / "x.bin"
    path.write_bytes(b"\x00\xff")
    ns = _ns("--send", "a", "--send-file", str(path), "--frame", "opcode=2,payload=hex:0102",
             "--send-binary", "0x01:02", "--ping", "--close", "1001:bye")  # fmt: skip
    checked = check_actions(ns.actions)
    assert [kind for kind, _ in checked] == [
        "send", "send_file", "frame", "send_binary", "ping", "close"
    ]  # fmt: skip
    assert checked[1][1] == b"\x00\xff" and checked[3][1] == b"\x01\x02"
    assert checked[2][1].opcode == 2 and checked[2][1].payload == b"\x01\x02"
    assert checked[4][1] == b"" and checked[5][1] == (1001, "bye")
    with pytest.raises(UsageError):
        check_actions(_ns("--frame", "fin=2,opcode=1").actions)


@contextlib.contextmanager
def tls_thread_server(context: ssl.SSLContext) -> Iterator[int]:
    """A threaded TLS server on 127.0.0.1:0 that completes handshakes and hangs up."""

    class Handler(socketserver.BaseRequestHandler):
        def handle(self) -> None:
            sock: socket.socket = self.request
            sock.settimeout(5)
            with contextlib.suppress(OSError):  # the rejecting client sends an alert
                context.wrap_socket(sock, server_side=True).close()

    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


@pytest.mark.slow
def test_a_rejected_certificate_is_printed_escaped(tmp_path: Path) -> None:
    """Issue 9 item 16: the certificate the server showed, with the reason."""
    trustme = pytest.importorskip("trustme")
    ca = trustme.CA(organization_name="Evil \x1b]0;x\x07 CA")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1", common_name="leaf.test").configure_cert(context)
    with tls_thread_server(context) as port:
        result = cli("capture", f"wss://127.0.0.1:{port}/", "--no-journal", "--timeout", "5")
    assert result.returncode == 1
    reason, title, *fields = result.stderr.splitlines()
    assert reason.startswith(
        "ws-inspector capture: tls: the server's certificate was rejected: "
        "unable to get local issuer certificate"
    )
    assert title == "ws-inspector capture: the server's certificate:"
    rows = dict(line.strip().split(": ", 1) for line in fields)
    assert list(rows) == ["Subject", "Issuer", "Valid from", "Valid until", "SHA-256", "Names"]
    assert "commonName=leaf.test" in rows["Subject"].strip()
    assert "Evil \\e]0;x\\x07 CA" in rows["Issuer"]
    assert rows["Names"].strip() == "IP:127.0.0.1"
    assert len(rows["SHA-256"].strip()) == 95  # 32 bytes, colon-separated
    assert not any(c in result.stderr for c in TERMINAL_CONTROLS)


# --------------------------------------------------------------------------- time
@pytest.mark.slow
def test_every_sends_on_a_schedule_until_the_wait_ends(serve: Serve) -> None:
    result = cli("capture", serve.url, "--every", "0.1", "--send", "tick", "--wait", "1", "--json")
    assert result.returncode == 0, result.stderr
    sent = [f for f in frames(json_lines(result.stdout), "out") if f["opcode"] == 1]
    # About 11 (at 0, 0.1 ... 1.0 s): a tolerance, since only the count is the point.
    assert 6 <= len(sent) <= 13, len(sent)


@pytest.mark.slow
def test_repeat_sends_exactly_n_times(serve: Serve) -> None:
    result = cli("capture", serve.url, "--repeat", "300", "--send", "x", "--json", "--no-deflate")
    assert result.returncode == 0, result.stderr
    lines = json_lines(result.stdout)
    assert len([f for f in frames(lines, "out") if f["opcode"] == 1]) == 300
    assert len([f for f in frames(lines, "in") if f["opcode"] == 1]) == 300


@contextlib.contextmanager
def pinging_server(interval: float, timeout: float) -> Iterator[str]:
    """A websockets (threaded) server that pings every ``interval`` s and closes a
    client whose pong is ``timeout`` s late."""
    from websockets.exceptions import ConnectionClosed
    from websockets.sync.server import ServerConnection, serve

    def handler(ws: ServerConnection) -> None:
        with contextlib.suppress(ConnectionClosed):
            for _ in ws:
                pass

    with serve(handler, "127.0.0.1", 0, ping_interval=interval, ping_timeout=timeout) as server:
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield f"ws://127.0.0.1:{server.socket.getsockname()[1]}/"
        finally:
            server.shutdown()
            thread.join(5)


@pytest.mark.slow
def test_pong_delay_past_the_servers_ping_timeout_gets_us_closed() -> None:
    with pinging_server(0.1, 0.3) as url:
        result = cli("capture", url, "--pong-delay", "1000", "--wait", "5", "--json")
    lines = json_lines(result.stdout)
    (closed,) = [o for o in lines if o["type"] == "state" and o["state"] == "closed"]
    assert (closed["code"], closed["reason"]) == (1011, "keepalive ping timeout")
    assert [f for f in frames(lines, "out") if f["opcode"] == 0xA] == []


@pytest.mark.slow
def test_pong_delay_within_the_servers_ping_timeout_stays() -> None:
    with pinging_server(0.1, 0.5) as url:
        result = cli("capture", url, "--pong-delay", "30", "--wait", "1", "--json")
    assert result.returncode == 0, result.stderr
    pongs = [f for f in frames(json_lines(result.stdout), "out") if f["opcode"] == 0xA]
    assert len(pongs) >= 3


def _never_pongs(sock: socket.socket, head: bytes) -> None:
    sock.sendall(upgrade_response(head))
    read_until_eof(sock)


@pytest.mark.slow
def test_ping_deadline_fails_a_connection_whose_peer_never_pongs() -> None:
    with thread_server(_never_pongs) as port:
        result = cli(
            "capture",
            f"ws://127.0.0.1:{port}/",
            "--ping-every", "0.1", "--ping-timeout", "0.3", "--wait", "10",
        )  # fmt: skip
    assert result.returncode == 1
    assert (
        "ws-inspector capture: timeout: no pong to our ping 'ka-1' within 0.3 s: "
        "the connection is failed"
    ) in result.stderr
    assert "PING" in result.stdout and "code=1011" in result.stdout


@pytest.mark.slow
def test_reconnect_replays_the_preamble_and_writes_each_attempt(tmp_path: Path) -> None:
    """A server that reads what the client sends for a moment, then drops TCP: three
    attempts, the first with every send, the next two with the preamble only."""
    received: list[list[bytes]] = []

    def drop_after_a_moment(sock: socket.socket, head: bytes) -> None:
        sock.sendall(upgrade_response(head))
        sock.settimeout(0.5)
        data = b""
        with contextlib.suppress(OSError):
            while chunk := sock.recv(65536):
                data += chunk
        received.append([payload for _b0, _h, payload in unmask_frames(data)])

    out = tmp_path / "cap.jsonl"
    with thread_server(drop_after_a_moment) as port:
        result = cli(
            "capture",
            f"ws://127.0.0.1:{port}/",
            "--no-deflate", "--send", "login", "--mark", "--send", "query",
            "--reconnect", "--max-attempts", "3", "--reconnect-delay", "0.05",
            "--wait", "5", "-o", str(out),
        )  # fmt: skip
    assert result.returncode == 1
    assert "ws-inspector capture: gave up after 3 attempts: " in result.stderr
    assert "== attempt 2 of 3 in 0.05 s (the connection dropped: " in result.stdout
    assert "== attempt 3 of 3 in 0.1 s" in result.stdout
    assert received == [[b"login", b"query"], [b"login"], [b"login"]]
    files = [out, tmp_path / "cap.attempt-2.jsonl", tmp_path / "cap.attempt-3.jsonl"]
    texts = [
        [_text(f) for f in frames(json_lines(p.read_text()), "out") if f["opcode"] == 1]
        for p in files
    ]
    assert texts == [["login", "query"], ["login"], ["login"]]


def _text(frame: dict[str, Any]) -> str:
    return base64.b64decode(frame["payload_b64"]).decode()
