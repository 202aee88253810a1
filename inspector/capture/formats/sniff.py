"""Which reader a file needs, from its name and first bytes."""

from __future__ import annotations

import os

__all__ = ["looks_like_har"]

#: How much of a file is read to tell a HAR file from a capture.
SNIFF_BYTES = 4096


def looks_like_har(path: str | os.PathLike[str]) -> bool:
    """A ``.har`` name, or a JSON object with a ``"log"`` early on that is not a
    capture's session line (a capture starts with ``{"type"``)."""
    name = os.fspath(path).lower()
    try:
        with open(path, "rb") as f:
            head = f.read(SNIFF_BYTES)
    except OSError:
        return name.endswith(".har")
    head = head.removeprefix(b"\xef\xbb\xbf").lstrip()
    if head.startswith(b'{"type"'):
        return False
    if name.endswith(".har"):
        return True
    return head.startswith(b"{") and b'"log"' in head
