"""A dismissible one-line banner, the base of the error and notes banners."""

from __future__ import annotations

from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QToolButton, QWidget

from . import theme

__all__ = ["DismissibleBanner"]


class DismissibleBanner(QFrame):
    """A framed label with a ✕ button that hides it; starts hidden.

    ``name`` prefixes the object names (``name``, ``nameText``, ``nameClose``) that tests
    and stylesheets find the parts by; the accessible names are for screen readers.
    """

    def __init__(
        self,
        name: str,
        *,
        accessible: str,
        text_accessible: str,
        close_accessible: str,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName(name)
        self.setAccessibleName(accessible)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.label = QLabel(self)
        self.label.setObjectName(f"{name}Text")
        self.label.setAccessibleName(text_accessible)
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.close_button = QToolButton(self)
        self.close_button.setObjectName(f"{name}Close")
        self.close_button.setAccessibleName(close_accessible)
        self.close_button.setText("\u2715")
        self.close_button.setAutoRaise(True)
        self.close_button.setToolTip("Dismiss")
        self.close_button.clicked.connect(self.hide)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 4, 4, 4)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.close_button, 0, Qt.AlignmentFlag.AlignTop)
        self._restyling = False
        self.hide()

    # ------------------------------------------------------------- colours
    def _has_content(self) -> bool:
        """Whether there is anything to re-colour (subclasses say what they show)."""
        return bool(self.label.text())

    def _restyle(self) -> None:
        """Colour the banner from the current palette; subclasses override."""

    def _style(self, color: QColor, amount: float) -> None:
        tint = theme.blend(theme.current().base, color, amount)
        self.setStyleSheet(
            f"QFrame#{self.objectName()} {{ background: {tint.name()}; border: 1px solid "
            f"{color.name()}; border-radius: 3px; }}"
        )

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        # Follow a light/dark switch; visibility is left alone, so a dismissed banner
        # stays dismissed.
        if (
            event.type() == QEvent.Type.PaletteChange
            and self._has_content()
            and not self._restyling
        ):
            self._restyling = True  # our own style sheet must not bring us back here
            try:
                self._restyle()
            finally:
                self._restyling = False
