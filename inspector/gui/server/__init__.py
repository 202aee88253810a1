"""The server's seat in the window: File > New server… (:mod:`.dialog`), the server
tab (:mod:`.view`, its table :mod:`.model`), and the window's hooks (:mod:`.tabs`)."""

from __future__ import annotations

from .dialog import NewServerDialog
from .tabs import ServerTabs
from .view import ServerView

__all__ = ["NewServerDialog", "ServerTabs", "ServerView"]
