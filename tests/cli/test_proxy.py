"""``ws-inspector proxy`` as a user runs it: the listening line, every capture line
with its connection and side, a file per connection, and a clean stop on Ctrl+C."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from inspector.capture.events import ErrorCaptured, HandshakeCaptured, HandshakeLeg
from inspector.capture.formats.jsonl import read_jsonl
from inspector.cli.proxy import parse_listen

from ._cli_support import ROOT, Serve, cli


def test_listen_addresses() -> None:
    assert parse_listen("127.0.0.1:0") == ("127.0.0.1", 0)
    assert parse_listen("[::1]:8080") == ("::1", 8080)
    assert parse_listen(":9000") == ("127.0.0.1", 9000)
    with pytest.raises(ValueError, match="port"):
        parse_listen("127.0.0.1:http")


@pytest.mark.slow
def test_json_lines_name_the_connection_and_the_side(serve: Serve, tmp_path: Path) -> None:
    from websockets.sync.client import connect

    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "inspector",
            "proxy",
            "--listen",
            "127.0.0.1:0",
            "--upstream",
            serve.url,
            "--json",
            "-o",
            str(tmp_path / "out"),
            "--no-journal",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    try:
        assert proc.stdout is not None
        first = json.loads(proc.stdout.readline())
        assert first["type"] == "listening" and first["mode"] == "reverse"
        assert first["ca"] is None
        with connect(first["url"] + "chat?x=1", proxy=None, open_timeout=5) as ws:
            ws.send("one")
            assert ws.recv(timeout=5) == "one"
        # The connection's end line comes when it is closed on both legs.
        lines = []
        while True:
            line = proc.stdout.readline()
            assert line, "the proxy stopped early"
            obj = json.loads(line)
            lines.append(obj)
            if obj["type"] == "end":
                break
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=15)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, err
    assert {obj["conn"] for obj in lines} == {1}
    assert lines[0]["type"] == "session" and lines[0]["role"] == "proxy"
    frames = [obj for obj in lines if obj["type"] == "frame"]
    assert {(f["from"], f["dir"]) for f in frames} == {("client", "out"), ("server", "in")}
    halves = [obj for obj in lines if obj["type"] == "handshake"]
    assert [(h["from"], h["leg"]) for h in halves] == [
        ("client", "client"),
        ("client", "upstream"),
        ("server", "upstream"),
        ("server", "client"),
    ]
    saved = read_jsonl(tmp_path / "out" / "conn-1.jsonl")
    assert saved.complete, saved.problems
    assert len(saved.store) == len(frames)
    assert saved.store.session.url.endswith("/chat?x=1")
    legs = [e.leg for e in saved.store.events if isinstance(e, HandshakeCaptured)]
    assert legs == [
        HandshakeLeg.CLIENT,
        HandshakeLeg.UPSTREAM,
        HandshakeLeg.UPSTREAM,
        HandshakeLeg.CLIENT,
    ]


@pytest.mark.slow
def test_capture_goes_through_the_forward_proxy_with_its_connect_shown(
    serve: Serve, tmp_path: Path
) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "inspector", "proxy", "--listen", "127.0.0.1:0", "--forward",
         "--json", "--no-journal", "--ca-dir", str(tmp_path / "ca")],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT,
    )  # fmt: skip
    try:
        assert proc.stdout is not None
        first = json.loads(proc.stdout.readline())
        assert first["mode"] == "forward" and first["ca"].endswith(".pem")
        port = first["url"].rsplit(":", 1)[1].strip("/")
        done = cli(
            "capture", serve.url, "--send", "hi", "--json", "--no-journal",
            "--proxy", f"http://127.0.0.1:{port}",
        )  # fmt: skip
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=15)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert done.returncode == 0, done.stderr
    request = next(
        json.loads(line) for line in done.stdout.splitlines() if '"type":"handshake"' in line
    )
    assert request["via"]["kind"] == "http"
    assert request["via"]["target"] == serve.url.split("/")[2]
    proxied = [json.loads(line) for line in out.splitlines()]
    assert {p["conn"] for p in proxied} == {1}
    assert any(p["type"] == "frame" and p["from"] == "client" for p in proxied)
    assert proc.returncode == 0, err


@pytest.mark.slow
def test_ctrl_c_closes_open_connections_and_writes_their_files(
    serve: Serve, tmp_path: Path
) -> None:
    from websockets.exceptions import ConnectionClosed
    from websockets.sync.client import connect

    proc = subprocess.Popen(
        [sys.executable, "-m", "inspector", "proxy", "--listen", "127.0.0.1:0",
         "--upstream", serve.url, "--json", "-o", str(tmp_path), "--no-journal"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT,
    )  # fmt: skip
    try:
        assert proc.stdout is not None
        first = json.loads(proc.stdout.readline())
        with connect(first["url"], proxy=None, open_timeout=5) as ws:
            ws.send("still here")
            assert ws.recv(timeout=5) == "still here"
            proc.send_signal(signal.SIGINT)
            with pytest.raises(ConnectionClosed):
                ws.recv(timeout=10)
            code = ws.close_code
        _, err = proc.communicate(timeout=15)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, err
    assert code == 1001
    saved = read_jsonl(tmp_path / "conn-1.jsonl")
    assert saved.complete
    assert any(isinstance(e, ErrorCaptured) and "1001" in e.message for e in saved.store.events)


def test_export_ca_alone_writes_the_certificate(tmp_path: Path) -> None:
    pem = tmp_path / "ca.pem"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "inspector",
            "proxy",
            "--listen",
            ":0",
            "--ca-dir",
            str(tmp_path / "ca"),
            "--export-ca",
            str(pem),
        ],
        capture_output=True,
        text=True,
        timeout=30,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr
    assert pem.read_bytes().startswith(b"-----BEGIN CERTIFICATE-----")
    assert (tmp_path / "ca" / "ws-inspector-ca.key").stat().st_mode & 0o777 == 0o600


def test_no_mode_is_a_usage_error() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "inspector", "proxy", "--listen", ":0"],
        capture_output=True,
        text=True,
        timeout=30,
        cwd=ROOT,
    )
    assert result.returncode == 2
    assert "--upstream" in result.stderr
