"""The "Check server" pane: the probe battery run from the window.

:mod:`.controller` runs the battery and hands results over in batches;
:mod:`.model` holds them as Qt models; :mod:`.delegates` paints the grade badge;
:mod:`.grades` and :mod:`.text` say it in colours and words; :mod:`.export` saves a
report; :mod:`.view` is the tab.
"""

from __future__ import annotations

from .controller import ProbeController, probe_options
from .delegates import GradeBadgeDelegate
from .grades import GRADE_COLORS, GRADE_HELP
from .model import ProbeFilterModel, ProbeResultsModel
from .view import ProbeView

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
