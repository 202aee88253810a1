"""``--expect``, ``--within`` and ``--expect-close`` on ``capture`` and ``replay``,
in-process against websockets servers in a thread: exit statuses, the one-line
reason, the JSON lines."""

from __future__ import annotations

from pathlib import Path

import pytest

from inspector.capture.formats.jsonl import write_jsonl
from inspector.capture.store import CaptureStore
from inspector.cli.main import main
from inspector.engine.connection import new_session
from inspector.protocol.constants import Role

from ._automation_support import greet_then_echo, login_server, websockets_server
from ._cli_support import Serve, cli, json_lines

BASE = ("--no-journal", "--wait", "0.1")


def test_expectations_that_hold_exit_0(capsys: pytest.CaptureFixture[str]) -> None:
    with websockets_server(greet_then_echo) as url:
        status = main(
            ["capture", url, *BASE, "--expect", "^welcome$", "--send", "ping me",
             "--expect", "ping", "--within", "2", "--send", "quit", "--expect-close", "4001"]
        )  # fmt: skip
    printed = capsys.readouterr()
    assert status == 0, printed.err
    assert "?? --expect '^welcome$' held" in printed.out
    assert "?? --expect-close 4001 held" in printed.out
    assert printed.err == ""


def test_a_failed_expectation_exits_1_with_what_arrived(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with websockets_server() as url:
        status = main(
            ["capture", url, *BASE, "--send", "hello", "--expect", "bye", "--within", "0.3",
             "--send", "never sent", "--expect", "never", "--json"]
        )  # fmt: skip
    printed = capsys.readouterr()
    assert status == 1
    assert printed.err == (
        "ws-inspector capture: expectation 1 failed: --expect 'bye' after --send 'hello': "
        "no match within 0.3 s; arrived instead: text 'hello'\n"
    )
    lines = json_lines(printed.out)
    assert lines[0]["type"] == "session"
    # The capture first, then one line per expectation.
    expects = [o for o in lines if o["type"] == "expect"]
    assert lines[-2:] == expects
    assert expects[0]["ok"] is False and expects[0]["pattern"] == "bye"
    assert expects[0]["waited"] >= 0.3
    assert expects[1] == {
        "type": "expect",
        "ok": False,
        "pattern": "never",
        "waited": 0.0,
        "reason": "not checked: an earlier one failed",
    }
    sent = [o.get("text") for o in lines if o["type"] == "frame" and o["dir"] == "out"]
    assert "never sent" not in sent  # a failure stops the actions


def test_an_expectation_after_the_server_closed_still_sees_its_last_words(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with websockets_server(greet_then_echo) as url:
        status = main(["capture", url, *BASE, "--send", "quit", "--send", "x", "--expect-close",
                       "4001", "--expect", "x", "--within", "30"])  # fmt: skip
    err = capsys.readouterr().err
    assert status == 1
    assert err.startswith("ws-inspector capture: expectation 2 failed: --expect 'x' after ")
    assert "the connection ended (code 4001 (private use) 'bye') before a match" in err


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["--within", "1"], "--within follows an --expect or --expect-close"),
        (["--expect", "(unclosed"], "--expect '(unclosed': not a regular expression"),
        (["--expect-close", "70000"], "--expect-close 70000: a close code is 0-65535"),
    ],
)
def test_usage_errors_exit_2(
    args: list[str], said: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["capture", "ws://127.0.0.1:9/", *BASE, *args]) == 2
    assert capsys.readouterr().err.startswith(f"ws-inspector capture: {said}")


def test_a_connection_failure_is_the_reason_not_the_unchecked_expectation(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with websockets_server() as url:
        pass  # gone: nothing listens there any more
    assert main(["capture", url, *BASE, "--expect", "x", "--json"]) == 1
    printed = capsys.readouterr()
    assert printed.err.startswith("ws-inspector capture: tcp: connection to 127.0.0.1")
    [line] = [o for o in json_lines(printed.out) if o["type"] == "expect"]
    assert line["reason"] == "not checked: the session ended first"


def test_replay_checks_expectations_from_the_open(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "c.jsonl"
    with websockets_server(greet_then_echo) as url:
        assert main(["capture", url, *BASE, "--send", "hi", "-o", str(path)]) == 0
        capsys.readouterr()
        held = main(["replay", str(path), url, "--timing", "fast", "--wait", "0.1",
                     "--expect", "welcome", "--expect", "^hi$", "--json"])  # fmt: skip
        out = capsys.readouterr().out
        failed = main(["replay", str(path), url, "--timing", "fast", "--wait", "0.1",
                       "--expect", "^hi$", "--expect", "welcome", "--within", "30"])  # fmt: skip
        err = capsys.readouterr().err
    assert held == 0
    assert [o["ok"] for o in json_lines(out) if o["type"] == "expect"] == [True, True]
    assert failed == 1
    # The capture's close is replayed too: it ends the wait.
    assert err == (
        "ws-inspector replay: expectation 2 failed: --expect 'welcome' after --expect "
        "'^hi$': the connection ended (code 1000 (normal closure)) before a match; nothing "
        "arrived\n"
    )


# ----------------------------------------------------------------------- scripts
SCRIPTS = Path(__file__).resolve().parent.parent.parent / "resources" / "scripts"


def test_the_example_login_script_logs_in(capsys: pytest.CaptureFixture[str]) -> None:
    with websockets_server(login_server) as url:
        status = main(["capture", url, *BASE, "--script", str(SCRIPTS / "login.py"),
                       "--expect", '"welcome"', "--within", "3"])  # fmt: skip
    printed = capsys.readouterr()
    assert status == 0, printed.err
    assert printed.err == (
        "ws-inspector capture: script: answered the login request as demo\n"
        "ws-inspector capture: script: logged in: demo\n"
    )


def test_a_hook_that_raises_is_on_stderr_with_its_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    script = tmp_path / "raises.py"
    script.write_text(
        "def on_message(conn, message):\n    raise ValueError('\\x1b[31m' + message.text)\n"
    )
    with websockets_server() as url:
        status = main(["capture", url, *BASE, "--script", str(script), "--send", "a",
                       "--expect", "a", "--send", "b", "--expect", "b"])  # fmt: skip
    err = capsys.readouterr().err.splitlines()
    assert status == 0  # the connection went on, the expectations held
    assert err[0] == ("ws-inspector capture: script: error: on_message raised ValueError: \\e[31ma")
    assert err[1] == "    Traceback (most recent call last):"
    assert err[2].startswith("      File ") and err[2].endswith('raises.py", line 2, in on_message')
    assert "\x1b" not in "".join(err)
    assert sum(line.startswith("ws-inspector capture: script: error:") for line in err) == 2


@pytest.mark.parametrize("command", ["capture", "serve", "replay"])
def test_a_script_that_cannot_load_exits_2(
    command: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = str(tmp_path / "none.py")
    capture = tmp_path / "empty.jsonl"
    write_jsonl(CaptureStore(new_session("ws://x/", Role.CLIENT)), capture)
    argv = {
        "capture": ["capture", "ws://127.0.0.1:9/"],
        "serve": ["serve"],
        "replay": ["replay", str(capture), "ws://127.0.0.1:9/"],
    }[command]
    assert main([*argv, "--script", missing]) == 2
    assert capsys.readouterr().err == (
        f"ws-inspector {command}: --script: cannot read {missing}: No such file or directory\n"
    )


@pytest.mark.slow
def test_serve_and_capture_scripts_as_a_user_runs_them() -> None:
    serve = Serve("--script", str(SCRIPTS / "login_server.py"))
    try:
        result = cli("capture", serve.url, "--script", str(SCRIPTS / "login.py"),
                     "--expect", "welcome", "--within", "5", "--no-journal")  # fmt: skip
        assert result.returncode == 0, result.stderr
        assert "script: logged in: demo" in result.stderr
        serve.wait_for(lambda line: "script: [1] closed 1000 user demo" in line)
    finally:
        serve.stop()
