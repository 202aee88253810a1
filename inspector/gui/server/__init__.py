"""The server's seat in the window: File > New server… (:mod:`.dialog`), the server
tab (:mod:`.view`, its table :mod:`.model`), and the window's hooks (:mod:`.tabs`).

The names load on first use (PEP 562): the window imports :mod:`.tabs` alone at
start, and the engine's server with the first server tab.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ...lazy import lazy_exports

if TYPE_CHECKING:
    from .dialog import NewServerDialog
    from .tabs import ServerTabs
    from .view import ServerView

__all__ = ["NewServerDialog", "ServerTabs", "ServerView"]

_MODULE_OF = {"NewServerDialog": ".dialog", "ServerTabs": ".tabs", "ServerView": ".view"}

__getattr__ = lazy_exports(__name__, _MODULE_OF)
