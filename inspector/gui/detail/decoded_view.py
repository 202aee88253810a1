"""The payload as the payload view registry shows it: the chosen view's text (with its
highlighting hint) and, for structured data, a tree, with a switcher listing every view
that applies (the raw ones always among them).

The tab reads its payload from the session's :class:`~inspector.views.conversation.
Conversation` (the message a last frame completes, inflated), so a view picked in the
switcher is forced for that message everywhere: the timeline's Summary column shows it
too. Payloads over :data:`RENDER_CAP` are not decoded here; the Hex tab, virtualized,
shows every byte of them.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Slot
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QSplitter,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ...views.base import Rendered, Syntax, TreeNode
from ...views.conversation import Conversation
from ...views.text import format_bytes
from ..widgets import theme
from .common import make_label, plain_edit
from .json_view import JSON_CAP, JSON_TEXT_CAP, JsonHighlighter
from .payload_views import Payload

__all__ = ["RENDER_CAP", "TREE_CAP", "DecodedPayloadView"]

#: The largest payload decoded in the tab (a view's text of a bigger one stalls Qt).
RENDER_CAP = JSON_CAP
#: Tree nodes shown; a container past it says how many it leaves out.
TREE_CAP = 5000


class DecodedPayloadView:
    """The "Decoded" tab of a payload pane (a :class:`~.payload_views.PayloadView`)."""

    title = "Decoded"

    def __init__(self, name: str, parent: QWidget) -> None:
        self.page = QWidget(parent)
        self.page.setObjectName(f"{name}DecodedPage")
        layout = QVBoxLayout(self.page)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        row = QHBoxLayout()
        shown_as = QLabel("Shown as", self.page)
        self.combo = QComboBox(self.page)
        self.combo.setObjectName(f"{name}ViewCombo")
        self.combo.setAccessibleName("Payload view")
        self.combo.setToolTip(
            "Every view that can show this payload, the best first; the one you pick is "
            "kept for this message (the timeline shows it too)"
        )
        shown_as.setBuddy(self.combo)
        self.combo.activated.connect(self._on_picked)
        row.addWidget(shown_as)
        row.addWidget(self.combo)
        row.addStretch(1)
        layout.addLayout(row)
        self.info = make_label(self.page, f"{name}DecodedInfo", "Decoded fields and errors")
        layout.addWidget(self.info)
        split = QSplitter(Qt.Orientation.Horizontal, self.page)
        split.setObjectName(f"{name}DecodedSplitter")
        self.edit = plain_edit(split, f"{name}Decoded", "Payload as the chosen view shows it")
        self.edit.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.highlighter = JsonHighlighter(self.edit.document())
        self.tree = QTreeWidget(split)
        self.tree.setObjectName(f"{name}DecodedTree")
        self.tree.setAccessibleName("Payload structure")
        self.tree.setHeaderLabels(["Key", "Value", "Type"])
        self.tree.setUniformRowHeights(True)
        split.addWidget(self.edit)
        split.addWidget(self.tree)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        layout.addWidget(split, 1)
        self._conversation: Conversation | None = None
        self._row = -1
        #: What is shown (None: nothing rendered).
        self.rendered: Rendered | None = None
        self.clear()

    @property
    def widget(self) -> QWidget:
        return self.page

    # ----------------------------------------------------------------- source
    def set_source(self, conversation: Conversation | None, row: int = -1) -> None:
        """Where the payload comes from: ``row`` of ``conversation`` (None: the tab is
        not offered)."""
        self._conversation = conversation
        self._row = row

    def accepts(self, payload: Payload) -> bool:
        return self._conversation is not None and self._row >= 0 and bool(payload.data)

    # ---------------------------------------------------------------- showing
    def load(self, payload: Payload) -> None:
        conv, row = self._conversation, self._row
        if conv is None or row < 0:
            self.clear()
            return
        data, meta = conv.payload(row)
        views = conv.registry.applicable(data, meta)
        if len(data) > RENDER_CAP:
            self._fill_combo([v.name for v in views], conv.forced(row))
            self.rendered = None
            self.info.setText(
                f"{format_bytes(len(data))} is more than this tab decodes "
                f"({format_bytes(RENDER_CAP)}): the Hex tab shows every byte."
            )
            self.info.setVisible(True)
            self.edit.setPlainText(conv.summary(row))
            self.tree.clear()
            self.tree.setVisible(False)
            return
        rendered = conv.render(row)
        self._fill_combo([v.name for v in views], rendered.view)
        self._show(rendered)

    def _fill_combo(self, names: list[str], current: str | None) -> None:
        conv = self._conversation
        assert conv is not None
        if current is not None and current not in names:
            names = [current, *names]  # a forced view that cannot read it: shown with its error
        combo = self.combo
        combo.blockSignals(True)
        combo.clear()
        for name in names:
            combo.addItem(conv.registry.get(name).title, name)
        if current is not None:
            combo.setCurrentIndex(names.index(current))
        combo.blockSignals(False)

    def _show(self, rendered: Rendered) -> None:
        self.rendered = rendered
        notes = []
        if rendered.error:
            notes.append(rendered.error)
        if rendered.fields:
            notes.append(" \u00b7 ".join(f"{k}: {v}" for k, v in rendered.fields.items()))
        self.info.setText("\n".join(notes))
        self.info.setVisible(bool(notes))
        if rendered.error:
            self.info.setStyleSheet(f"color: {theme.current().violation.name()};")
        else:
            self.info.setStyleSheet("")
        text = rendered.text
        if len(text) > JSON_TEXT_CAP:
            cut = text.rfind("\n", 0, JSON_TEXT_CAP) + 1 or JSON_TEXT_CAP
            text = text[:cut] + f"\n\u2026 ({len(rendered.text) - cut:,} more characters)"
        # Highlight JSON only: the highlighter knows JSON tokens, nothing else.
        self.highlighter.setDocument(
            self.edit.document() if rendered.syntax is Syntax.JSON else None  # type: ignore[arg-type]
        )
        # Laid-out text (JSON, hex, headers) keeps its lines; prose wraps, or a long
        # text message would be one line to scroll sideways through.
        self.edit.setLineWrapMode(
            QPlainTextEdit.LineWrapMode.WidgetWidth
            if rendered.syntax is Syntax.NONE
            else QPlainTextEdit.LineWrapMode.NoWrap
        )
        self.edit.setPlainText(text)
        self.tree.clear()
        tree = rendered.tree
        # A tree of one node (a PINGREQ, a lone number) says no more than the text:
        # the text gets the width.
        shown = tree is not None and bool(tree.children)
        self.tree.setVisible(shown)
        if tree is not None and shown:
            budget = [TREE_CAP]
            root = _item(tree, budget)
            if tree.label or tree.value:
                self.tree.addTopLevelItem(root)
                root.setExpanded(True)
            else:
                self.tree.addTopLevelItems(root.takeChildren())
            for i in range(min(self.tree.topLevelItemCount(), 50)):
                top = self.tree.topLevelItem(i)
                if top is not None:
                    top.setExpanded(True)
            self.tree.resizeColumnToContents(0)
            # Values as wide as they are (a timestamp, a topic) up to about 32
            # characters, so that the type column stays in sight in the pane's share
            # of a small window; a value cut short has its whole text as a tip.
            self.tree.resizeColumnToContents(1)
            cap = self.tree.fontMetrics().averageCharWidth() * 32
            if self.tree.columnWidth(1) > cap:
                self.tree.setColumnWidth(1, cap)

    @Slot(int)
    def _on_picked(self, index: int) -> None:
        conv = self._conversation
        name = self.combo.itemData(index)
        if conv is None or not isinstance(name, str):
            return
        conv.force(name, self._row)
        data, _ = conv.payload(self._row)
        if len(data) <= RENDER_CAP:
            self._show(conv.render(self._row))

    def clear(self) -> None:
        self.rendered = None
        self.combo.clear()
        self.edit.clear()
        self.info.clear()
        self.info.setVisible(False)
        self.tree.clear()
        self.tree.setVisible(False)


def _item(node: TreeNode, budget: list[int]) -> QTreeWidgetItem:
    budget[0] -= 1
    item = QTreeWidgetItem([node.label, node.value, node.kind])
    if len(node.value) > 24:
        item.setToolTip(1, node.value)
    for i, child in enumerate(node.children):
        if budget[0] <= 0:
            left = len(node.children) - i
            item.addChild(QTreeWidgetItem(["\u2026", f"{left:,} more not shown", ""]))
            break
        item.addChild(_item(child, budget))
    return item
