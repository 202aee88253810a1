"""Captures in the window: stores shown read-only in their own tab.

:func:`open_store_tab` shows a capture held in memory (a probe case's connection, a
HAR entry, a recovered journal) in a tab of its own, read-only, with an optional
message in the tab's banner.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..capture.store import CaptureStore
from .session_panel import SessionPanel

if TYPE_CHECKING:
    from .window import MainWindow

__all__ = ["open_store_tab"]


def open_store_tab(
    window: MainWindow,
    store: CaptureStore,
    name: str,
    *,
    kind: str = "file",
    path: str | None = None,
    message: str = "",
    fatal: bool = False,
    reuse_empty: bool = False,
) -> SessionPanel:
    """Show ``store`` read-only in a new tab titled ``name`` (or in the current tab
    when it is still empty and ``reuse_empty``). ``kind`` is the first word of the
    state badge (``file``, ``probe``, ``recovered``); ``message`` goes to the banner
    (as a failure when ``fatal``, else as a warning)."""
    panel = window.current_panel()
    if not (reuse_empty and panel is not None and panel.controller.store is None):
        panel = window.new_session()
    panel.title_override = name
    panel.banner.clear()
    panel.handshake.clear()
    panel.detail.clear()
    panel.controller.show_store(store, path)
    panel.bar.set_url(panel.controller.url)
    panel.bar.set_source(name, kind)
    if message:
        panel.banner.show_error("open", message, fatal=fatal)
    panel.titleChanged.emit(panel.title)
    return panel
