"""What HAR export and import share: the credential headers, times as HAR writes
them, URLs as they are only described."""

from __future__ import annotations

import datetime
from typing import Final
from urllib.parse import urlsplit

__all__ = ["SECRET_HEADERS", "WITHHELD", "iso_time", "split_url"]

#: Header names (lower case) whose values exports leave out unless asked.
SECRET_HEADERS: Final = frozenset({"cookie", "set-cookie", "authorization", "proxy-authorization"})
#: What a left-out header value is replaced by.
WITHHELD: Final = "[withheld by ws-inspector]"


def iso_time(unix: float) -> str:
    """``2024-05-01T12:00:00.123Z``, as JavaScript's ``Date.toJSON`` writes it."""
    try:
        when = datetime.datetime.fromtimestamp(unix, datetime.UTC)
    except (OverflowError, OSError, ValueError):
        when = datetime.datetime.fromtimestamp(0, datetime.UTC)
    return when.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def split_url(url: str) -> tuple[str, str]:
    """The path and query of ``url``; empty for a URL ``urlsplit`` refuses (a bad
    IPv6 literal such as ``ws://[::1/``): a file's URL is only described, not used."""
    try:
        split = urlsplit(url)
    except ValueError:
        return "", ""
    return split.path, split.query
