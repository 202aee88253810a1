"""The window started from the command line: a plain message instead of Qt's abort
when there is no display, and the window's own run (offscreen) otherwise."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from ._cli_support import cli

pytestmark = pytest.mark.slow

_DISPLAY_VARS = ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _DISPLAY_VARS}
    # The window's settings and journals stay in the test's folder.
    env.update(
        HOME=str(tmp_path),
        XDG_CONFIG_HOME=str(tmp_path / "config"),
        WS_INSPECTOR_DATA_DIR=str(tmp_path / "data"),
        PYTHONUNBUFFERED="1",
    )
    env.update(extra)
    return env


def test_no_display_is_a_plain_message_and_exit_1(tmp_path: Path) -> None:
    result = cli("--demo", env=_env(tmp_path), timeout=60)
    assert result.returncode == 1, result  # not -6 (SIGABRT)
    first, second = result.stderr.splitlines()
    assert first == (
        "ws-inspector: the window needs a display, and there is none: neither DISPLAY "
        "nor WAYLAND_DISPLAY is set."
    )
    assert "QT_QPA_PLATFORM=offscreen" in second
    assert "einstall" not in result.stderr  # none of Qt's advice
    assert result.stdout == ""


def test_an_x_display_without_a_server_or_libraries_is_a_plain_message(tmp_path: Path) -> None:
    # Display :59 has no X server here; if Qt's X11 libraries are missing too, that
    # is said first (with the packages to install).
    result = cli(env=_env(tmp_path, DISPLAY=":59"), timeout=60)
    assert result.returncode == 1, result
    assert result.stderr.startswith("ws-inspector: the window cannot start: ")
    assert ("apt-get install libxcb" in result.stderr) or (
        "DISPLAY=:59 is set, but no X server answers there" in result.stderr
    )
    assert "einstall" not in result.stderr


def test_the_window_runs_offscreen_with_debug_logging(tmp_path: Path) -> None:
    env = _env(tmp_path, QT_QPA_PLATFORM="offscreen", WS_INSPECTOR_QUIT_AFTER_MS="300")
    result = cli("--debug", env=env, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "inspector.cli.main: ws-inspector " in result.stderr
    assert ": window" in result.stderr
