"""The window's message library (the model is :mod:`inspector.library`).

The names load on first use (PEP 562): the window imports :mod:`.window` at start,
and the dock's panel (:mod:`.panel`) loads when the dock is first shown.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ...lazy import lazy_exports

if TYPE_CHECKING:
    from .panel import LibraryPanel
    from .window import WindowLibrary

__all__ = ["LibraryPanel", "WindowLibrary"]

_MODULE_OF = {"LibraryPanel": ".panel", "WindowLibrary": ".window"}

__getattr__ = lazy_exports(__name__, _MODULE_OF)
