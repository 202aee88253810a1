"""``ws-inspector replay``, in-process (``main(argv)``) against websockets servers in
a thread, and once as a user runs it against ``ws-inspector serve``."""

from __future__ import annotations

import json
import queue
import signal
import threading
from pathlib import Path

import pytest

from inspector.cli.main import main

from ._automation_support import shout, websockets_server
from ._cli_support import Serve, cli, json_lines, start_cli


def _capture(url: str, path: Path, *actions: str) -> None:
    # Closed after a wait: a close sent at once may overtake the server's answers.
    argv = ["capture", url, *actions, "--wait", "0.3", "-o", str(path), "--no-journal"]
    assert main(argv) == 0


def test_replay_compares_the_same_answers(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "c.jsonl"
    with websockets_server() as url:
        _capture(url, path, "--send", "hello", "--send-binary", "0102")
        capsys.readouterr()
        out = tmp_path / "again.jsonl"
        assert (
            main(["replay", str(path), url, "--compare", "--timing", "fast", "-o", str(out)]) == 0
        )
    printed = capsys.readouterr()
    assert "~~ compared with" in printed.out and "0 differences" in printed.out
    assert printed.err == ""
    assert json.loads(out.read_text().splitlines()[0])["type"] == "session"


def test_different_answers_fail_with_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "c.jsonl"
    with websockets_server() as url:
        _capture(url, path, "--send", "hello", "--send", "bye")
    capsys.readouterr()
    with websockets_server(shout) as url:
        status = main(["replay", str(path), url, "--compare", "--json"])
    printed = capsys.readouterr()
    assert status == 1
    lines = json_lines(printed.out)
    diffs = [o for o in lines if o["type"] == "compare"]
    assert [(d["difference"], d["index"]) for d in diffs] == [("payload", 1), ("payload", 2)]
    assert diffs[0]["captured"] == "text 'hello'" and diffs[0]["received"] == "text 'HELLO'"
    [reason] = printed.err.splitlines()
    assert reason.startswith("ws-inspector replay: the answers differ from the capture's (2 ")
    assert "first: message 1 different" in reason


def test_usage_errors_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["replay", str(tmp_path / "none.jsonl"), "ws://127.0.0.1:9/"]) == 2
    assert "cannot read" in capsys.readouterr().err
    path = tmp_path / "c.jsonl"
    with websockets_server() as url:
        _capture(url, path, "--send", "x")
    capsys.readouterr()
    assert main(["replay", str(path), "ws://127.0.0.1:9/", "--timing", "soon"]) == 2
    err = capsys.readouterr().err
    assert err == (
        "ws-inspector replay: 'soon' is not original, fast or a number (a factor on the "
        "captured gaps)\n"
    )


def test_a_server_that_is_gone_is_a_connection_failure(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "c.jsonl"
    with websockets_server() as url:
        _capture(url, path, "--send", "x")
    capsys.readouterr()
    assert main(["replay", str(path), url, "--compare"]) == 1
    [reason] = capsys.readouterr().err.splitlines()
    assert reason.startswith("ws-inspector replay: tcp: connection to 127.0.0.1")


@pytest.mark.slow
def test_replay_against_serve_as_a_user_runs_it(serve: Serve, tmp_path: Path) -> None:
    path = tmp_path / "c.har"
    made = cli("capture", serve.url, "--send", "hi", "--close", "1000", "-o", str(path))
    assert made.returncode == 0, made.stderr
    result = cli("replay", str(path), serve.url, "--compare", "--frames", "--timing", "0.5")
    assert result.returncode == 0, result.stderr
    assert "~~ compared with" in result.stdout and "0 differences" in result.stdout
    assert result.stderr == (
        "ws-inspector replay: note: the capture holds messages, not frames (HAR): its "
        "messages are sent\n"
    )


@pytest.mark.slow
def test_ctrl_c_ends_a_slow_replay_cleanly_with_everything_written(
    serve: Serve, tmp_path: Path
) -> None:
    path = tmp_path / "c.jsonl"
    # The capture closes 0.2 s after its messages.
    made = cli("capture", serve.url, "--send", "first", "--send", "x", "--wait", "0.2",
               "-o", str(path), "--no-journal")  # fmt: skip
    assert made.returncode == 0, made.stderr
    out = tmp_path / "again.jsonl"
    # Gaps a thousand times longer: the replay would close after minutes.
    proc = start_cli("replay", str(path), serve.url, "--timing", "1000", "-o", str(out))
    try:
        stdout = proc.stdout
        assert stdout is not None
        lines: queue.Queue[str] = queue.Queue()

        def pump() -> None:
            for line in stdout:
                lines.put(line)

        threading.Thread(target=pump, daemon=True).start()
        while not lines.get(timeout=15).startswith("<- #1"):  # the second answer
            pass
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.communicate()
    written = [json.loads(line) for line in out.read_text().splitlines()]
    closed = [o for o in written if o["type"] == "state" and o["state"] == "closed"]
    assert closed and closed[-1]["clean"] is True
