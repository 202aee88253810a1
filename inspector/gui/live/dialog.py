"""What the New proxy and New server dialogs share: the listen address, the line
that says what is wrong, and the buttons.

Non-modal: opened with ``open()``; ``accepted`` fires only once the fields make a
run (:meth:`ListenDialog.problem` is None); read the address with
:meth:`ListenDialog.listen_address`. A subclass adds its own fields, says what else
is wrong (:meth:`ListenDialog._problem`) and lays them out with
:meth:`ListenDialog.finish`.
"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import pairwise

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QLayout,
    QLayoutItem,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from ..session.support import parse_listen_address
from ..widgets import theme
from ..widgets.naming import named

__all__ = ["ListenDialog"]


def _in_layout_order(item: QLayoutItem) -> Iterator[QWidget]:
    """The widgets that take Tab under ``item``, in the order they are laid out
    (a form's rows, a box's items), inside group boxes and button boxes too."""
    widget = item.widget()
    if widget is not None and widget.focusPolicy() & Qt.FocusPolicy.TabFocus:
        yield widget
    layout = widget.layout() if widget is not None else item.layout()
    if layout is None:
        return
    for i in range(layout.count()):
        child = layout.itemAt(i)
        if child is not None:
            yield from _in_layout_order(child)


class ListenDialog(QDialog):
    """``prefix`` starts the controls' object names (``proxy``: proxyListen,
    proxyProblem, proxyCancel); ``what`` runs ("proxy"); ``ok`` is the OK button's
    text and ``ok_name`` its object name."""

    def __init__(
        self,
        parent: QWidget | None,
        *,
        name: str,
        title: str,
        prefix: str,
        what: str,
        listen: str,
        ok: str,
        ok_name: str,
    ) -> None:
        super().__init__(parent)
        named(self, name, title)
        self.setWindowTitle(title)
        self.setModal(False)
        self.listen_edit = QLineEdit(listen, self)
        named(
            self.listen_edit,
            f"{prefix}Listen",
            "Listen address",
            f"HOST:PORT the {what} listens on; port 0 picks a free one",
        )
        self.problem_label = QLabel(self)
        named(self.problem_label, f"{prefix}Problem", "What is wrong")
        self.problem_label.setWordWrap(True)
        self.problem_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.problem_label.hide()
        self._ok = (ok, ok_name, f"{prefix}Cancel")

    def finish(self, *parts: QLayout | QWidget, width: int) -> None:
        """Lay out ``parts`` top to bottom, then the problem line and the buttons
        (made now, so that they come last in the focus chain)."""
        ok, ok_name, cancel_name = self._ok
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        ok_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        ok_button.setText(ok)
        named(ok_button, ok_name, ok)
        cancel = self.buttons.button(QDialogButtonBox.StandardButton.Cancel)
        named(cancel, cancel_name, "Cancel")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        for part in parts:
            if isinstance(part, QLayout):
                layout.addLayout(part)
            else:
                layout.addWidget(part)
        layout.addWidget(self.problem_label)
        layout.addWidget(self.buttons)
        # Tab follows the layout, not the order the widgets were made in: a widget
        # made without a parent joins the chain only when it is laid out, after the
        # buttons. The listen field, made first, stays first: Qt's setTabOrder orders
        # the ring but never moves where the window enters it.
        for before, after in pairwise(_in_layout_order(layout)):
            QWidget.setTabOrder(before, after)
        self.resize(width, self.sizeHint().height())

    # ------------------------------------------------------------- reading
    def listen_address(self) -> tuple[str, int]:
        """Raises ValueError (see :meth:`problem`)."""
        return parse_listen_address(self.listen_edit.text())

    def _problem(self) -> str | None:
        """What else is wrong with the subclass's fields, or None."""
        return None

    def problem(self) -> str | None:
        """Why these fields make no run, or None."""
        try:
            self.listen_address()
        except ValueError as exc:
            return str(exc)
        return self._problem()

    # ------------------------------------------------------------- actions
    def accept(self) -> None:
        problem = self.problem()
        if problem is not None:
            self.show_problem(problem)
            return
        self.problem_label.hide()
        super().accept()

    def show_problem(self, text: str) -> None:
        self.problem_label.setText(text)
        self.problem_label.setStyleSheet(f"color: {theme.current().violation.name()};")
        self.problem_label.show()
