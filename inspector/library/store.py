"""A library of saved messages in folders, kept in one JSON file in the data folder.

Every change is written at once, whole or not at all (``atomic_text_file``), so a
crash never leaves half a library. A library file that cannot be read is never
overwritten: it is moved aside (``library.json.unreadable-<time>``) and the window
says where it went. Importing reads and checks the whole file before anything
changes: a malformed file is refused with the place of the first problem, and the
library stays as it was. The file format is in docs/library.md.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from ..capture.formats.files import atomic_text_file
from ..capture.formats.journal import data_dir
from .items import ItemError, LibraryItem, item_from_json, item_to_json, normalize_folder

__all__ = [
    "FILE_FORMAT",
    "FILE_VERSION",
    "Library",
    "LibraryError",
    "Opened",
    "default_library_path",
    "read_library_file",
]

FILE_FORMAT = "ws-inspector-library"
FILE_VERSION = 1
#: Bigger files are refused on import: a library is typed by hand, not a capture.
MAX_FILE_BYTES = 64 * 1024 * 1024


class LibraryError(ValueError):
    """A library file cannot be read; the message says where and why."""


def default_library_path() -> Path:
    """``library.json`` in the data folder (``$WS_INSPECTOR_DATA_DIR``, else XDG)."""
    return data_dir() / "library.json"


def _parents(folder: str) -> Iterator[str]:
    parts = folder.split("/")
    for i in range(1, len(parts) + 1):
        yield "/".join(parts[:i])


def parse_library(text: str, source: str) -> tuple[list[str], list[LibraryItem]]:
    """The folders and items of a library file's ``text``; :class:`LibraryError`
    names ``source`` and the first problem."""
    try:
        doc = json.loads(text)
    except ValueError as exc:
        raise LibraryError(f"{source} is not JSON: {exc}") from None
    if not isinstance(doc, dict) or doc.get("format") != FILE_FORMAT:
        raise LibraryError(f'{source} is not a ws-inspector library (no "format": "{FILE_FORMAT}")')
    version = doc.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version > FILE_VERSION:
        raise LibraryError(
            f"{source}: library version {version!r} is not one this ws-inspector reads "
            f"(up to {FILE_VERSION})"
        )
    folders_raw = doc.get("folders", [])
    items_raw = doc.get("items", [])
    if not isinstance(folders_raw, list) or not all(isinstance(f, str) for f in folders_raw):
        raise LibraryError(f"{source}: 'folders' must be a list of strings")
    if not isinstance(items_raw, list):
        raise LibraryError(f"{source}: 'items' must be a list")
    items: list[LibraryItem] = []
    for i, obj in enumerate(items_raw, 1):
        try:
            items.append(item_from_json(obj))
        except ItemError as exc:
            name = obj.get("name") if isinstance(obj, dict) else None
            what = f"item {i}" + (f" ({name!r})" if isinstance(name, str) and name else "")
            raise LibraryError(f"{source}: {what}: {exc}") from None
    folders = [f for f in (normalize_folder(f) for f in folders_raw) if f]
    return folders, items


def read_library_file(path: str | os.PathLike[str]) -> tuple[list[str], list[LibraryItem]]:
    """Read and check the library file ``path``; raises :class:`LibraryError`."""
    p = Path(path)
    try:
        size = p.stat().st_size
        if size > MAX_FILE_BYTES:
            raise LibraryError(f"{p.name} is {size} bytes: too big for a library")
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise LibraryError(f"cannot read {p}: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        raise LibraryError(f"{p.name} is not UTF-8 text: {exc.reason}") from None
    return parse_library(text, p.name)


@dataclass(frozen=True, slots=True)
class Opened:
    """A library opened from its file; ``problem`` says why it started empty (the
    unreadable file moved to ``moved_to``)."""

    library: Library
    problem: str | None = None
    moved_to: Path | None = None


class Library:
    """Folders (``/``-separated paths) and items, written to :attr:`path` after each
    change (``path`` None: kept in memory only). Items are kept in the order added."""

    def __init__(self, path: str | os.PathLike[str] | None = None) -> None:
        self.path = Path(path) if path is not None else None
        self._folders: set[str] = set()
        self._items: dict[str, LibraryItem] = {}

    # ---------------------------------------------------------------- opening
    @classmethod
    def open(cls, path: str | os.PathLike[str] | None = None) -> Opened:
        """The library in ``path`` (default :func:`default_library_path`); a missing
        file is an empty library, an unreadable one is moved aside, never lost."""
        lib = cls(path if path is not None else default_library_path())
        assert lib.path is not None
        if not lib.path.exists():
            return Opened(lib)
        try:
            folders, items = read_library_file(lib.path)
        except LibraryError as exc:
            stamp = time.strftime("%Y%m%d-%H%M%S")
            aside = lib.path.with_name(f"{lib.path.name}.unreadable-{stamp}")
            try:
                os.replace(lib.path, aside)
            except OSError as move:
                # Cannot move it: keep the library in memory, so as not to overwrite it.
                lib.path = None
                return Opened(lib, f"{exc}; kept as it is ({move.strerror}), changes not saved")
            return Opened(lib, str(exc), aside)
        lib._merge(folders, items, keep_ids=True)
        return Opened(lib)

    # ------------------------------------------------------------------ reading
    @property
    def folders(self) -> list[str]:
        """Every folder, parents included, sorted (``""``, the top, is not listed)."""
        return sorted(self._folders)

    @property
    def items(self) -> list[LibraryItem]:
        return list(self._items.values())

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, item_id: object) -> bool:
        return item_id in self._items

    def get(self, item_id: str) -> LibraryItem:
        try:
            return self._items[item_id]
        except KeyError:
            raise KeyError(f"no library item {item_id!r}") from None

    def in_folder(self, folder: str) -> list[LibraryItem]:
        """The items directly in ``folder`` (``""``: at the top)."""
        folder = normalize_folder(folder)
        return [i for i in self._items.values() if i.folder == folder]

    def subfolders(self, folder: str) -> list[str]:
        """The folders directly under ``folder``, sorted."""
        folder = normalize_folder(folder)
        depth = folder.count("/") + 1 if folder else 0
        prefix = folder + "/" if folder else ""
        return [f for f in self.folders if f.startswith(prefix) and f.count("/") == depth]

    # ------------------------------------------------------------------ changes
    @contextlib.contextmanager
    def _change(self) -> Iterator[None]:
        """A change that is saved, or undone when saving fails: what is shown is
        always what the file holds."""
        folders, items = set(self._folders), dict(self._items)
        try:
            yield
            self.save()
        except BaseException:
            self._folders, self._items = folders, items
            raise

    def add_folder(self, folder: str) -> str:
        folder = normalize_folder(folder)
        if not folder:
            raise ValueError("a folder needs a name")
        with self._change():
            self._folders.update(_parents(folder))
        return folder

    def remove_folder(self, folder: str) -> None:
        """Remove an empty folder; ``ValueError`` when it still holds something."""
        folder = normalize_folder(folder)
        inside = [i for i in self._items.values() if _under(i.folder, folder)]
        if inside or self.subfolders(folder):
            raise ValueError(f"the folder {folder!r} is not empty")
        with self._change():
            self._folders.discard(folder)

    def add(self, item: LibraryItem) -> LibraryItem:
        """Add ``item`` (a new id is given when it has none or a taken one); returns
        the item as stored."""
        with self._change():
            stored = self._adopt(item, keep_id=False)
        return stored

    def update(self, item: LibraryItem) -> LibraryItem:
        """Replace the item with ``item.id``."""
        self.get(item.id)
        item = replace(item, folder=normalize_folder(item.folder))
        with self._change():
            if item.folder:
                self._folders.update(_parents(item.folder))
            self._items[item.id] = item
        return item

    def remove(self, item_id: str) -> LibraryItem:
        item = self.get(item_id)
        with self._change():
            del self._items[item_id]
        return item

    def mark_sent(self, item_id: str, used_counter: bool) -> LibraryItem:
        """``item_id`` was sent: its counter moves on when the message used it (and
        the new value is saved at once, so a restart does not reuse a number)."""
        item = self.get(item_id)
        if not used_counter:
            return item
        return self.update(item.with_counter(item.counter + 1))

    def _adopt(self, item: LibraryItem, *, keep_id: bool) -> LibraryItem:
        item_id = item.id if (keep_id or item.id) and item.id not in self._items else ""
        if not item_id:
            item_id = os.urandom(6).hex()  # not uuid: it imports platform
        stored = replace(item, id=item_id, folder=normalize_folder(item.folder))
        if stored.folder:
            self._folders.update(_parents(stored.folder))
        self._items[item_id] = stored
        return stored

    def _merge(
        self, folders: Iterable[str], items: Iterable[LibraryItem], *, keep_ids: bool
    ) -> int:
        for f in folders:
            self._folders.update(_parents(f))
        n = 0
        for item in items:
            self._adopt(item, keep_id=keep_ids)
            n += 1
        return n

    # ------------------------------------------------------------ files
    def to_json(self, items: Iterable[LibraryItem] | None = None) -> dict[str, Any]:
        chosen = list(items) if items is not None else self.items
        folders = (
            self.folders
            if items is None
            else sorted({p for i in chosen if i.folder for p in _parents(i.folder)})
        )
        return {
            "format": FILE_FORMAT,
            "version": FILE_VERSION,
            "folders": folders,
            "items": [item_to_json(i) for i in chosen],
        }

    def _write(self, path: Path, doc: dict[str, Any]) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        with atomic_text_file(path) as out:
            json.dump(doc, out, indent=2, ensure_ascii=False)
            out.write("\n")

    def save(self) -> None:
        """Write the library to :attr:`path` (nothing when kept in memory); raises
        OSError, leaving the previous file in place."""
        if self.path is not None:
            self._write(self.path, self.to_json())

    def export_to(
        self, path: str | os.PathLike[str], items: Iterable[LibraryItem] | None = None
    ) -> int:
        """Write ``items`` (default: all, with every folder) to ``path``; returns how
        many. Counters are exported as they stand."""
        doc = self.to_json(items)
        self._write(Path(path), doc)
        return len(doc["items"])

    def import_from(self, path: str | os.PathLike[str]) -> list[LibraryItem]:
        """Add the folders and items of the library file ``path``; items whose id is
        taken get a new one. Raises :class:`LibraryError` before changing anything."""
        folders, items = read_library_file(path)
        before = set(self._items)
        with self._change():
            self._merge(folders, items, keep_ids=True)
        return [i for k, i in self._items.items() if k not in before]


def _under(folder: str, parent: str) -> bool:
    return folder == parent or folder.startswith(parent + "/")
