"""Logging for the window and every command: one setup, one format, on standard error.

Each module logs to ``logging.getLogger(__name__)``; :func:`setup_logging` decides
what is shown. ``--log-level LEVEL`` picks the level and ``--debug`` is the debug
level with timestamps (what a bug report wants). Nothing else of ``inspector`` is
imported here, so that any layer may use it and it works before anything is set up.
"""

from __future__ import annotations

import logging
import sys
from typing import Any, Final, TextIO

__all__ = ["DEFAULT_LOG_LEVEL", "LOG_LEVELS", "setup_logging"]

#: The level names ``--log-level`` accepts, most verbose first.
LOG_LEVELS: Final = ("debug", "info", "warning", "error", "critical")
DEFAULT_LOG_LEVEL: Final = "warning"

_PLAIN_FORMAT: Final = "%(name)s: %(message)s"
_DEBUG_FORMAT: Final = "%(asctime)s.%(msecs)03d %(levelname)-7s %(name)s: %(message)s"


class _Handler(logging.StreamHandler[Any]):
    """Our handler, told apart from handlers that others (pytest, a host program)
    installed, so that setting up again replaces ours and leaves theirs alone."""


def _level_number(level: str | int) -> int:
    if isinstance(level, int):
        return level
    name = level.strip().lower()
    if name not in LOG_LEVELS:
        raise ValueError(f"unknown log level {level!r}: use one of {', '.join(LOG_LEVELS)}")
    return int(getattr(logging, name.upper()))


def setup_logging(
    level: str | int = DEFAULT_LOG_LEVEL, *, debug: bool = False, stream: TextIO | None = None
) -> int:
    """Send log records of ``level`` and above (``debug`` forces the debug level and a
    timestamped format) to ``stream`` (standard error by default, looked up when a
    record is written so that a replaced ``sys.stderr`` is honoured). Returns the
    level set. Calling it again replaces the previous setup."""
    number = logging.DEBUG if debug else _level_number(level)
    root = logging.getLogger()
    for old in [h for h in root.handlers if isinstance(h, _Handler)]:
        root.removeHandler(old)
        old.close()
    # A StreamHandler keeps the stream it was given; standard error is looked up per
    # record instead, so that a redirected sys.stderr still gets the records.
    handler = _Handler(stream if stream is not None else _StandardError())
    fmt = _DEBUG_FORMAT if number <= logging.DEBUG else _PLAIN_FORMAT
    handler.setFormatter(logging.Formatter(fmt, datefmt="%H:%M:%S"))
    root.addHandler(handler)
    root.setLevel(number)
    # Warnings from the warnings module (deprecations and the like) join the log.
    logging.captureWarnings(True)
    return number


class _StandardError:
    """Whatever ``sys.stderr`` is at the time of the write."""

    def write(self, text: str) -> int:
        stream = sys.stderr
        if stream is None:  # pythonw, or a closed console: nowhere to write
            return 0
        return stream.write(text)

    def flush(self) -> None:
        stream = sys.stderr
        if stream is not None:
            stream.flush()
