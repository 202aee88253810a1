"""The message library: saved messages in folders, with variables expanded at send
time, kept in the data folder and exchanged as JSON files (docs/library.md).

Qt-free and without I/O beyond its own file, beside the engine in the layers: it
builds on the protocol's crafting (a saved frame is a :class:`CraftedFrame`), the
capture formats' atomic writer and data folder, and the views (an item is shown with
a payload view, a timeline row becomes an item). The window (``gui.library``) and,
later, the command line use it; the engine never needs it.
"""

from .items import FrameBits, ItemError, ItemKind, LibraryItem, Outgoing, prepare
from .store import Library, LibraryError, Opened, default_library_path
from .variables import Expander, VariableError, unknown_variables

__all__ = [
    "Expander",
    "FrameBits",
    "ItemError",
    "ItemKind",
    "Library",
    "LibraryError",
    "LibraryItem",
    "Opened",
    "Outgoing",
    "VariableError",
    "default_library_path",
    "prepare",
    "unknown_variables",
]
