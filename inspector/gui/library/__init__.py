"""The window's message library (the model is :mod:`inspector.library`)."""

from .panel import LibraryPanel
from .window import WindowLibrary

__all__ = ["LibraryPanel", "WindowLibrary"]
