"""Names a package exports but imports only when first used (PEP 562).

A package that re-exports names from its modules would import every one of them
with itself; with ``__getattr__ = lazy_exports(__name__, {...})`` each name's module
is imported when the name is first looked up, so that what the window's first
screen does not use does not load with it. Kept in the lowest layer (it is no part
of the protocol) because every layer's packages may import it from there, and the
protocol's own packages may import nothing above it.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from importlib import import_module

__all__ = ["lazy_exports"]


def lazy_exports(package: str, homes: Mapping[str, str]) -> Callable[[str], object]:
    """A module ``__getattr__`` for ``package``: each name of ``homes`` from its module
    (relative to ``package``, as ``".view"`` or ``"...views.frame_fields"``),
    imported on first use and kept in the package, so that later lookups are plain."""

    def __getattr__(name: str) -> object:
        home = homes.get(name)
        if home is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(import_module(home, package), name)
        setattr(sys.modules[package], name, value)
        return value

    return __getattr__
