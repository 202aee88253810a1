"""The frame timeline pane: a table model over a :class:`CaptureStore` and its view.

- :mod:`.model`: :class:`FrameTableModel`, the Qt model reading the store's columns;
- :mod:`.filters`: what the timeline shows (Qt-free, column-wide);
- :mod:`.fragments`: where a frame sits in a fragmented message (Qt-free);
- :mod:`.columns`: the columns and item roles;
- :mod:`.icons`, :mod:`.delegates`: brackets, marks and search-hit painting;
- :mod:`.filter_bar`, :mod:`.flow`: the filter controls, wrapping in a narrow window;
- :mod:`.view`: :class:`TimelineView`, the pane itself.

The Summary column is :func:`inspector.views.preview.frame_preview`: the payload view
registry's summary of each visible row (:mod:`inspector.views.conversation`).
"""

from __future__ import annotations

from ...views.preview import PREVIEW_CHARS
from .columns import (
    COL_DIR,
    COL_FIN,
    COL_KEY,
    COL_LENGTH,
    COL_MASK,
    COL_OPCODE,
    COL_PAYLOAD,
    COL_ROW,
    COL_RSV,
    COL_TIME,
    COLUMNS,
    FRAGMENT_ROLE,
    STORE_ROW_ROLE,
)
from .filters import KINDS, FrameFilter
from .fragments import FIRST_FRAGMENT, INSIDE_MESSAGE, LAST_FRAGMENT, MIDDLE_FRAGMENT
from .icons import fragment_icons
from .model import FrameTableModel
from .view import TimelineView

__all__ = [
    "COLUMNS",
    "COL_DIR",
    "COL_FIN",
    "COL_KEY",
    "COL_LENGTH",
    "COL_MASK",
    "COL_OPCODE",
    "COL_PAYLOAD",
    "COL_ROW",
    "COL_RSV",
    "COL_TIME",
    "FIRST_FRAGMENT",
    "FRAGMENT_ROLE",
    "INSIDE_MESSAGE",
    "KINDS",
    "LAST_FRAGMENT",
    "MIDDLE_FRAGMENT",
    "PREVIEW_CHARS",
    "STORE_ROW_ROLE",
    "FrameFilter",
    "FrameTableModel",
    "TimelineView",
    "fragment_icons",
]
