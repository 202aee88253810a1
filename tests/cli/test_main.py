"""The one parser: the window's arguments and every command's, the logging options
everywhere, and ``--help`` / ``--version``."""

from __future__ import annotations

import pytest

from inspector import __version__
from inspector.cli import COMMANDS, main, parse_args
from inspector.cli.main import parse_window_args
from inspector.logs import LOG_LEVELS

from ._cli_support import SAMPLES, Serve, cli

#: The least each command needs to parse.
MINIMAL = {
    "window": [],
    "decode": ["stream.bin", "--from", "client"],
    "capture": ["ws://127.0.0.1:9/"],
    "replay": ["c.jsonl", "ws://127.0.0.1:9/"],
    "serve": [],
    "proxy": ["--listen", "127.0.0.1:0", "--forward"],
    "probe": ["ws://127.0.0.1:9/"],
    "convert": ["a.jsonl", "b.har"],
}


def test_every_command_is_covered() -> None:
    assert sorted(MINIMAL) == sorted(COMMANDS)


@pytest.mark.parametrize(
    ("argv", "target", "demo"),
    [
        ([], None, False),
        (["ws://example.com/"], "ws://example.com/", False),
        (["capture.jsonl", "--debug"], "capture.jsonl", False),
        (["--demo"], None, True),
        (["--log-level", "info", "--demo"], None, True),
        (["window", "session.har"], "session.har", False),
    ],
)
def test_a_command_line_without_a_command_is_the_window(
    argv: list[str], target: str | None, demo: bool
) -> None:
    ns = parse_args(argv)
    assert (ns.command, ns.target, ns.demo) == ("window", target, demo)
    assert parse_window_args([a for a in argv if a != "window"]).target == target


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize(
    ("flags", "level", "debug"),
    [
        ([], "warning", False),
        (["--log-level", "DEBUG"], "debug", False),
        (["--debug"], "warning", True),
    ],
)
def test_every_command_takes_the_logging_options(
    command: str, flags: list[str], level: str, debug: bool
) -> None:
    ns = parse_args([command, *MINIMAL[command], *flags])
    assert ns.command == command
    assert (ns.log_level, ns.debug) == (level, debug)
    assert ns.log_level in LOG_LEVELS


def test_an_unknown_log_level_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        parse_args(["decode", "x", "--from", "client", "--log-level", "chatty"])
    assert exited.value.code == 2
    assert "--log-level" in capsys.readouterr().err


def test_version_and_help(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--version"])
    assert capsys.readouterr().out == f"ws-inspector {__version__}\n"
    with pytest.raises(SystemExit):
        main(["--help"])
    text = capsys.readouterr().out
    assert "ws-inspector [URL | FILE] [--demo]" in text and "capture URL" in text
    for command in COMMANDS:
        assert command in text


@pytest.mark.slow
def test_debug_logging_goes_to_standard_error() -> None:
    quiet = cli("decode", str(SAMPLES / "client-chat.bin"), "--from", "client")
    assert quiet.returncode == 0 and quiet.stderr == ""
    loud = cli("decode", str(SAMPLES / "client-chat.bin"), "--from", "client", "--debug")
    assert loud.returncode == 0
    assert f"DEBUG   inspector.cli.main: ws-inspector {__version__}, Python " in loud.stderr
    assert loud.stdout == quiet.stdout  # logging never mixes into the output


@pytest.mark.slow
def test_log_level_debug_shows_the_engine_state_changes(serve: Serve) -> None:
    result = cli("capture", serve.url, "--close", "1000", "--log-level", "debug")
    assert result.returncode == 0, result.stderr
    assert "inspector.engine.connection: state open" in result.stderr
    assert "inspector.engine.connection: state closed code=1000" in result.stderr


def test_a_commands_usage_names_the_command_only() -> None:
    # It used to begin "ws-inspector [URL | FILE] [--demo] ... capture [-h] ...": the
    # window's usage glued in front of the command's.
    import argparse

    from inspector.cli.main import build_parser

    (commands,) = [a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction)]
    sub = commands.choices["capture"]
    assert sub.format_usage().startswith("usage: ws-inspector capture [-h]")
