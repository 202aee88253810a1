"""The live journal: every live session written to disk as it happens, so that a crash
or a kill loses at most the last moment of it.

Like a packet-capture tool writing to a temporary file while capturing, each live
connection gets a journal in the user's data folder (:func:`journal_dir`). It is a
capture file (docs/capture-format.md) written line by line: the session line first
(with ``"journal":true``), then events and frames as they happen, and the ``end``
line only when the session ends. **A journal without its end line is a session that
did not finish**: :func:`read_jsonl` loads it with ``complete=False`` and says so.

:class:`JournalWriter` is plain and synchronous: :meth:`~JournalWriter.add` takes
each capture event and formats it into an in-memory buffer, :meth:`~JournalWriter.flush`
writes the buffer to the file (no fsync: a killed process loses nothing the kernel
already has; only a power cut can). The engine's ``Journal`` calls ``flush`` on a
timer, every 0.1 s.

Frames are journaled the cheap way: a socket read's frames go in one ``frames`` line
holding their wire bytes in base64 (one C call per read) instead of one formatted
``frame`` line each (~5 us per frame, more than the engine spends receiving it, and
~20 times the traffic in bytes for small frames). Frames with violations, or that
were not kept whole, are written as ordinary ``frame`` lines.

The journal follows the capture budget (:mod:`inspector.capture.budget`) exactly as
the store does: past it, frames keep their headers and the first 4 KiB of payload,
messages the same prefix of their data, so that a journal recovered after a crash
holds what the window held. Its size still grows with every frame (a header and at
most 4 KiB, plus the line around them) for as long as the peer sends: that is the
record of what crossed the wire, which an inspector is for, and it is the same
bound as the store's memory; an endless stream of large frames no longer writes
their payloads to disk at the speed of the network.

Lifecycle. A writer holds an exclusive ``flock`` on its file while it is open, so
that :func:`find_recoverable` (in this process or another) never offers the journal
of a session that is still running. :meth:`JournalWriter.finish` writes the end line
when the connection ends; :meth:`JournalWriter.close` (the session was saved, or
closed by the user) writes it if needed and deletes the file unless ``keep``. A file
without its end line is never deleted except by :meth:`RecoverableJournal.discard`.
"""

from __future__ import annotations

import binascii
import contextlib
import datetime
import errno
import itertools
import json
import os
import re
import shutil
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import IO, Final

from ...protocol.frames import Frame, FrameBatch, apply_mask, header_length
from ..budget import DEFAULT_MAX_CAPTURE_BYTES, PayloadBudget, is_plain_message
from ..events import Direction, FramesCaptured, MessageCaptured, SessionInfo
from ..store import CaptureStore, StoredEvent
from .folders import DATA_DIR_ENV, data_dir, journal_dir, journal_names
from .jsonl import (
    CaptureFormatError,
    LoadResult,
    end_line,
    event_line,
    frame_lines,
    frames_head,
    frames_line,
    iter_lines,
    messages_line,
    read_jsonl,
    session_from_json,
    session_line,
)

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: see _locked()
    fcntl = None  # type: ignore[assignment]

__all__ = [
    "DATA_DIR_ENV",
    "JournalWriter",
    "RecoverableJournal",
    "data_dir",
    "find_recoverable",
    "journal_dir",
]

#: Buffered bytes past which :meth:`JournalWriter.add` flushes at once (a flood).
FLUSH_BYTES: Final = 4 * 2**20
#: The note a recovered session carries.
RECOVERED_NOTE: Final = "recovered from the journal of a session that did not finish"

_HLEN = tuple(header_length(b1) for b1 in range(256))
_TAIL = b'"}\n'
_b64encode = binascii.b2a_base64
_OUT = Direction.OUT
#: Journals open for writing in this process (where ``flock`` is missing).
_OPEN: set[str] = set()


# ------------------------------------------------------------------ where


def _journal_name(session: SessionInfo) -> str:
    """``20240501-120000-echo.example-4242-1.jsonl``: sortable by start, readable,
    unique per process (the pid and a counter)."""
    try:
        started = datetime.datetime.fromtimestamp(session.started_unix)
    except (OverflowError, OSError, ValueError):
        started = datetime.datetime.now()
    host = re.sub(r"^[a-z]+://", "", session.url).split("/", 1)[0].rsplit("@", 1)[-1]
    host = re.sub(r"[^A-Za-z0-9.\-]+", "_", host)[:60] or "session"
    return f"{started:%Y%m%d-%H%M%S}-{host}-{os.getpid()}-{next(_COUNTER)}.jsonl"


_COUNTER = itertools.count(1)


# ------------------------------------------------------------------ writing


class JournalWriter:
    """Writes one session's journal as it happens. Not thread-safe; no asyncio.

    ``JournalWriter(path, session)`` creates ``path`` (it must not exist; mode 0600:
    journals hold handshake headers, so often cookies and tokens) and writes the
    session line at once. :meth:`create` picks a new name in a directory.
    ``compact=False`` writes every frame as an ordinary ``frame`` line (byte for byte
    what :func:`~inspector.capture.formats.jsonl.write_jsonl` writes; ~50 times the CPU cost).
    ``max_payload_bytes`` is the capture budget (that of the store it shadows).
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        session: SessionInfo,
        *,
        compact: bool = True,
        flush_bytes: int = FLUSH_BYTES,
        max_payload_bytes: int | None = DEFAULT_MAX_CAPTURE_BYTES,
    ) -> None:
        self.path = Path(path)
        self.session = session
        self.compact = compact
        self.flush_bytes = flush_bytes
        #: Frames and other lines written or buffered, for the end line.
        self.frames = 0
        self.events = 0
        self.finished = False
        self.closed = False
        self.budget = PayloadBudget(max_payload_bytes)
        self._buf: list[bytes] = []
        self._pending = 0
        # Messages not yet written: one read's (same time, same direction).
        self._msgs: list[MessageCaptured] = []
        self._msgs_t = 0.0
        self._msgs_dir = Direction.IN
        self._file: IO[bytes] | None = _create_locked(self.path)
        try:
            self._buf.append(session_line(session, journal=True).encode() + b"\n")
            self.flush()
        except BaseException:
            self._release()
            with contextlib.suppress(OSError):
                self.path.unlink()
            raise

    @classmethod
    def create(
        cls,
        directory: str | os.PathLike[str],
        session: SessionInfo,
        *,
        compact: bool = True,
        max_payload_bytes: int | None = DEFAULT_MAX_CAPTURE_BYTES,
    ) -> JournalWriter:
        """A journal for ``session`` under a new name in ``directory`` (created, mode
        0700, if missing)."""
        folder = Path(directory)
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        for _ in range(100):
            try:
                return cls(
                    folder / _journal_name(session),
                    session,
                    compact=compact,
                    max_payload_bytes=max_payload_bytes,
                )
            except FileExistsError:
                continue
        raise FileExistsError(f"cannot find a free journal name in {folder}")

    # ------------------------------------------------------------ adding
    def add(self, event: FramesCaptured | StoredEvent) -> None:
        """Buffer the lines of one capture event (a connection listener). Messages
        that are one plain frame are skipped, as the store skips them: the frame
        says everything."""
        cls = type(event)
        if cls is MessageCaptured:
            captured: MessageCaptured = event  # type: ignore[assignment]
            if is_plain_message(captured.message) or self.finished:
                return
            kept = self.budget.keep_message(captured.message)
            if kept is not captured.message:
                captured = MessageCaptured(captured.t, captured.dir, kept)
            event = captured
            if self.compact:
                # Kept to go in one messages line with the others of its read.
                msgs = self._msgs
                if msgs and (captured.t != self._msgs_t or captured.dir is not self._msgs_dir):
                    self._emit_messages()
                    msgs = self._msgs
                if not msgs:
                    self._msgs_t = captured.t
                    self._msgs_dir = captured.dir
                msgs.append(captured)
                return
        elif cls is FramesCaptured:
            if self._msgs:
                self._emit_messages()
            self._add_frames(event)  # type: ignore[arg-type]
            return
        if self.finished:
            return
        if self._msgs:
            self._emit_messages()
        self._buf.append(event_line(event).encode() + b"\n")  # type: ignore[arg-type]
        self.events += 1

    def _emit_messages(self) -> None:
        msgs = self._msgs
        self._msgs = []
        line = messages_line(self._msgs_t, self._msgs_dir, msgs)
        self._buf.append(line)
        self._pending += len(line)
        self.events += len(msgs)

    def _add_frames(self, event: FramesCaptured) -> None:
        if self.finished:
            return
        frames = event.frames
        if not len(frames):
            return
        if type(frames) is FrameBatch:
            kept, _ = self.budget.keep_all(frames.payloads)
            cut = kept is not frames.payloads
            if cut:
                frames = FrameBatch(
                    frames.seq0, frames.base, frames.src, frames.offsets, kept, frames.violations
                )
        else:
            payloads = [f.payload for f in frames]
            kept, _ = self.budget.keep_all(payloads)
            cut = kept is not payloads
            if cut:
                frames = [f._replace(payload=p) for f, p in zip(frames, kept, strict=True)]
        if cut:
            # Past the capture budget: cut payloads are no longer the wire's bytes.
            event = FramesCaptured(event.t, event.dir, frames)
        elif self.compact:
            if type(frames) is FrameBatch:
                if not frames.violations:
                    src = frames.src
                    offs = frames.offsets
                    first = offs[0]
                    last = offs[-1]
                    # No violation: every frame kept whole, minimal, masked as its
                    # sender must: the frames lie back to back in src.
                    end = last + _HLEN[src[last + 1]] + len(frames.payloads[-1])
                    data = _b64encode(memoryview(src)[first:end], newline=False)
                    buf = self._buf
                    buf.append(
                        frames_head(event.t, event.dir, frames.seq0, frames.base + first, len(offs))
                    )
                    buf.append(data)
                    buf.append(_TAIL)
                    self.frames += len(offs)
                    self._pending += len(data)
                    if self._pending > self.flush_bytes:
                        self._flush_quietly()
                    return
            elif not isinstance(frames, FrameBatch) and self._add_sent(event.t, event.dir, frames):
                return
        self._add_frame_lines(event)

    def _flush_quietly(self) -> None:
        # Called from add(), a connection listener: a write error is for the caller
        # of flush() to see (the engine's timer), not for the connection.
        with contextlib.suppress(OSError):
            self.flush()

    def _add_sent(self, t: float, direction: Direction, frames: Sequence[Frame]) -> bool:
        """Frames given one by one (what we sent) as frames lines, split wherever
        they are not consecutive; False (nothing added) if any has violations or
        was not kept whole."""
        runs: list[tuple[int, int, list[bytes], int]] = []
        wire: list[bytes] = []
        seq0 = offset0 = next_seq = next_offset = -1
        for frame in frames:
            header = frame.header
            payload = frame.payload
            declared = frame.length
            if frame.violations or len(payload) != declared:
                return False
            if frame.seq != next_seq or frame.offset != next_offset:
                if wire:
                    runs.append((seq0, offset0, wire, next_seq - seq0))
                wire = []
                seq0, offset0 = frame.seq, frame.offset
            wire.append(header)
            wire.append(apply_mask(payload, header[-4:]) if header[1] & 0x80 else payload)
            next_seq = frame.seq + 1
            next_offset = frame.offset + len(header) + declared
        if wire:
            runs.append((seq0, offset0, wire, next_seq - seq0))
        for seq, offset, parts, count in runs:
            line = frames_line(t, direction, seq, offset, count, b"".join(parts))
            self._buf.append(line)
            self._pending += len(line)
            self.frames += count
        if self._pending > self.flush_bytes:
            self._flush_quietly()
        return True

    def _add_frame_lines(self, event: FramesCaptured) -> None:
        """Ordinary frame lines, made by the capture format's own writer."""
        lines = frame_lines(event)
        data = "\n".join(lines).encode() + b"\n"
        self._buf.append(data)
        self._pending += len(data)
        self.frames += len(lines)
        if self._pending > self.flush_bytes:
            self._flush_quietly()

    def replay(self, store: CaptureStore) -> None:
        """Buffer everything ``store`` already holds (for a journal started after
        the connection), as ordinary lines."""
        if self.finished:
            return
        if self._msgs:
            self._emit_messages()
        self.budget = store.budget.copy()
        lines = list(iter_lines(store))[1:-1]
        if lines:
            self._buf.append("\n".join(lines).encode() + b"\n")
        self.frames += len(store)
        self.events += len(lines) - len(store)

    # ------------------------------------------------------------ writing
    @property
    def pending(self) -> int:
        """Bytes buffered and not yet written (roughly: frames lines only)."""
        return self._pending

    def flush(self) -> None:
        """Write what is buffered. Raises OSError (disk full...); the buffer is then
        kept, so a later flush can try again."""
        if self._msgs:
            self._emit_messages()
        if not self._buf or self._file is None:
            return
        parts = self._buf
        write = self._file.write
        done = 0
        try:
            for done, part in enumerate(parts):  # noqa: B007
                view = memoryview(part)
                while view:
                    n = write(view)
                    if not n:
                        raise OSError(errno.EIO, f"{self.path}: the file took no more bytes")
                    view = view[n:]
        except BaseException:
            self._buf = [bytes(view), *parts[done + 1 :]]
            self._pending = sum(map(len, self._buf))
            raise
        self._buf = []
        self._pending = 0

    def finish(self) -> None:
        """The session ended: write the end line and everything buffered. The file
        stays (and stays locked) until :meth:`close`."""
        if self.finished or self._file is None:
            return
        if self._msgs:
            self._emit_messages()
        self._buf.append(end_line(self.frames, self.events).encode() + b"\n")
        self.finished = True
        self.flush()

    def close(self, *, keep: bool = False) -> None:
        """Finish the journal and close it; delete it unless ``keep`` (call when the
        session was saved, or closed by the user). If the end line cannot be
        written, the file is kept (and the OSError raised): it is then a journal
        of an unfinished session, recoverable."""
        if self.closed:
            return
        try:
            self.finish()
        except BaseException:
            self._release()
            raise
        self._release()
        if not keep:
            with contextlib.suppress(FileNotFoundError):
                self.path.unlink()

    def abandon(self) -> None:
        """Close the file without its end line (the journal stays recoverable), for
        a journal that cannot go on (its disk is full)."""
        self._release()

    def _release(self) -> None:
        self.closed = True
        f, self._file = self._file, None
        _OPEN.discard(os.path.realpath(self.path))
        if f is not None:
            with contextlib.suppress(OSError):
                f.close()

    def __enter__(self) -> JournalWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close(keep=exc[0] is not None)


def _create_locked(path: Path) -> IO[bytes]:
    """Create ``path`` (not existing before), mode 0600, locked for this writer.

    The file is made under a hidden name, locked, then renamed: nobody sees it
    unlocked. FileExistsError if ``path`` exists."""
    if path.exists():
        raise FileExistsError(f"{path} exists")
    tmp = path.with_name(f".{path.name}.new")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o600)
    f = os.fdopen(fd, "wb", buffering=0)
    try:
        if fcntl is not None:
            # Nobody else has this new file: a failure means the file system has no
            # locks (some network mounts); the journal then goes on unlocked.
            with contextlib.suppress(OSError):
                fcntl.flock(f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        if path.exists():
            raise FileExistsError(f"{path} exists")
        os.replace(tmp, path)
    except BaseException:
        f.close()
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    _OPEN.add(os.path.realpath(path))
    return f


# ------------------------------------------------------------------ recovering


@dataclass(frozen=True, slots=True)
class RecoverableJournal:
    """A journal nobody is writing: its session crashed (no end line) or ended
    without being saved or closed before the program stopped (``finished``).
    ``session`` is None when even the session line is unreadable."""

    path: Path
    session: SessionInfo | None
    size: int
    modified: float  # seconds since the Unix epoch
    finished: bool = False

    def load(self) -> LoadResult:
        """Read it (see :func:`~inspector.capture.formats.jsonl.read_jsonl`: an unfinished
        journal loads with ``complete=False`` and says so). The session is marked
        as recovered in its notes."""
        result = read_jsonl(self.path)
        store = result.store
        if not self.finished and RECOVERED_NOTE not in store.session.notes:
            store.session = replace(store.session, notes=(*store.session.notes, RECOVERED_NOTE))
        return result

    def discard(self) -> None:
        """Delete the journal."""
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()

    def archive(self, dest: str | os.PathLike[str] | None = None) -> Path:
        """Move the journal out of the way (into ``archive`` next to it, or ``dest``),
        where :func:`find_recoverable` no longer lists it; returns its new path."""
        folder = Path(dest) if dest is not None else self.path.parent / "archive"
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        target = folder / self.path.name
        n = 1
        while target.exists():
            n += 1
            target = folder / f"{self.path.stem}.{n}{self.path.suffix}"
        shutil.move(os.fspath(self.path), os.fspath(target))
        return target


def find_recoverable(
    data: str | os.PathLike[str] | None = None,
    *,
    directory: str | os.PathLike[str] | None = None,
) -> list[RecoverableJournal]:
    """Journals in ``directory`` (default :func:`journal_dir` of ``data``) that no
    running session is writing, newest first: sessions that crashed (no end line),
    and sessions that ended but were neither saved nor closed (``finished``)."""
    folder = Path(directory) if directory is not None else journal_dir(data)
    found: list[RecoverableJournal] = []
    for name in journal_names(folder):
        path = folder / name
        try:
            journal = _inspect(path)
        except OSError:
            continue
        if journal is not None:
            found.append(journal)
    found.sort(key=lambda j: j.modified, reverse=True)
    return found


def _inspect(path: Path) -> RecoverableJournal | None:
    with open(path, "rb") as f:
        if _locked(f, path):
            return None
        st = os.fstat(f.fileno())
        session = _first_session(f)
        finished = _ends_with_end_line(f, st.st_size)
    return RecoverableJournal(path, session, st.st_size, st.st_mtime, finished)


def _locked(f: IO[bytes], path: Path) -> bool:
    """A live writer holds the journal (flock where there is one; elsewhere only
    this process's writers are known)."""
    if os.path.realpath(path) in _OPEN:
        return True
    if fcntl is None:  # pragma: no cover - Windows
        return False
    try:
        fcntl.flock(f.fileno(), fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    except OSError:
        return False  # no locks on this file system: nothing says it is in use
    fcntl.flock(f.fileno(), fcntl.LOCK_UN)
    return False


def _first_session(f: IO[bytes]) -> SessionInfo | None:
    line = f.readline(2**20)
    try:
        return session_from_json(json.loads(line))
    except (ValueError, RecursionError, CaptureFormatError):
        return None


def _ends_with_end_line(f: IO[bytes], size: int) -> bool:
    f.seek(max(0, size - 4096))
    tail = f.read(4096).rstrip(b"\r\n")
    last = tail.rsplit(b"\n", 1)[-1]
    try:
        obj = json.loads(last)
    except (ValueError, RecursionError):
        return False
    return isinstance(obj, dict) and obj.get("type") == "end"
