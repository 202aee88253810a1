"""The server's seat in the window: File > New server… (:mod:`.dialog`), the server
tab (:mod:`.view`, its table :mod:`.model`), and the window's hooks (:mod:`.tabs`).

The names load on first use (PEP 562): the window imports :mod:`.tabs` alone at
start, and the engine's server with the first server tab.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .dialog import NewServerDialog
    from .tabs import ServerTabs
    from .view import ServerView

__all__ = ["NewServerDialog", "ServerTabs", "ServerView"]

_MODULE_OF = {"NewServerDialog": ".dialog", "ServerTabs": ".tabs", "ServerView": ".view"}


def __getattr__(name: str) -> object:
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(module, __name__), name)
