"""The Library panel on its own, by accessible names: folders in a tree, the item
dialog, delete with a question, import and export, a bad file refused with nothing
lost, and sending with no connection."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import shiboken6
from _gui_support import by_name
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractButton,
    QCheckBox,
    QInputDialog,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
)

from inspector.gui.library.dialog import ItemDialog
from inspector.gui.library.panel import LibraryPanel
from inspector.library.items import ItemKind, LibraryItem
from inspector.library.store import Library

pytestmark = pytest.mark.gui


@pytest.fixture
def panel(qapp: Any, tmp_path: Path) -> Iterator[LibraryPanel]:
    lib = Library(tmp_path / "library.json")
    lib.add(LibraryItem("Login", ItemKind.JSON, text='{"op": "login"}', folder="Auth"))
    lib.add(LibraryItem("Blob", ItemKind.BINARY, data=b"\x00\x01", folder="Auth/Raw"))
    lib.add(LibraryItem("Hi {{uudi}}", ItemKind.TEXT, text="Hi {{uudi}}"))
    widget = LibraryPanel(lib, lambda: None)
    widget.resize(360, 600)
    yield widget
    shiboken6.delete(widget)


def _select(panel: LibraryPanel, name: str) -> LibraryItem:
    item = next(i for i in panel.library.items if i.name == name)
    panel.select(item.id)
    return item


def _status(panel: LibraryPanel) -> tuple[str, str]:
    label = by_name(panel, QLabel, "Library status")
    return label.text(), str(label.property("level") or "")


def test_the_tree_shows_folders_nested_and_the_preview_warns(panel: LibraryPanel) -> None:
    tree = panel.tree
    tops = [tree.topLevelItem(i) for i in range(tree.topLevelItemCount())]
    assert [t.text(0) for t in tops if t is not None] == ["Auth", "TEXT   Hi {{uudi}}"]
    auth = tops[0]
    assert auth is not None
    children = [auth.child(i) for i in range(auth.childCount())]
    assert [c.text(0) for c in children if c is not None] == [
        "Raw",
        "JSON   Login",
    ]
    _select(panel, "Hi {{uudi}}")
    text = by_name(panel, QPlainTextEdit, "Selected message").toPlainText()
    assert "sent as written (not variables): {{uudi}}" in text
    _select(panel, "Blob")
    assert "00 01" in by_name(panel, QPlainTextEdit, "Selected message").toPlainText()


def test_edit_renames_moves_and_keeps_a_bad_field_open(panel: LibraryPanel, qtbot: Any) -> None:
    blob = _select(panel, "Blob")
    qtbot.mouseClick(by_name(panel, QPushButton, "Edit the message"), Qt.MouseButton.LeftButton)
    dialog = panel.dialog
    assert isinstance(dialog, ItemDialog) and dialog.isVisible()
    by_name(dialog, QPlainTextEdit, "Payload").setPlainText("zz")
    qtbot.mouseClick(by_name(dialog, QAbstractButton, "Save"), Qt.MouseButton.LeftButton)
    assert dialog.isVisible() and by_name(dialog, QLabel, "What is wrong").text()
    by_name(dialog, QPlainTextEdit, "Payload").setPlainText("ca fe")
    by_name(dialog, QLineEdit, "Name").setText("Cafe")
    dialog.folder_box.setEditText("Other")
    qtbot.mouseClick(by_name(dialog, QAbstractButton, "Save"), Qt.MouseButton.LeftButton)
    saved = panel.library.get(blob.id)
    assert (saved.name, saved.folder, saved.data) == ("Cafe", "Other", b"\xca\xfe")
    assert panel.selected_item() == saved
    on_disk = Library.open(panel.library.path).library.get(blob.id)
    assert on_disk == saved


def test_the_json_box_makes_a_text_item_json(panel: LibraryPanel) -> None:
    item = _select(panel, "Hi {{uudi}}")
    dialog = panel.edit_selected()
    assert dialog is not None
    by_name(dialog, QCheckBox, "Check as JSON").setChecked(True)
    dialog.accept_item()
    assert panel.library.get(item.id).kind is ItemKind.JSON


def test_delete_asks_first_and_a_full_folder_stays(panel: LibraryPanel, qtbot: Any) -> None:
    panel.show()
    _select(panel, "Blob")
    panel.tree.setFocus()
    qtbot.keyClick(panel.tree, Qt.Key.Key_Delete)  # the Delete key asks too
    box = panel.dialog
    assert isinstance(box, QMessageBox) and box.isVisible()
    box.reject()
    assert len(panel.library) == 3
    login = _select(panel, "Login")
    qtbot.mouseClick(by_name(panel, QPushButton, "Delete"), Qt.MouseButton.LeftButton)
    box = panel.dialog
    assert isinstance(box, QMessageBox) and box.isVisible()
    qtbot.mouseClick(box.button(QMessageBox.StandardButton.Yes), Qt.MouseButton.LeftButton)
    assert login.id not in panel.library
    panel.refresh(select="folder:Auth")
    panel.delete_selected()
    assert _status(panel) == ("the folder 'Auth' is not empty", "error")
    assert "Auth" in panel.library.folders


def test_new_folder_under_the_selected_one(panel: LibraryPanel) -> None:
    panel.refresh(select="folder:Auth")
    dialog = panel.new_folder()
    assert isinstance(dialog, QInputDialog) and dialog.textValue() == "Auth/"
    dialog.setTextValue("Auth/Tokens")
    dialog.accept()
    assert "Auth/Tokens" in panel.library.folders
    assert panel.selected_folder() == "Auth/Tokens"


def test_export_import_and_a_bad_file_that_loses_nothing(
    panel: LibraryPanel, tmp_path: Path
) -> None:
    out = tmp_path / "exported.json"
    assert panel.export_file(str(out))
    assert _status(panel)[0] == f"Exported 3 message(s) to {out}"
    before = panel.library.items
    saved = Path(str(panel.library.path)).read_bytes()

    bad = tmp_path / "bad.json"
    doc = json.loads(out.read_text())
    doc["items"][1]["base64"] = "not base64!"
    bad.write_text(json.dumps(doc))
    assert not panel.import_file(str(bad))
    text, level = _status(panel)
    assert level == "error" and text.startswith("Nothing imported: bad.json: item 2 ('Blob')")
    assert panel.library.items == before
    assert Path(str(panel.library.path)).read_bytes() == saved

    assert panel.import_file(str(out))
    assert len(panel.library) == 6
    assert _status(panel)[0] == f"Imported 3 message(s) from {out}"


def test_sending_without_a_connection_says_so(panel: LibraryPanel) -> None:
    _select(panel, "Login")
    assert not panel.send_selected()
    assert _status(panel) == ("Not connected: connect a tab first, then send.", "error")
