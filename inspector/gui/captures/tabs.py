"""Read-only tabs: a capture held in memory (a probe case, a HAR entry, a recovered
journal) shown in a tab of its own."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..window.session_panel import SessionPanel

if TYPE_CHECKING:
    from ...capture.store import CaptureStore
    from ..window.main_window import MainWindow

__all__ = ["open_store_tab", "target_panel"]


def open_store_tab(
    window: MainWindow,
    store: CaptureStore,
    name: str,
    *,
    kind: str = "file",
    badge: str | None = None,
    path: str | None = None,
    message: str = "",
    fatal: bool = False,
    reuse_empty: bool = False,
) -> SessionPanel:
    """Show ``store`` read-only in a new tab titled ``name`` (or in the current tab
    when it is still empty and ``reuse_empty``). The state badge says ``kind``
    (``file``, ``probe``, ``recovered``) and ``badge`` (default: ``name``);
    ``message`` goes to the banner (as a failure when ``fatal``, else a warning)."""
    panel = window.current_panel()
    if not (reuse_empty and panel is not None and panel.controller.store is None):
        panel = window.new_session()
    panel.title_override = name
    panel.banner.clear()
    panel.handshake.clear()
    panel.detail.clear()
    panel.controller.show_store(store, path)
    panel.bar.set_url(panel.controller.url)
    panel.bar.set_source(badge if badge is not None else name, kind)
    if message:
        panel.banner.show_error("open", message, fatal=fatal)
    panel.titleChanged.emit(panel.title)
    return panel


def target_panel(window: MainWindow) -> SessionPanel:
    """The current tab when it is still empty, else a new one."""
    panel = window.current_panel()
    if panel is None or panel.controller.store is not None:
        panel = window.new_session()
    return panel
