"""The proxy in the window: File > New proxy… (:mod:`.dialog`), the proxy tab
(:mod:`.view`, its table :mod:`.model`), and the window's hooks (:mod:`.tabs`).

The names load on first use (PEP 562): the window imports :mod:`.tabs` alone at
start, and the rest (the engine's proxy, its CA's cryptography) with the first proxy.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ...lazy import lazy_exports

if TYPE_CHECKING:
    from .dialog import NewProxyDialog
    from .tabs import ProxyTabs
    from .view import ProxyView

__all__ = ["NewProxyDialog", "ProxyTabs", "ProxyView"]

_MODULE_OF = {"NewProxyDialog": ".dialog", "ProxyTabs": ".tabs", "ProxyView": ".view"}

__getattr__ = lazy_exports(__name__, _MODULE_OF)
