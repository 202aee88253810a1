"""PySide6's per-import scan answers as before, without keeping sources in linecache."""

from __future__ import annotations

import importlib
import inspect
import linecache
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import inspector.gui  # noqa: F401  (installs the scan)
from inspector.gui.pyside_scan import install, source_names_pyside

FEATURE = sys.modules["PySide6.support.feature"]


@pytest.fixture
def module_dir(tmp_path: Path) -> Iterator[Path]:
    sys.path.insert(0, str(tmp_path))
    yield tmp_path
    sys.path.remove(str(tmp_path))
    for name in ("scan_uses_qt", "scan_plain"):
        sys.modules.pop(name, None)


def test_modules_imported_after_pyside_get_the_same_default_and_no_cached_source(
    module_dir: Path,
) -> None:
    (module_dir / "scan_uses_qt.py").write_text("from PySide6.QtCore import QObject\nX = 1\n")
    (module_dir / "scan_plain.py").write_text("import json\nY = 2\n")
    linecache.clearcache()
    # An import statement goes through builtins.__import__, which PySide6 replaced
    # (importlib.import_module would not).
    uses_qt = __import__("scan_uses_qt")
    plain = __import__("scan_plain")
    table = FEATURE.pyside_feature_dict
    assert table["scan_uses_qt"] == 0  # "uses PySide": the switching default
    assert table["scan_plain"] == -1  # "ignore this module"
    assert uses_qt.__file__ not in linecache.cache
    assert plain.__file__ not in linecache.cache
    # What PySide6's own test (inspect.getsource) says about the same files.
    assert source_names_pyside(uses_qt) is ("PySide6" in inspect.getsource(uses_qt))
    assert source_names_pyside(plain) is ("PySide6" in inspect.getsource(plain))


def test_a_frozen_stdlib_module_is_read_from_its_file_not_cached() -> None:
    codecs = importlib.import_module("codecs")  # frozen since Python 3.11
    linecache.clearcache()
    assert __import__("codecs") is codecs  # the scan runs on every import statement
    assert codecs.__file__ not in linecache.cache
    assert source_names_pyside(codecs) is False


def test_a_module_without_a_source_file_is_left_to_pyside() -> None:
    assert source_names_pyside(sys) is None  # built in
    assert source_names_pyside(importlib.import_module("_json")) is None  # extension


def test_installing_twice_keeps_one_replacement() -> None:
    test = FEATURE._mod_uses_pyside
    assert install() is True
    assert FEATURE._mod_uses_pyside is test
