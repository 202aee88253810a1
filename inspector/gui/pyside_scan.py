"""PySide6's scan of every imported module, without keeping each module's source.

Importing PySide6 replaces ``builtins.__import__``; after each import it asks
whether the module's source names ``PySide6`` (to give the modules that do a default
for its ``__feature__`` switches), through ``inspect.getsource``: that goes through
``linecache``, which keeps every line of every module imported after PySide6 for
the life of the process. For the window that was ~170 files and ~60,000 lines:
~7 MiB of its idle RSS and ~20 ms of its start (measured, bench_startup.py).

:func:`install` answers the same question from the file's bytes, read once and
dropped; any module this cannot read (no source file, a loader without one) goes
to PySide6's own test as before. Nothing here changes what PySide6 decides.
"""

from __future__ import annotations

import linecache
import sys
from collections.abc import Callable
from types import ModuleType

__all__ = ["install", "source_names_pyside"]

_FEATURE_MODULE = "PySide6.support.feature"
_TEST_NAME = "_mod_uses_pyside"
_NEEDLE = b"PySide6"


def source_names_pyside(module: ModuleType) -> bool | None:
    """Whether ``module``'s source file names PySide6; None when it has no ``.py``
    file to read."""
    spec = getattr(module, "__spec__", None)
    origin = getattr(spec, "origin", None)
    if origin == "frozen":  # the stdlib's frozen modules (codecs, abc, stat) name their file
        origin = getattr(module, "__file__", None)
    if not isinstance(origin, str) or not origin.endswith(".py"):
        return None
    try:
        with open(origin, "rb") as source:
            return _NEEDLE in source.read()
    except OSError:
        return None


def install() -> bool:
    """Replace PySide6's test (once; PySide6 must be imported). Returns whether the
    test was found: a PySide6 without it (another version) is left alone."""
    feature = sys.modules.get(_FEATURE_MODULE)
    original: Callable[[ModuleType], bool] | None = getattr(feature, _TEST_NAME, None)
    if feature is None or original is None or getattr(original, "_reads_bytes", False):
        return original is not None

    def uses_pyside(module: ModuleType) -> bool:
        found = source_names_pyside(module)
        return original(module) if found is None else found

    uses_pyside._reads_bytes = True  # type: ignore[attr-defined]
    setattr(feature, _TEST_NAME, uses_pyside)
    # What PySide6's own test read until now (its package, and every module the
    # importer imported first: ~20,000 lines, ~1.6 MiB for the window) would stay
    # in linecache for good; it is only a cache (a traceback reads the file again).
    linecache.clearcache()
    return True
