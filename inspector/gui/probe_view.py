"""Kept for the imports of other areas during the restructuring: the pane lives in
:mod:`inspector.gui.probe`."""

from __future__ import annotations

from .probe import (
    GRADE_COLORS,
    GRADE_HELP,
    GradeBadgeDelegate,
    ProbeController,
    ProbeFilterModel,
    ProbeResultsModel,
    ProbeView,
    probe_options,
)

__all__ = [
    "GRADE_COLORS",
    "GRADE_HELP",
    "GradeBadgeDelegate",
    "ProbeController",
    "ProbeFilterModel",
    "ProbeResultsModel",
    "ProbeView",
    "probe_options",
]
