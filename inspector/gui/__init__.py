"""The Qt layer. Importing it imports PySide6 and makes PySide6's scan of every later
import read sources without keeping them (see :mod:`.pyside_scan`)."""

from __future__ import annotations

import PySide6

from .pyside_scan import install as _install_pyside_scan

_install_pyside_scan()
del PySide6
