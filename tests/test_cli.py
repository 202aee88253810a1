"""The command line, run as a user runs it: ``python -m inspector ...`` in a subprocess,
every run bounded by a timeout. ``serve`` and ``capture`` talk to each other over
127.0.0.1; ``decode`` reads every sample in resources/samples/."""

from __future__ import annotations

import base64
import contextlib
import json
import os
import queue
import signal
import socket
import socketserver
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from inspector.protocol.frames import Frame
from inspector.protocol.handshake import compute_accept

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "resources" / "samples"
FRAME_KEYS = set(Frame(0, 0, b"\x81\x00", b"").to_json()) | {"dir", "t"}


def cli(
    *args: str, stdin: str | None = None, timeout: float = 30
) -> subprocess.CompletedProcess[str]:
    """Run ``python -m inspector ARGS`` (stdin: the text given, else nothing)."""
    return subprocess.run(
        [sys.executable, "-m", "inspector", *args],
        input=stdin if stdin is not None else "",
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=ROOT,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )


def json_lines(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def frames(lines: list[dict[str, Any]], direction: str | None = None) -> list[dict[str, Any]]:
    return [o for o in lines if o["type"] == "frame" and direction in (None, o.get("dir"))]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


# ------------------------------------------------------------------------ serve
class Serve:
    """A running ``ws-inspector serve``; its output lines are collected by a thread."""

    def __init__(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "inspector", "serve"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            cwd=ROOT,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        threading.Thread(target=self._pump, daemon=True).start()
        self.url = self.next_line(timeout=15)

    def _pump(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line.rstrip("\n"))

    def next_line(self, timeout: float = 5) -> str:
        line = self.lines.get(timeout=timeout)
        self.seen.append(line)
        return line

    def wait_for(self, predicate: Callable[[str], bool], timeout: float = 10) -> list[str]:
        """Collect output lines until one satisfies ``predicate``; return them all."""
        deadline = time.monotonic() + timeout
        got: list[str] = []
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"serve never printed the expected line; got {got}")
            try:
                line = self.next_line(timeout=left)
            except queue.Empty:
                continue
            got.append(line)
            if predicate(line):
                return got

    def stop(self) -> int:
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=5)
            raise


@pytest.fixture(scope="module")
def serve() -> Iterator[Serve]:
    server = Serve()
    try:
        yield server
    finally:
        status = server.stop()
        assert status == 0, f"serve exited with {status}"


def test_serve_prints_its_url_first(serve: Serve) -> None:
    assert serve.url.startswith("ws://127.0.0.1:") and serve.url.endswith("/")
    assert serve.seen[0] == serve.url
    int(serve.url.rsplit(":", 1)[1].rstrip("/"))


# ---------------------------------------------------------------------- capture
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
        assert set(frame) == FRAME_KEYS
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


def _start_capture(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "inspector", "capture", *args],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )


def test_capture_streams_stdin_lines_as_they_arrive(serve: Serve) -> None:
    # The pipe stays open between lines: each is sent when it arrives, not at EOF,
    # and a --close waits for the end of input.
    proc = _start_capture(serve.url, "--no-deflate", "--close", "1000:done", "--json")
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


def test_capture_ctrl_c_closes_cleanly_and_writes(serve: Serve, tmp_path: Path) -> None:
    out_file = tmp_path / "interrupted.jsonl"
    proc = _start_capture(serve.url, "--no-deflate", "-o", str(out_file))
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


@pytest.mark.parametrize("wait", [0.2, 1.2])
def test_capture_wait_listens_after_the_last_action(serve: Serve, wait: float) -> None:
    t = time.monotonic()
    result = cli("capture", serve.url, "--send", "x", "--wait", str(wait), "--json")
    elapsed = time.monotonic() - t
    assert result.returncode == 0, result.stderr
    assert elapsed >= wait
    assert elapsed < wait + 8
    lines = json_lines(result.stdout)
    closing = next(o for o in lines if o["type"] == "state" and o["state"] == "closing")
    opened = next(o for o in lines if o["type"] == "state" and o["state"] == "open")
    assert closing["t"] - opened["t"] >= wait * 0.9
    serve.wait_for(lambda line: "** closed" in line)


# --------------------------------------------------------------------- failures
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


@contextlib.contextmanager
def thread_server(respond: Callable[[socket.socket, bytes], None]) -> Iterator[int]:
    """A threaded TCP server on 127.0.0.1:0 that reads a request head and calls
    ``respond(sock, head)``."""

    class Handler(socketserver.BaseRequestHandler):
        def handle(self) -> None:
            sock: socket.socket = self.request
            sock.settimeout(5)
            head = b""
            while b"\r\n\r\n" not in head:
                chunk = sock.recv(4096)
                if not chunk:
                    return
                head += chunk
            respond(sock, head)

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


def test_capture_handshake_rejected(tmp_path: Path) -> None:
    def refuse(sock: socket.socket, head: bytes) -> None:
        sock.sendall(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 10\r\n\r\nforbidden\n")

    path = tmp_path / "rejected.jsonl"
    with thread_server(refuse) as port:
        result = cli("capture", f"ws://127.0.0.1:{port}/", "-o", str(path))
    assert result.returncode == 1
    (reason,) = result.stderr.splitlines()
    assert reason.startswith("ws-inspector capture: handshake: the server answered 403 Forbidden")
    assert "body, 10 bytes, is in the capture" in reason  # one line; the body is kept
    assert "<- HTTP/1.1 403 Forbidden" in result.stdout.splitlines()
    lines = json_lines(path.read_text("utf-8"))
    response = next(o for o in lines if o["type"] == "handshake" and o["dir"] == "in")
    assert response["start_line"] == "HTTP/1.1 403 Forbidden"


def test_capture_keeps_what_came_before_an_abnormal_end(tmp_path: Path) -> None:
    def hang_up(sock: socket.socket, head: bytes) -> None:
        key = next(
            line.split(b":", 1)[1].strip().decode()
            for line in head.split(b"\r\n")
            if line.lower().startswith(b"sec-websocket-key:")
        )
        sock.sendall(
            b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            b"Sec-WebSocket-Accept: " + compute_accept(key).encode() + b"\r\n\r\n"
            b"\x81\x0blast words!"
        )
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


def test_capture_survives_the_peer_hanging_up_during_the_actions() -> None:
    def hang_up_at_once(sock: socket.socket, head: bytes) -> None:
        key = next(
            line.split(b":", 1)[1].strip().decode()
            for line in head.split(b"\r\n")
            if line.lower().startswith(b"sec-websocket-key:")
        )
        sock.sendall(
            b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            b"Sec-WebSocket-Accept: " + compute_accept(key).encode() + b"\r\n\r\n"
        )
        sock.shutdown(socket.SHUT_WR)
        time.sleep(0.5)

    sends = [arg for i in range(300) for arg in ("--send", f"m{i}")]
    with thread_server(hang_up_at_once) as port:
        result = cli("capture", f"ws://127.0.0.1:{port}/", "--no-deflate", *sends)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    (reason,) = result.stderr.splitlines()
    assert reason.startswith("ws-inspector capture: the connection did not close cleanly")


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
    ],
)
def test_capture_usage_errors(args: list[str], words: str) -> None:
    result = cli("capture", "ws://127.0.0.1:9/", *args)
    assert result.returncode == 2
    (reason,) = result.stderr.splitlines()
    assert reason.startswith("ws-inspector capture: ") and reason.endswith(words)
    assert result.stdout == ""


def test_capture_strict_mode_reports_the_violation(tmp_path: Path) -> None:
    received: list[bytes] = []

    def bad_utf8(sock: socket.socket, head: bytes) -> None:
        key = next(
            line.split(b":", 1)[1].strip().decode()
            for line in head.split(b"\r\n")
            if line.lower().startswith(b"sec-websocket-key:")
        )
        sock.sendall(
            b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            b"Sec-WebSocket-Accept: " + compute_accept(key).encode() + b"\r\n\r\n"
            b"\x81\x02ok\x81\x02\xff\xfe"
        )
        with contextlib.suppress(OSError):
            while chunk := sock.recv(4096):
                received.append(chunk)

    with thread_server(bad_utf8) as port:
        result = cli("capture", f"ws://127.0.0.1:{port}/", "--strict", "--no-deflate")
    assert result.returncode == 1
    (reason,) = result.stderr.splitlines()
    assert reason.startswith("ws-inspector capture: protocol: failing the connection with 1007")
    assert "invalid-utf8" in reason
    assert "! RFC 6455 §8.1: invalid UTF-8" in result.stdout
    data = b"".join(received)
    assert data[0] == 0x88 and data[1] & 0x80  # a masked close frame...
    key, payload = data[2:6], data[6 : 6 + (data[1] & 0x7F)]
    code = bytes(b ^ key[i % 4] for i, b in enumerate(payload))[:2]
    assert int.from_bytes(code, "big") == 1007  # ...with code 1007


# ----------------------------------------------------------------------- decode
SAMPLE_ARGS = {
    "client-chat.bin": ["--from", "client"],
    "rfc6455-examples.hex": ["--from", "server", "--hex"],
    "rfc6455-masked.hex": ["--from", "client", "--hex"],
    "server-deflate.bin": ["--from", "server", "--deflate"],
    "server-violations.bin": ["--from", "server"],
}


def test_every_sample_is_covered() -> None:
    assert sorted(p.name for p in SAMPLES.iterdir()) == sorted(SAMPLE_ARGS)


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
        assert set(f) == FRAME_KEYS - {"dir", "t"}
        assert f["seq"] == frame_lines.index(f)


def test_decode_client_chat() -> None:
    lines = json_lines(
        cli("decode", str(SAMPLES / "client-chat.bin"), "--from", "client", "--json").stdout
    )
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
    lines = json_lines(cli("decode", path, "--from", "server", "--json").stdout)
    found = {
        (v["rule"], v["rfc"]): v for o in lines if o["type"] == "frame" for v in o["violations"]
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
    assert lines[-1] == {
        "type": "truncated",
        "offset": 257,
        "incomplete_bytes": 8,
        "message": "the stream ends with 8 bytes of an incomplete frame",
    }
    human = cli("decode", path, "--from", "server").stdout.splitlines()
    assert "    ! RFC 6455 §5.2: reserved opcode 0x3" in human
    assert human[-1] == (
        "-- 10 frame(s), 265 bytes, 9 violation(s); "
        "the stream ends with 8 bytes of an incomplete frame"
    )


def test_decode_hex_examples() -> None:
    path = str(SAMPLES / "rfc6455-examples.hex")
    lines = json_lines(cli("decode", path, "--from", "server", "--hex", "--json").stdout)
    frame_lines = [o for o in lines if o["type"] == "frame"]
    assert [f["header_hex"] for f in frame_lines[:4]] == ["8105", "0103", "8002", "8905"]
    assert frame_lines[4]["length"] == 256 and frame_lines[4]["length_form"] == 16
    reassembled = next(o for o in lines if o["type"] == "message" and o["first_seq"] == 1)
    assert reassembled["text"] == "Hello" and reassembled["last_seq"] == 2
    # The same bytes as raw input are not hex: --hex is what makes them readable.
    raw = cli("decode", path, "--from", "server")
    assert raw.returncode == 0 and "violation" in raw.stdout


def test_decode_deflate() -> None:
    path = str(SAMPLES / "server-deflate.bin")
    lines = json_lines(cli("decode", path, "--from", "server", "--deflate", "--json").stdout)
    messages = [o for o in lines if o["type"] == "message"]
    assert [m["compressed"] for m in messages] == [True, True, True]
    assert [m["text"] for m in messages[:2]] == ["Hello", "Hello"]
    assert messages[2]["size"] == 99 and messages[2]["wire_size"] == 36
    assert all(not o["violations"] for o in lines if o["type"] == "frame")
    # Without --deflate, RSV1 is a violation and the payload is not text.
    plain = json_lines(cli("decode", path, "--from", "server", "--json").stdout)
    rules = {v["rule"] for o in plain if o["type"] == "frame" for v in o["violations"]}
    assert "reserved-bit" in rules


def test_decode_wrong_side_flags_masking() -> None:
    lines = json_lines(
        cli("decode", str(SAMPLES / "client-chat.bin"), "--from", "server", "--json").stdout
    )
    rules = [v["rule"] for o in lines if o["type"] == "frame" for v in o["violations"]]
    assert rules == ["masked-server-frame"] * 6


def test_decode_stdin_and_errors() -> None:
    piped = cli("decode", "-", "--from", "server", "--hex", stdin="81 02 68 69  # 'hi'\n")
    assert piped.returncode == 0
    assert piped.stdout.splitlines()[0].endswith('len=2  "hi"')
    bad_hex = cli("decode", "-", "--from", "server", "--hex", stdin="zz")
    assert bad_hex.returncode == 2
    assert bad_hex.stderr.startswith("ws-inspector decode: -: not valid hex")
    missing = cli("decode", "/nonexistent/stream.bin", "--from", "server")
    assert missing.returncode == 2
    assert "No such file or directory" in missing.stderr


def test_decode_shows_close_code_zero() -> None:
    # Code 0 is a code (an invalid one); only an empty close payload has none.
    rows = cli("decode", "-", "--from", "server", "--hex", stdin="8802 0000 8800").stdout
    first, violation, second = rows.splitlines()[:3]
    assert "code=0 (Invalid) reason=''" in first
    assert "close code 0" in violation
    assert second.endswith("(no code)")


def test_version_and_help() -> None:
    assert cli("--version").stdout.startswith("ws-inspector ")
    assert "capture URL" in cli("--help").stdout
