"""Writing a file whole or not at all."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from typing import IO

__all__ = ["atomic_text_file"]


@contextlib.contextmanager
def atomic_text_file(path: str | os.PathLike[str]) -> Iterator[IO[str]]:
    """A UTF-8 text file (``\\n`` line ends) that appears under ``path`` only when the
    ``with`` block completes: it is written under a temporary name in the same
    directory and renamed into place, so a failed save (disk full, an exception)
    never leaves a half-written file there, nor replaces the file that was. The file
    is readable by its owner only (``mkstemp``'s mode 0600): captures and HAR files
    hold handshake headers, and so often cookies and tokens."""
    target = os.fspath(path)
    fd, tmp = tempfile.mkstemp(
        prefix=f".{os.path.basename(target)}.", suffix=".tmp", dir=os.path.dirname(target) or "."
    )
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as out:
            yield out
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
