"""The Library panel: saved messages in folders; Enter, a double-click or Send sends
the selected one to the current connection, its variables expanded.

Thin: the folders, items, variables and files are :mod:`inspector.library`'s; this
panel shows them and turns clicks into its calls. Dialogs open with ``open()``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QFileDialog,
    QGridLayout,
    QInputDialog,
    QLabel,
    QMenu,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QSizePolicy,
    QSplitter,
    QStyle,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ...library.items import LibraryItem, prepare
from ...library.preview import item_line, preview
from ...library.store import Library, LibraryError
from ...views.registry import default_registry
from ..compose.pane import ComposePane
from ..compose.tab import show
from ..widgets import theme
from ..widgets.naming import named
from .dialog import ItemDialog
from .sending import entry_for

__all__ = ["LibraryPanel"]

_ROLE = Qt.ItemDataRole.UserRole
_FILE_FILTER = "Message libraries (*.json);;All files (*)"


class LibraryPanel(QWidget):
    """``target()`` gives the compose pane of the current connection (None: none).
    ``loadRequested(item)`` asks for an item to be shown in that compose pane."""

    loadRequested = Signal(object)  # LibraryItem

    def __init__(
        self,
        library: Library,
        target: Callable[[], ComposePane | None],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("libraryPanel")
        self.setAccessibleName("Message library")
        self.library = library
        self.target = target
        #: The dialog open now (tests fill it in), if any.
        self.dialog: QWidget | None = None

        self.tree = QTreeWidget(self)
        named(self.tree, "libraryTree", "Saved messages", "Enter or double-click sends")
        self.tree.setHeaderHidden(True)
        self.tree.setFont(theme.monospace_font(-1))
        self.tree.itemActivated.connect(lambda *_: self.send_selected())
        # The Delete key deletes (asking first); a key filter, not a QShortcut, which
        # fires only in the active window.
        self.tree.installEventFilter(self)
        self.tree.currentItemChanged.connect(lambda *_: self._selection_changed())
        self.preview = QPlainTextEdit(self)
        named(self.preview, "libraryPreview", "Selected message")
        self.preview.setReadOnly(True)
        self.preview.setFont(theme.monospace_font(-1))
        self.status = QLabel(self)
        named(self.status, "libraryStatus", "Library status")
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.status.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)

        def button(
            text: str, name: str, accessible: str, slot: Callable[[], object]
        ) -> QPushButton:
            b = QPushButton(text, self)
            named(b, name, accessible)
            b.setAutoDefault(False)
            # Styles make a push button 80 px wide at least: the dock stays narrow
            # (the timeline needs the room at 1024 px) with buttons as wide as words.
            b.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
            b.setMinimumWidth(b.fontMetrics().horizontalAdvance(text) + 16)
            b.clicked.connect(lambda *_: slot())
            return b

        self.send_button = button(
            "Send", "librarySend", "Send to the current connection", self.send_selected
        )
        self.load_button = button(
            "Compose", "libraryLoad", "Open in the compose pane", self.load_selected
        )
        self.edit_button = button("Edit…", "libraryEdit", "Edit the message", self.edit_selected)
        self.delete_button = button("Delete", "libraryDelete", "Delete", self.delete_selected)
        self.folder_button = button("Folder…", "libraryNewFolder", "New folder", self.new_folder)
        # Import and export share one button (a menu): the dock stays narrow enough
        # for the compose pane's row beside it in a 1024 px window.
        self.files_button = button("Files", "libraryFiles", "Import or export", lambda: None)
        files = QMenu(self.files_button)
        files.setObjectName("libraryFilesMenu")
        self.import_action = files.addAction("Import a library file…")
        self.import_action.setObjectName("libraryImport")
        self.import_action.triggered.connect(lambda *_: self.choose_import())
        self.export_action = files.addAction("Export the library…")
        self.export_action.setObjectName("libraryExport")
        self.export_action.triggered.connect(lambda *_: self.choose_export())
        self.files_button.setMenu(files)
        grid = QGridLayout()
        grid.setSpacing(3)
        for i, b in enumerate(
            (
                self.send_button,
                self.load_button,
                self.edit_button,
                self.folder_button,
                self.delete_button,
                self.files_button,
            )
        ):
            grid.addWidget(b, i // 3, i % 3)

        split = QSplitter(Qt.Orientation.Vertical, self)
        split.setObjectName("librarySplitter")
        split.addWidget(self.tree)
        split.addWidget(self.preview)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        split.setChildrenCollapsible(False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.setSpacing(3)
        layout.addWidget(split, 1)
        layout.addLayout(grid)
        layout.addWidget(self.status)
        self.refresh()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (
            watched is self.tree
            and event.type() == QEvent.Type.KeyPress
            and isinstance(event, QKeyEvent)
            and event.key() == Qt.Key.Key_Delete
        ):
            self.delete_selected()
            return True
        return super().eventFilter(watched, event)

    # ------------------------------------------------------------------ tree
    def refresh(self, select: str | None = None) -> None:
        """Show the library again (keeping open folders and the selection)."""
        current = select if select is not None else self._selected_key()
        opened = {
            str(it.data(0, _ROLE)[1])
            for it in self._all_tree_items()
            if it.isExpanded() and it.data(0, _ROLE)[0] == "folder"
        }
        first = not self.tree.topLevelItemCount()
        self.tree.clear()
        folder_items: dict[str, QTreeWidgetItem] = {}
        folder_icon = self.style().standardIcon(QStyle.StandardPixmap.SP_DirIcon)

        def parent_of(folder: str) -> QTreeWidgetItem | None:
            return folder_items.get(folder) if folder else None

        for folder in self.library.folders:
            parent = parent_of(folder.rpartition("/")[0])
            node = QTreeWidgetItem([folder.rpartition("/")[2]])
            node.setIcon(0, folder_icon)
            node.setData(0, _ROLE, ("folder", folder))
            node.setToolTip(0, folder)
            if parent is None:
                self.tree.addTopLevelItem(node)
            else:
                parent.addChild(node)
            folder_items[folder] = node
        for item in self.library.items:
            node = QTreeWidgetItem([item_line(item)])
            node.setData(0, _ROLE, ("item", item.id))
            node.setToolTip(0, preview(item).header)
            parent = parent_of(item.folder)
            if parent is None:
                self.tree.addTopLevelItem(node)
            else:
                parent.addChild(node)
        for folder, node in folder_items.items():
            node.setExpanded(first or folder in opened)
        if current is not None:
            for it in self._all_tree_items():
                if ":".join(it.data(0, _ROLE)) == current:
                    self.tree.setCurrentItem(it)
                    for p in _ancestors(it):
                        p.setExpanded(True)
                    break
        self._selection_changed()

    def _all_tree_items(self) -> list[QTreeWidgetItem]:
        out: list[QTreeWidgetItem] = []
        stack = [self.tree.topLevelItem(i) for i in range(self.tree.topLevelItemCount())]
        while stack:
            it = stack.pop()
            if it is None:
                continue
            out.append(it)
            stack.extend(it.child(i) for i in range(it.childCount()))
        return out

    def _selected_key(self) -> str | None:
        it = self.tree.currentItem()
        return ":".join(it.data(0, _ROLE)) if it is not None else None

    def selected_item(self) -> LibraryItem | None:
        it = self.tree.currentItem()
        if it is None or it.data(0, _ROLE)[0] != "item":
            return None
        item_id = str(it.data(0, _ROLE)[1])
        return self.library.get(item_id) if item_id in self.library else None

    def selected_folder(self) -> str:
        """The folder selected, or the folder of the item selected ("" at the top)."""
        it = self.tree.currentItem()
        if it is None:
            return ""
        kind, value = it.data(0, _ROLE)
        if kind == "folder":
            return str(value)
        item = self.selected_item()
        return item.folder if item is not None else ""

    def select(self, item_id: str) -> None:
        self.refresh(select=f"item:{item_id}")

    def _selection_changed(self) -> None:
        item = self.selected_item()
        for b in (self.send_button, self.load_button, self.edit_button):
            b.setEnabled(item is not None)
        self.delete_button.setEnabled(self.tree.currentItem() is not None)
        self.export_action.setEnabled(len(self.library) > 0)
        if item is None:
            folder = self.selected_folder()
            self.preview.setPlainText(
                f"{folder}: {len(self.library.in_folder(folder))} message(s)" if folder else ""
            )
            return
        p = preview(item)
        warnings = "".join(f"⚠ {w}\n" for w in p.warnings)
        self.preview.setPlainText(f"{p.header}\n{warnings}\n{p.body}")

    def say(self, text: str, level: str = "muted") -> None:
        show(self.status, text, level)

    # --------------------------------------------------------------- sending
    def send_selected(self) -> bool:
        """Send the selected item to the current connection; True when it was sent."""
        item = self.selected_item()
        if item is None:
            return False
        pane = self.target()
        if pane is None or not pane.session.can_send_frames:
            self.say("Not connected: connect a tab first, then send.", "error")
            return False
        try:
            out = prepare(item, subprotocol=pane.format.subprotocol())
        except ValueError as exc:
            self.say(f"{item.name}: {exc}", "error")
            return False
        entry = entry_for(out, pane.session, item.view or "")
        if not pane.send_entry(entry.kind, entry.label, entry.action):
            self.say(f"{item.name} was not sent (see the compose pane)", "error")
            return False
        try:
            self.library.mark_sent(item.id, out.used_counter)
        except OSError as exc:
            self.say(f"sent, but the counter was not saved: {exc.strerror or exc}", "error")
            return True
        self.say(f"Sent {item.name}: {entry.label}")
        if out.used_counter:
            self._selection_changed()
        return True

    def load_selected(self) -> None:
        item = self.selected_item()
        if item is not None:
            self.loadRequested.emit(item)

    # --------------------------------------------------------------- editing
    def _views(self) -> list[str]:
        return default_registry().names()

    def open_dialog(self, item: LibraryItem, title: str) -> ItemDialog:
        dialog = ItemDialog(item, self.library.folders, self._views(), title=title, parent=self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.dialog = dialog
        dialog.open()
        return dialog

    def save_new(self, draft: LibraryItem) -> ItemDialog:
        """Ask for the name and folder of ``draft`` (what a compose tab holds), then
        add it."""
        if not draft.folder:
            draft = replace(draft, folder=self.selected_folder())
        dialog = self.open_dialog(draft, "Save to library")
        dialog.itemAccepted.connect(self._add)
        return dialog

    def _add(self, item: LibraryItem) -> None:
        try:
            stored = self.library.add(item)
        except OSError as exc:
            self.say(f"not saved: {exc.strerror or exc}", "error")
            return
        self.select(stored.id)
        self.say(f"Saved {stored.name}")

    def edit_selected(self) -> ItemDialog | None:
        item = self.selected_item()
        if item is None:
            return None
        dialog = self.open_dialog(item, "Edit message")
        dialog.itemAccepted.connect(self._update)
        return dialog

    def _update(self, item: LibraryItem) -> None:
        try:
            self.library.update(item)
        except OSError as exc:
            self.say(f"not saved: {exc.strerror or exc}", "error")
            return
        self.select(item.id)
        self.say(f"Saved {item.name}")

    def delete_selected(self, *, confirmed: bool = False) -> None:
        it = self.tree.currentItem()
        if it is None:
            return
        kind, value = it.data(0, _ROLE)
        if kind == "folder":
            try:
                self.library.remove_folder(str(value))
            except (ValueError, OSError) as exc:
                self.say(str(exc), "error")
                return
            self.refresh()
            self.say(f"Deleted the folder {value}")
            return
        item = self.library.get(str(value))
        if not confirmed:
            box = QMessageBox(
                QMessageBox.Icon.Question,
                "Delete message",
                f"Delete {item.name!r} from the library?",
                QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
                self,
            )
            box.setObjectName("libraryDeleteQuestion")
            box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
            box.accepted.connect(lambda: self.delete_selected(confirmed=True))
            self.dialog = box
            box.open()
            return
        try:
            self.library.remove(item.id)
        except OSError as exc:
            self.say(f"not deleted: {exc.strerror or exc}", "error")
            return
        self.refresh()
        self.say(f"Deleted {item.name}")

    def new_folder(self) -> QInputDialog:
        dialog = QInputDialog(self)
        dialog.setObjectName("libraryFolderDialog")
        dialog.setWindowTitle("New folder")
        dialog.setLabelText("Folder name (a/b makes a subfolder):")
        parent = self.selected_folder()
        dialog.setTextValue(parent + "/" if parent else "")
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.textValueSelected.connect(self.add_folder)
        self.dialog = dialog
        dialog.open()
        return dialog

    def add_folder(self, name: str) -> None:
        try:
            folder = self.library.add_folder(name)
        except (ValueError, OSError) as exc:
            self.say(str(exc), "error")
            return
        self.refresh(select=f"folder:{folder}")

    # ----------------------------------------------------------------- files
    def _file_dialog(self, title: str, save: bool) -> QFileDialog:
        dialog = QFileDialog(self, title, "", _FILE_FILTER)
        dialog.setObjectName("libraryFileDialog")
        dialog.setAcceptMode(
            QFileDialog.AcceptMode.AcceptSave if save else QFileDialog.AcceptMode.AcceptOpen
        )
        if save:
            dialog.setDefaultSuffix("json")
            dialog.selectFile("ws-inspector-library.json")
        else:
            dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.dialog = dialog
        return dialog

    def choose_import(self) -> None:
        dialog = self._file_dialog("Import a message library", save=False)
        dialog.fileSelected.connect(self.import_file)
        dialog.open()

    def choose_export(self) -> None:
        dialog = self._file_dialog("Export the message library", save=True)
        dialog.fileSelected.connect(self.export_file)
        dialog.open()

    def import_file(self, path: str) -> bool:
        try:
            added = self.library.import_from(path)
        except LibraryError as exc:
            self.say(f"Nothing imported: {exc}", "error")
            return False
        except OSError as exc:
            self.say(f"Nothing imported: {exc.strerror or exc}", "error")
            return False
        self.refresh()
        self.say(f"Imported {len(added)} message(s) from {path}")
        return True

    def export_file(self, path: str) -> bool:
        try:
            n = self.library.export_to(path)
        except OSError as exc:
            self.say(f"cannot write {path}: {exc.strerror or exc}", "error")
            return False
        self.say(f"Exported {n} message(s) to {path}")
        return True


def _ancestors(it: QTreeWidgetItem) -> list[QTreeWidgetItem]:
    out = []
    p = it.parent()
    while p is not None:
        out.append(p)
        p = p.parent()
    return out
