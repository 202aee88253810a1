"""The timeline's "Show payloads as" menu: a view forced for the whole connection.

Built from the payload view registry of the store shown, so that a format added to
the registry appears here without a change in the window. The menu is a plain
:class:`QMenu` the caller adds to its context menu (the copy menu does, see
:mod:`inspector.gui.copyout.menu`).
"""

from __future__ import annotations

from PySide6.QtGui import QActionGroup
from PySide6.QtWidgets import QMenu, QWidget

from .model import FrameTableModel

__all__ = ["BEST_VIEW", "payload_view_menu"]

#: The entry that gives every payload its best view again.
BEST_VIEW = "Best view for each payload"


def payload_view_menu(model: FrameTableModel, parent: QWidget) -> QMenu:
    """``Show payloads as ▸`` with one checkable entry per registered view, the view
    forced for the connection checked (or :data:`BEST_VIEW`)."""
    menu = QMenu("Show payloads as", parent)
    menu.setObjectName("payloadViewMenu")
    menu.setAccessibleName("Show payloads as")
    menu.setToolTip(
        "Show every payload of this connection with one view (where it can read it); "
        "the raw views are always in the detail pane's switcher"
    )
    conv = model.conversation
    menu.setEnabled(conv is not None)
    group = QActionGroup(menu)
    group.setExclusive(True)
    current = model.forced_view()
    best = menu.addAction(BEST_VIEW)
    best.setObjectName("payloadViewBest")
    best.setCheckable(True)
    best.setChecked(current is None)
    best.triggered.connect(lambda *_: model.force_view(None))
    group.addAction(best)
    if conv is None:
        return menu
    menu.addSeparator()
    for view in conv.registry:
        act = menu.addAction(view.title)
        act.setObjectName(f"payloadView_{view.name}")
        act.setCheckable(True)
        act.setChecked(view.name == current)
        act.triggered.connect(lambda *_, name=view.name: model.force_view(name))
        group.addAction(act)
    return menu
