"""The frame detail pane: every bit of one frame, explained.

- :mod:`.view`: :class:`FrameDetailView`, the pane (summary line and tabs);
- :mod:`.summary`: the one-line summary; :mod:`.header_tab`: the Header tab, with
  :mod:`.bits` (the RFC 6455 figure) and :mod:`.field_table`;
- :mod:`.masking`, :mod:`.close`, :mod:`.message`, :mod:`.violations`: those tabs;
- :mod:`.payload`: the payload in tabs, one per way of showing it
  (:mod:`.payload_views`: :mod:`.hexview`, :mod:`.text_view`, :mod:`.json_view`).

What the pane says about a frame (fields, message kind, close codes, masking) is
worked out Qt-free in :mod:`inspector.views.frame_fields`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ...lazy import lazy_exports

if TYPE_CHECKING:
    from ...views.frame_fields import PAYLOAD_FIELD, BitField, describe_fields, header_fields
    from .bits import HeaderBitsWidget
    from .hexview import BYTES_PER_LINE, HexView, format_line
    from .json_view import JSON_CAP, JSON_TEXT_CAP, JsonHighlighter
    from .masking import MASK_ROWS
    from .payload import PayloadPane
    from .text_view import TEXT_CAP, TEXT_MAX
    from .view import FrameDetailView

# Each name from its module when first used (PEP 562): the window's first screen
# imports the view alone, and the view its tabs' modules with the first frame.
_HOMES = {
    "PAYLOAD_FIELD": "...views.frame_fields",
    "BitField": "...views.frame_fields",
    "describe_fields": "...views.frame_fields",
    "header_fields": "...views.frame_fields",
    "HeaderBitsWidget": ".bits",
    "BYTES_PER_LINE": ".hexview",
    "HexView": ".hexview",
    "format_line": ".hexview",
    "JSON_CAP": ".json_view",
    "JSON_TEXT_CAP": ".json_view",
    "JsonHighlighter": ".json_view",
    "MASK_ROWS": ".masking",
    "PayloadPane": ".payload",
    "TEXT_CAP": ".text_view",
    "TEXT_MAX": ".text_view",
    "FrameDetailView": ".view",
}

__getattr__ = lazy_exports(__name__, _HOMES)


__all__ = [
    "BYTES_PER_LINE",
    "JSON_CAP",
    "JSON_TEXT_CAP",
    "MASK_ROWS",
    "PAYLOAD_FIELD",
    "TEXT_CAP",
    "TEXT_MAX",
    "BitField",
    "FrameDetailView",
    "HeaderBitsWidget",
    "HexView",
    "JsonHighlighter",
    "PayloadPane",
    "describe_fields",
    "format_line",
    "header_fields",
]
