"""Where the data folder and its journals live (no reading or writing here).

Its own module so that the window can know its folders at start without loading
the journal's writer and the capture format it uses; :mod:`.journal` re-exports
these names.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Final

__all__ = ["DATA_DIR_ENV", "data_dir", "journal_dir", "journal_names"]

#: Environment variable that moves the data folder (journals live in its ``journal``).
DATA_DIR_ENV: Final = "WS_INSPECTOR_DATA_DIR"


def data_dir(override: str | os.PathLike[str] | None = None) -> Path:
    """The user's ws-inspector data folder: ``override``, else ``$WS_INSPECTOR_DATA_DIR``,
    else ``$XDG_DATA_HOME/ws-inspector``, else ``~/.local/share/ws-inspector``
    (``%LOCALAPPDATA%\\ws-inspector`` on Windows). Not created here."""
    if override:
        return Path(override)
    env = os.environ.get(DATA_DIR_ENV)
    if env:
        return Path(env)
    if sys.platform == "win32":  # pragma: no cover - not tested on this platform
        local = os.environ.get("LOCALAPPDATA")
        if local:
            return Path(local) / "ws-inspector"
    xdg = os.environ.get("XDG_DATA_HOME")
    base = Path(xdg) if xdg and os.path.isabs(xdg) else Path.home() / ".local" / "share"
    return base / "ws-inspector"


def journal_dir(data: str | os.PathLike[str] | None = None) -> Path:
    """Where journals live: ``journal`` in :func:`data_dir`."""
    return data_dir(data) / "journal"


def journal_names(folder: str | os.PathLike[str]) -> list[str]:
    """The names of the journals in ``folder``, sorted (none when it does not exist).
    Listing them needs no reader: the window looks at start, and loads the journal's
    reader and the capture format only when there is one to look into."""
    try:
        names = os.listdir(folder)
    except (FileNotFoundError, NotADirectoryError):
        return []
    return sorted(n for n in names if n.endswith(".jsonl") and not n.startswith("."))
