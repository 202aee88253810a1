"""inspector/logs.py: one logging setup for the window and the commands."""

from __future__ import annotations

import ast
import io
import logging
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from inspector.logs import LOG_LEVELS, setup_logging


@pytest.fixture(autouse=True)
def _restore_root_logger() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    for handler in list(root.handlers):
        if handler not in handlers:
            root.removeHandler(handler)
    root.setLevel(level)


def test_levels_and_formats() -> None:
    stream = io.StringIO()
    assert setup_logging("info", stream=stream) == logging.INFO
    log = logging.getLogger("inspector.test")
    log.debug("hidden")
    log.info("shown %d", 1)
    assert stream.getvalue() == "inspector.test: shown 1\n"
    stream = io.StringIO()
    assert setup_logging("warning", debug=True, stream=stream) == logging.DEBUG
    log.debug("now shown")
    (line,) = stream.getvalue().splitlines()
    assert line.endswith(" DEBUG   inspector.test: now shown")
    assert line[2] == ":" and line[8] == "."  # HH:MM:SS.mmm first
    assert setup_logging(logging.ERROR, stream=io.StringIO()) == logging.ERROR
    assert LOG_LEVELS == ("debug", "info", "warning", "error", "critical")


def test_setting_up_again_replaces_only_our_handler() -> None:
    theirs = logging.StreamHandler(io.StringIO())
    logging.getLogger().addHandler(theirs)
    first, second = io.StringIO(), io.StringIO()
    setup_logging("warning", stream=first)
    setup_logging("warning", stream=second)
    logging.getLogger("inspector.test").warning("once")
    assert first.getvalue() == "" and second.getvalue() == "inspector.test: once\n"
    assert theirs in logging.getLogger().handlers
    logging.getLogger().removeHandler(theirs)


def test_standard_error_is_looked_up_per_record(monkeypatch: pytest.MonkeyPatch) -> None:
    setup_logging("warning")
    replaced = io.StringIO()
    monkeypatch.setattr(sys, "stderr", replaced)
    logging.getLogger("inspector.test").warning("to the new stderr")
    assert replaced.getvalue() == "inspector.test: to the new stderr\n"


def test_unknown_level() -> None:
    with pytest.raises(ValueError, match="unknown log level 'loud'"):
        setup_logging("loud")


def test_logs_imports_nothing_of_inspector() -> None:
    source = Path(__file__).resolve().parent.parent / "inspector" / "logs.py"
    tree = ast.parse(source.read_text("utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            assert node.level == 0 and not (node.module or "").startswith("inspector")
        elif isinstance(node, ast.Import):
            assert not any(a.name.startswith("inspector") for a in node.names)
