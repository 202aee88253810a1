"""Names a package exports but imports only when first used (PEP 562).

A package (or module) that re-exports names from other modules would import every
one of them with itself; with ``__getattr__ = lazy_exports(__name__, {...})`` each
name's module is imported when the name is first looked up, so that what the window's
first screen does not use does not load with it. Like :mod:`inspector.logs`, it is in
no layer and imports nothing of ``inspector``: any layer may use it.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from importlib import import_module

__all__ = ["lazy_exports"]


def lazy_exports(module: str, homes: Mapping[str, str]) -> Callable[[str], object]:
    """A module ``__getattr__`` for ``module``: each name of ``homes`` from its home
    (relative as the module's own imports are, as ``".view"`` or
    ``"...views.frame_fields"``), imported on first use and kept in the module, so
    that later lookups are plain."""

    def __getattr__(name: str) -> object:
        home = homes.get(name)
        if home is None:
            raise AttributeError(f"module {module!r} has no attribute {name!r}")
        owner = sys.modules[module]
        value = getattr(import_module(home, owner.__package__), name)
        setattr(owner, name, value)
        return value

    return __getattr__
