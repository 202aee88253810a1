"""The proxy in the window: File > New proxy… (:mod:`.dialog`), the proxy tab
(:mod:`.view`, its table :mod:`.model`), and the window's hooks (:mod:`.tabs`)."""

from __future__ import annotations

from .dialog import NewProxyDialog
from .tabs import ProxyTabs
from .view import ProxyView

__all__ = ["NewProxyDialog", "ProxyTabs", "ProxyView"]
