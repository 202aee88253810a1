"""``ws-inspector serve``: the URL first, a console of what happens, and what a peer
sends it shown escaped."""

from __future__ import annotations

import base64
import os
import socket

import pytest

from ._cli_support import TERMINAL_CONTROLS, Serve, cli, running_serve

pytestmark = pytest.mark.slow


def test_serve_prints_its_url_first(serve: Serve) -> None:
    assert serve.url.startswith("ws://127.0.0.1:") and serve.url.endswith("/")
    assert serve.seen[0] == serve.url
    int(serve.url.rsplit(":", 1)[1].rstrip("/"))


def _port(url: str) -> int:
    return int(url.rsplit(":", 1)[1].rstrip("/"))


def test_a_hostile_request_line_is_shown_escaped(serve: Serve) -> None:
    key = base64.b64encode(os.urandom(16))
    with socket.create_connection(("127.0.0.1", _port(serve.url)), timeout=5) as sock:
        sock.sendall(
            b"GET /\x1b]0;pwned\x07\xc2\x9b31m\xe2\x80\xae HTTP/1.1\r\nHost: x\r\n"
            b"Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: "
            + key
            + b"\r\nSec-WebSocket-Version: 13\r\n\r\n"
        )
        assert sock.recv(4096).startswith(b"HTTP/1.1 400 ")
    logged = serve.wait_for(lambda line: "** closed" in line)
    request = next(line for line in logged if "<- GET /" in line)
    assert "\\e]0;pwned\\x07" in request
    for line in logged:
        assert not any(c in line for c in TERMINAL_CONTROLS), repr(line)


def test_serve_says_when_it_cannot_listen() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = cli("serve", "--port", str(port), timeout=30)
    assert result.returncode == 1
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"ws-inspector serve: cannot listen on 127.0.0.1:{port}: ")
    assert result.stdout == ""


def test_serve_takes_the_capture_budget_and_logging_options() -> None:
    with running_serve("--max-capture", "16", "--log-level", "info", "--quiet") as server:
        assert server.url.startswith("ws://127.0.0.1:")


@pytest.mark.slow
def test_serve_answers_pings_late_or_never() -> None:
    """``--pong-delay`` and ``--no-auto-pong``, seen by a websockets client's ping."""
    from websockets.sync.client import connect

    def round_trip(*args: str) -> bool:
        with running_serve("--quiet", *args) as server, connect(server.url) as ws:
            return ws.ping(b"are-you-there").wait(0.5)

    assert round_trip()
    assert round_trip("--pong-delay", "100")
    assert not round_trip("--pong-delay", "2000")
    assert not round_trip("--no-auto-pong")


def test_serve_refuses_a_pong_delay_with_no_auto_pong() -> None:
    result = cli("serve", "--no-auto-pong", "--pong-delay", "5", timeout=30)
    assert result.returncode == 2
    assert "choose one" in result.stderr
