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

from ._cli_support import ROOT, Serve, cli


def test_listen_is_read_as_the_gui_reads_it(capsys: pytest.CaptureFixture[str]) -> None:
    """One parser for --listen and the GUI's dialogs: the same words for the same
    mistake (the CLI's own once called a missing port "not a number")."""
    from inspector.cli.main import main
    from inspector.engine.options import parse_listen_address

    base = ["proxy", "--upstream", "ws://127.0.0.1:9/", "--no-journal", "--listen"]
    for text in ("localhost", "127.0.0.1:http", ""):
        with pytest.raises(ValueError) as refused:
            parse_listen_address(text)
        assert main([*base, text]) == 2
        assert f"ws-inspector proxy: --listen: {refused.value}" in capsys.readouterr().err


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


# ------------------------------------------------------------ changing traffic
class RecordingServer:
    """A websockets server in a thread that keeps what it received and answers each
    message with ``reply: TEXT``, so both directions can be changed and checked."""

    def __init__(self) -> None:
        import threading

        from websockets.sync.server import ServerConnection, serve

        self.received: list[str | bytes] = []
        self.offers: list[str | None] = []

        def handler(ws: ServerConnection) -> None:
            assert ws.request is not None
            self.offers.append(ws.request.headers.get("Sec-WebSocket-Extensions"))
            for message in ws:
                self.received.append(message)
                ws.send(f"reply: {message!s}")

        self.server = serve(handler, "127.0.0.1", 0)
        self.url = f"ws://127.0.0.1:{self.server.socket.getsockname()[1]}/"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.thread.join(10)


def test_bad_rules_and_scripts_are_usage_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from inspector.cli.main import main

    base = ["proxy", "--listen", "127.0.0.1:0", "--upstream", "ws://127.0.0.1:9/", "--no-journal"]
    assert main([*base, "--replace", "client:no arrow"]) == 2
    assert "no '=>' found" in capsys.readouterr().err
    assert main([*base, "--drop", "middle:x"]) == 2
    assert "the side is client or server" in capsys.readouterr().err
    assert main([*base, "--delay", "server:soon"]) == 2
    assert "whole number of milliseconds" in capsys.readouterr().err
    script = tmp_path / "hooks.py"
    script.write_text("def on_message(conn, message):\n    return message\n")
    assert main([*base, "--script", str(script)]) == 2
    assert "defines neither on_client_message nor on_server_message" in capsys.readouterr().err


@pytest.mark.slow
def test_replace_drop_delay_and_a_script_from_the_command_line(tmp_path: Path) -> None:
    from websockets.sync.client import connect

    script = tmp_path / "shout.py"
    script.write_text(
        "def on_client_message(conn, message):\n"
        "    if message.text == 'login':\n"
        "        conn.send_text('answered by the script')\n"
        "        return None\n"
        "    return message\n"
        "\n"
        "def on_server_message(conn, message):\n"
        "    return message.text.upper() if message.text else message\n"
    )
    upstream = RecordingServer()
    proc = subprocess.Popen(
        [sys.executable, "-m", "inspector", "proxy", "--listen", "127.0.0.1:0",
         "--upstream", upstream.url, "--json", "--no-journal",
         "--replace", r"client:(\d+)=>[\1]", "--drop", "client:^secret",
         "--delay", "client:30", "--script", str(script)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT,
    )  # fmt: skip
    try:
        assert proc.stdout is not None
        first = json.loads(proc.stdout.readline())
        assert first["controls"] == [
            r"replace client:(\d+)=>[\1]",
            "drop client:^secret",
            "delay client:30",
            f"script {script}",
        ]
        with connect(first["url"], proxy=None, open_timeout=5) as ws:
            ws.send("order 66")
            ws.send("secret plan")
            ws.send("login")
            got = [ws.recv(timeout=5), ws.recv(timeout=5)]
            ws.send("last")
            got.append(ws.recv(timeout=5))
        lines = []
        while True:
            line = proc.stdout.readline()
            assert line, "the proxy stopped early"
            lines.append(json.loads(line))
            if lines[-1]["type"] == "end":
                break
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=15)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
        upstream.close()
    assert proc.returncode == 0, err
    assert upstream.received == ["order [66]", "last"]  # the dropped ones never came
    assert upstream.offers == [None]  # permessage-deflate was not offered upstream
    assert sorted(got[:2]) == ["REPLY: ORDER [66]", "answered by the script"]
    assert got[2] == "REPLY: LAST"
    done = [(o["action"], o["from"], o["by"]) for o in lines if o["type"] == "intervention"]
    assert ("note", "client", "controls") in done
    assert ("edited", "client", r"replace client:(\d+)=>[\1]") in done
    assert ("dropped", "client", "drop client:^secret") in done
    assert ("dropped", "client", "script") in done
    assert ("injected", "server", "script") in done
    assert ("edited", "server", "script") in done


@pytest.mark.slow
def test_forward_mode_prints_the_hash_a_browser_trusts(tmp_path: Path) -> None:
    import base64
    import hashlib

    from cryptography import x509
    from cryptography.hazmat.primitives import serialization

    proc = subprocess.Popen(
        [
            *(sys.executable, "-m", "inspector", "proxy", "--listen", "127.0.0.1:0"),
            *("--forward", "--ca-dir", str(tmp_path / "ca"), "--no-journal"),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    try:
        assert proc.stdout is not None
        first, second = proc.stdout.readline(), proc.stdout.readline()
    finally:
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=10)
    assert first.startswith("proxy listening on ws://127.0.0.1:") and "forward proxy" in first
    spki = second.strip().removeprefix("Chromium: --ignore-certificate-errors-spki-list=")
    assert spki != second.strip()
    # The hash is that of the key every intercepted host's certificate carries.
    from inspector.engine.proxy.ca import LocalCA

    leaf = LocalCA(tmp_path / "ca").leaf("example.org")
    der = leaf.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    assert spki == base64.b64encode(hashlib.sha256(der).digest()).decode("ascii")
    assert isinstance(leaf, x509.Certificate)
