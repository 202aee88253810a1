"""ws-inspector: see and shape every WebSocket frame on the wire."""

from __future__ import annotations

__version__ = "0.1.0"
