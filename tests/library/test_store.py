"""The library: folders, the counter kept across restarts, the file written whole,
import and export, and a bad file that loses nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from inspector.library.items import ItemKind, LibraryItem, prepare
from inspector.library.store import FILE_FORMAT, Library, LibraryError, default_library_path
from inspector.library.variables import Expander


def _text(name: str, text: str = "hello", folder: str = "") -> LibraryItem:
    return LibraryItem(name, ItemKind.TEXT, text=text, folder=folder)


def test_the_default_file_is_in_the_data_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WS_INSPECTOR_DATA_DIR", str(tmp_path))
    assert default_library_path() == tmp_path / "library.json"
    opened = Library.open()
    assert opened.problem is None and len(opened.library) == 0
    opened.library.add(_text("a"))
    assert json.loads((tmp_path / "library.json").read_text())["format"] == FILE_FORMAT


def test_folders_nest_and_only_empty_ones_go(tmp_path: Path) -> None:
    lib = Library(tmp_path / "lib.json")
    lib.add_folder(" Chat / Rooms ")
    a = lib.add(_text("a", folder="Auth"))
    assert lib.folders == ["Auth", "Chat", "Chat/Rooms"]
    assert lib.subfolders("") == ["Auth", "Chat"] and lib.subfolders("Chat") == ["Chat/Rooms"]
    assert lib.in_folder("Auth") == [a]
    with pytest.raises(ValueError, match="not empty"):
        lib.remove_folder("Chat")
    with pytest.raises(ValueError, match="not empty"):
        lib.remove_folder("Auth")
    lib.remove_folder("Chat/Rooms")
    lib.remove_folder("Chat")
    assert lib.folders == ["Auth"]
    assert Library.open(tmp_path / "lib.json").library.folders == ["Auth"]


def test_the_counter_moves_on_only_when_used_and_survives_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "lib.json"
    lib = Library(path)
    counted = lib.add(_text("n", "msg {{counter}}"))
    plain = lib.add(_text("p", "no counter"))
    ex = Expander(env={})
    sent = []
    for _ in range(3):
        out = prepare(lib.get(counted.id), ex)
        sent.append(out.text)
        lib.mark_sent(counted.id, out.used_counter)
    lib.mark_sent(plain.id, prepare(plain, ex).used_counter)
    assert sent == ["msg 1", "msg 2", "msg 3"]
    again = Library.open(path).library
    assert prepare(again.get(counted.id), ex).text == "msg 4"
    assert again.get(plain.id).counter == 1


def test_export_then_import_gives_the_same_items(tmp_path: Path) -> None:
    lib = Library(tmp_path / "a.json")
    lib.add_folder("Empty/Still here")
    items = [
        lib.add(_text("a", "{{uuid}}", folder="X")),
        lib.add(LibraryItem("b", ItemKind.BINARY, data=b"\x00\x01", view="msgpack")),
        lib.add(LibraryItem("c", ItemKind.CLOSE, text="bye", close_code=4000, folder="X/Y")),
    ]
    exported = tmp_path / "out.json"
    assert lib.export_to(exported) == 3
    other = Library(tmp_path / "b.json")
    added = other.import_from(exported)
    assert added == items
    assert other.folders == lib.folders
    # Importing the same file again: everything added once more, under new ids.
    twice = other.import_from(exported)
    assert len(other) == 6
    assert {i.id for i in twice}.isdisjoint(i.id for i in items)
    assert [i.name for i in twice] == ["a", "b", "c"]


def test_export_of_some_items_takes_their_folders_only(tmp_path: Path) -> None:
    lib = Library(None)
    lib.add_folder("Other")
    chosen = lib.add(_text("a", folder="Keep/Deep"))
    lib.export_to(tmp_path / "some.json", [chosen])
    doc = json.loads((tmp_path / "some.json").read_text())
    assert doc["folders"] == ["Keep", "Keep/Deep"] and len(doc["items"]) == 1


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "not JSON"),
        ('{"items": []}', "not a ws-inspector library"),
        (json.dumps({"format": FILE_FORMAT, "version": 99}), "version 99"),
        (
            json.dumps(
                {
                    "format": FILE_FORMAT,
                    "version": 1,
                    "items": [
                        {"name": "good", "kind": "text", "text": "x"},
                        {"name": "bad one", "kind": "text", "text": 3},
                    ],
                }
            ),
            r"item 2 \('bad one'\): 'text' must be a string",
        ),
    ],
)
def test_a_malformed_import_is_refused_and_changes_nothing(
    tmp_path: Path, content: str, message: str
) -> None:
    path = tmp_path / "lib.json"
    lib = Library(path)
    kept = lib.add(_text("kept", folder="F"))
    before = path.read_bytes()
    bad = tmp_path / "bad.json"
    bad.write_text(content)
    with pytest.raises(LibraryError, match=message):
        lib.import_from(bad)
    assert lib.items == [kept] and lib.folders == ["F"]
    assert path.read_bytes() == before


def test_an_unreadable_library_file_is_moved_aside_not_overwritten(tmp_path: Path) -> None:
    path = tmp_path / "library.json"
    path.write_text('{"format": "ws-inspector-library", "version": 1, "items": [{}]}')
    opened = Library.open(path)
    assert opened.problem is not None and "item 1" in opened.problem
    assert opened.moved_to is not None
    assert opened.moved_to.read_text().startswith('{"format"')
    opened.library.add(_text("new"))
    assert len(Library.open(path).library) == 1


def test_a_failed_write_leaves_the_previous_file_and_library(tmp_path: Path) -> None:
    path = tmp_path / "lib.json"
    lib = Library(path)
    first = lib.add(_text("a"))
    before = path.read_bytes()
    # A payload that is not encodable as UTF-8 (a lone surrogate) fails mid-write.
    with pytest.raises(UnicodeEncodeError):
        lib.add(_text("b", "\ud800"))
    assert path.read_bytes() == before
    assert lib.items == [first]  # the change is undone: the window shows what is saved
    assert [p.name for p in tmp_path.iterdir()] == ["lib.json"]


def test_the_documented_example_is_a_library_file(tmp_path: Path) -> None:
    doc = (Path(__file__).resolve().parents[2] / "docs" / "library.md").read_text()
    example = doc.split("```json\n", 1)[1].split("```", 1)[0]
    path = tmp_path / "example.json"
    path.write_text(example)
    lib = Library(None)
    added = lib.import_from(path)
    assert [i.kind for i in added] == ["json", "binary", "close", "frame", "format"]
    assert lib.folders == ["Auth", "Broken on purpose", "Chat", "Chat/Rooms"]
    assert prepare(added[1]).data == bytes.fromhex("82a16101a162a3787978")
    assert prepare(added[4]).text == '42["chat message","hello #1"]'
