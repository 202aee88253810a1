"""The window's message library (the model is :mod:`inspector.library`).

The names load on first use (PEP 562): the window imports :mod:`.window` at start,
and the dock's panel (:mod:`.panel`) loads when the dock is first shown.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .panel import LibraryPanel
    from .window import WindowLibrary

__all__ = ["LibraryPanel", "WindowLibrary"]

_MODULE_OF = {"LibraryPanel": ".panel", "WindowLibrary": ".window"}


def __getattr__(name: str) -> object:
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(module, __name__), name)
