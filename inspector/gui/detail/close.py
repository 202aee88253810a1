"""The Close tab: a close frame's code, its meaning, its reason, and what is wrong."""

from __future__ import annotations

from PySide6.QtWidgets import QFormLayout, QLabel, QWidget

from ...protocol.frames import Frame
from ...views.frame_fields import close_fields
from ..timeline.icons import deliberate_color
from ..widgets import theme
from .common import make_label

__all__ = ["CloseTab"]

_ROWS = (
    ("code", "Code"),
    ("name", "Name"),
    ("meaning", "Meaning"),
    ("reason", "Reason"),
    ("valid", "On the wire"),
    ("violations", "Problems"),
)


class CloseTab(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("closePage")
        form = QFormLayout(self)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
        self.labels: dict[str, QLabel] = {}
        for key, title in _ROWS:
            label = make_label(self, f"close_{key}", f"Close {title.lower()}")
            form.addRow(f"{title}:", label)
            self.labels[key] = label
        #: What the tab shows: code, name, meaning, reason, valid, violations.
        self.fields: dict[str, str] = {}

    def show_close(self, frame: Frame) -> None:
        f = self.fields = close_fields(frame.payload, frame.violations)
        for key, label in self.labels.items():
            label.setText(f.get(key, ""))
        th = theme.current(self.palette())
        ours = bool(frame.violations) and all(v.deliberate for v in frame.violations)
        color = deliberate_color(th) if ours else th.violation
        self.labels["violations"].setStyleSheet(
            f"color: {color.name()};" if f["violations"] != "none" else ""
        )

    def clear(self) -> None:
        self.fields = {}
