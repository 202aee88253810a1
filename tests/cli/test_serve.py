"""``ws-inspector serve``: the URL first, a console of what happens, and what a peer
sends it shown escaped."""

from __future__ import annotations

import base64
import os
import socket
import time

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


# ------------------------------------------------------- answering a client's way
def test_reject_refuses_with_the_status_and_says_so() -> None:
    from websockets.exceptions import InvalidStatus
    from websockets.sync.client import connect

    with running_serve("--reject", "451") as server:
        with pytest.raises(InvalidStatus) as caught:
            connect(server.url, open_timeout=5)
        response = caught.value.response
        assert response.status_code == 451
        assert b"refused by ws-inspector serve --reject" in response.body
        logged = server.wait_for(lambda line: "** closed" in line)
        assert "[1] -> HTTP/1.1 451 Unavailable For Legal Reasons" in logged


def test_subprotocol_on_connect_and_no_echo() -> None:
    from websockets.sync.client import connect
    from websockets.typing import Subprotocol

    args = ("--subprotocol", "chat", "--on-connect", "hello", "--no-echo")
    with running_serve(*args) as server:
        offered = [Subprotocol("v2"), Subprotocol("chat")]
        with connect(server.url, subprotocols=offered, open_timeout=5, compression=None) as ws:
            assert ws.subprotocol == "chat"
            assert ws.recv(timeout=5) == "hello"
            ws.send("not echoed")
            assert ws.ping(b"still answered").wait(5)
        logged = server.wait_for(lambda line: "** closed" in line)
    sent = [line for line in logged if line.startswith("[1] -> ")]
    # What the server sent: the message on connect, the pong, the close reply.
    assert len(sent) == 3
    assert "TEXT" in sent[0] and "hello" in sent[0]
    assert "PONG" in sent[1] and "CLOSE" in sent[2]
    assert not any("not echoed" in line for line in sent)


def test_delay_handshake_answers_late() -> None:
    from websockets.sync.client import connect

    with running_serve("--delay-handshake", "0.5", "--quiet") as server:
        started = time.monotonic()
        with connect(server.url, open_timeout=10) as ws:
            waited = time.monotonic() - started
            ws.send("echo")
            assert ws.recv(timeout=5) == "echo"
    assert waited >= 0.5


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (("--reject", "101"), "--reject: a refusal's status must be a final HTTP status"),
        (("--delay-handshake", "-2"), "--delay-handshake: the handshake delay cannot be negative"),
        (("--subprotocol", "a,b"), "--subprotocol: 'a,b' is not a subprotocol name"),
    ],
)
def test_options_that_make_no_server_are_refused(args: tuple[str, ...], words: str) -> None:
    result = cli("serve", *args, timeout=30)
    assert result.returncode == 2
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"ws-inspector serve: {words}")
    assert result.stdout == ""


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
