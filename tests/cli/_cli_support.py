"""Running the command as a user runs it, and the peers it talks to.

``python -m inspector ARGS`` in a subprocess, every run bounded by a timeout;
``ws-inspector serve`` as a running process; small threaded TCP servers that answer
the opening handshake the way a test needs (rejecting it, hanging up, sending
control characters...)."""

from __future__ import annotations

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

from inspector.protocol.frames import Frame
from inspector.protocol.handshake import compute_accept

ROOT = Path(__file__).resolve().parent.parent.parent
SAMPLES = ROOT / "resources" / "samples"
FRAME_KEYS = set(Frame(0, 0, b"\x81\x00", b"").to_json()) | {"dir", "t"}
#: What a line holding a whole payload adds: the payload view chosen and its text.
VIEW_KEYS = {"view", "rendered"}
#: Characters that act on a terminal; none may reach one from a peer.
TERMINAL_CONTROLS = ("\x1b", "\x07", "\x9b", "\u202e", "\u2066", "\x08", "\r")


def cli(
    *args: str,
    stdin: str | None = None,
    timeout: float = 30,
    env: dict[str, str] | None = None,
    cwd: Path = ROOT,
) -> subprocess.CompletedProcess[str]:
    """Run ``python -m inspector ARGS`` (stdin: the text given, else nothing)."""
    return subprocess.run(
        [sys.executable, "-m", "inspector", *args],
        input=stdin if stdin is not None else "",
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=cwd,
        env={**os.environ, "PYTHONUNBUFFERED": "1"} if env is None else env,
    )


def start_cli(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "inspector", *args],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
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

    def __init__(self, *args: str) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "inspector", "serve", *args],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            cwd=ROOT,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        self._pump_thread = threading.Thread(target=self._pump, daemon=True)
        self._pump_thread.start()
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
        finally:
            # The pipe is read to its end, then closed (no file left for the GC).
            self._pump_thread.join(5)
            assert self.proc.stdout is not None
            self.proc.stdout.close()


@contextlib.contextmanager
def running_serve(*args: str) -> Iterator[Serve]:
    server = Serve(*args)
    try:
        yield server
    finally:
        status = server.stop()
        assert status == 0, f"serve exited with {status}"


# -------------------------------------------------------------- hand-made peers
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


def request_key(head: bytes) -> str:
    return next(
        line.split(b":", 1)[1].strip().decode()
        for line in head.split(b"\r\n")
        if line.lower().startswith(b"sec-websocket-key:")
    )


def upgrade_response(
    head: bytes, *, status: bytes = b"Switching Protocols", extra: bytes = b""
) -> bytes:
    """A valid 101 answer to the request ``head`` (with ``extra`` header lines)."""
    return (
        b"HTTP/1.1 101 " + status + b"\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        b"Sec-WebSocket-Accept: "
        + compute_accept(request_key(head)).encode()
        + b"\r\n"
        + extra
        + b"\r\n"
    )


def read_until_eof(sock: socket.socket) -> bytes:
    """What the client sends until it closes (or 5 s of silence)."""
    received = b""
    with contextlib.suppress(OSError):
        while chunk := sock.recv(65536):
            received += chunk
    return received


def unmask_frames(data: bytes) -> list[tuple[int, bytes, bytes]]:
    """The masked client frames in ``data``: (first header byte, header, unmasked payload)."""
    found = []
    i = 0
    while i + 2 <= len(data):
        b0, b1 = data[i], data[i + 1]
        n = b1 & 0x7F
        j = i + 2
        if n == 126:
            n, j = int.from_bytes(data[j : j + 2], "big"), j + 2
        elif n == 127:
            n, j = int.from_bytes(data[j : j + 8], "big"), j + 8
        key = data[j : j + 4] if b1 & 0x80 else b"\0\0\0\0"
        j += 4 if b1 & 0x80 else 0
        payload = bytes(b ^ key[k % 4] for k, b in enumerate(data[j : j + n]))
        found.append((b0, data[i:j], payload))
        i = j + n
    return found
