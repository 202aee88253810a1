"""Names for captures: a file name to suggest when saving, a title for a capture
kept in a tab of its own. Both say where the capture is from (the host) and when
it started, so that several captures of one server stay apart."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

if TYPE_CHECKING:
    import datetime

__all__ = ["capture_title", "host_of", "suggested_file_name"]

#: What a file name may hold of a host: letters, digits, dots and dashes.
_UNSAFE = re.compile(r"[^A-Za-z0-9.\-]+")


def host_of(url: str) -> str:
    """``echo.example:8765`` for ``wss://user@echo.example:8765/x`` (the URL itself
    when it has no network location)."""
    try:
        netloc = urlsplit(url).netloc
    except ValueError:
        return url
    return netloc.rsplit("@", 1)[-1] if netloc else url


def _local_time(unix: float) -> datetime.datetime:
    import datetime  # with the first name asked for (~1.8 ms; the window's start asks none)

    try:
        return datetime.datetime.fromtimestamp(unix)
    except (OverflowError, OSError, ValueError):
        return datetime.datetime.fromtimestamp(0)


def suggested_file_name(url: str, started_unix: float, suffix: str = "jsonl") -> str:
    """``echo.example_8765-20240501-120000.jsonl``: host, local start time, suffix."""
    host = _UNSAFE.sub("_", host_of(url)).strip("._")[:60] or "capture"
    return f"{host}-{_local_time(started_unix):%Y%m%d-%H%M%S}.{suffix}"


def capture_title(url: str, started_unix: float) -> str:
    """``echo.example:8765 12:00:05``: the tab title of a capture that was kept when
    its tab connected again."""
    return f"{host_of(url) or 'capture'} {_local_time(started_unix):%H:%M:%S}"
