"""Reading a capture file (or a live journal) into a
:class:`~inspector.capture.store.CaptureStore`.

Reading takes 1 MiB blocks and appends straight to the store's columns: the frame
lines of a block, as many as follow each other, go to the bulk reader of
:mod:`.fast` in one call where a fast JSON library is installed (a file of frames:
every block in one call); a frame line read on its own, in exactly the layout the
writer makes, is taken apart by one regular expression (3x faster than
:func:`json.loads`); any other line goes through ``json.loads`` and the method of
:class:`_CaptureReader` for its type.

Reading is tolerant. A file that is not a capture at all raises
:class:`~.schema.CaptureFormatError`; a damaged capture loads as far as it can be
read and :class:`LoadResult` says what was lost and where (line and field).
"""

from __future__ import annotations

import binascii
import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import IO, Any, Final

from ....protocol.violations import Violation
from ...budget import CAPPED_PAYLOAD, DEFAULT_MAX_CAPTURE_BYTES
from ...events import (
    Direction,
)
from ...store import CaptureStore, StoredEvent
from . import schema
from .journal_lines import read_frames_line, read_messages_line
from .lines import (
    ENDED,
    LAST,
    LINES,
    TOO_LONG,
    UNDECODABLE,
    binary_hint,
    is_utf8,
    json_document_hint,
    newline,
    split_chunks,
)
from .objects import EventLines, read_session, session_from_json
from .schema import (
    DEFAULT_MAX_LINE_BYTES,
    FRAME_LINE_BYTES,
    FRAME_LINE_STR,
    FRAME_PREFIX,
    FRAME_PREFIX_BYTES,
    JOURNAL_UNFINISHED,
    MAX_INT64,
    Bad,
    CaptureFormatError,
    UnknownRule,
    b64_field,
    direction,
    integer,
    json_preview,
    num,
    opt,
    string,
)

__all__ = ["LoadResult", "read_jsonl", "session_from_json"]

#: The first line is a small session object; a file whose first "line" is longer is
#: not a capture, and we find out without reading 256 MiB of it.
_MAX_FIRST_LINE: Final = 2**20
#: Per-line problems reported before they are summarised as "and N more".
_MAX_PROBLEMS: Final = 50

#: Where a line that is not a frame line starts, after a newline (the first line of
#: a piece is looked at on its own).
_OTHER_BYTES: Final = re.compile(rb"\n(?!" + re.escape(FRAME_PREFIX_BYTES) + rb")")
_OTHER_STR: Final = re.compile(r"\n(?!" + re.escape(FRAME_PREFIX) + r")")
#: Fewer frame lines than this between other lines are read one by one (a bulk
#: read has a cost of its own; the frame line's regular expression ~2 us a line).
_MIN_RUN: Final = 16
_MATCH_STR: Final = FRAME_LINE_STR.fullmatch
_MATCH_BYTES: Final = FRAME_LINE_BYTES.fullmatch

_DIR_TOKENS: Final[dict[bytes | str, Direction]] = {
    b"out": Direction.OUT,
    b"in": Direction.IN,
    "out": Direction.OUT,
    "in": Direction.IN,
}


@dataclass(slots=True)
class LoadResult:
    """What :func:`read_jsonl` made of a file.

    ``complete`` is True when every line up to the ``"end"`` line was read and kept.
    Otherwise ``problems`` says what was lost and where (line numbers count from 1);
    ``problems`` may also hold notes that lose nothing (lines of a type this version
    does not know). ``lines_read`` counts the lines parsed, up to where reading
    stopped.

    ``kind`` says what the file was: ``"capture"`` (a saved capture, or the output
    of ``ws-inspector capture --json`` or ``decode --json``: its session's
    ``source`` says which) or ``"journal"`` (a live journal, see
    :mod:`inspector.capture.formats.journal`; one without its end line is a session
    that did not finish).
    """

    store: CaptureStore
    problems: list[str] = field(default_factory=list)
    complete: bool = True
    lines_read: int = 0
    kind: str = "capture"


def read_jsonl(
    source: str | os.PathLike[str] | IO[str] | IO[bytes],
    *,
    max_line_bytes: int = DEFAULT_MAX_LINE_BYTES,
    max_payload_bytes: int | None = DEFAULT_MAX_CAPTURE_BYTES,
) -> LoadResult:
    """Read a capture file (a path, or a binary or text stream).

    Raises :class:`CaptureFormatError` when the file is not a capture this program
    reads: empty, binary, not JSON, no session line first, another format or a newer
    version. Otherwise returns a :class:`LoadResult`, whose store holds everything
    readable: reading stops at the first line that is not JSON (a line cut off by a
    crash, binary junk) or is longer than ``max_line_bytes`` (bytes for a path or
    binary stream, characters for a text stream), so memory stays bounded by that
    limit whatever the file claims; a line that is JSON but not a valid line of its
    type (a field of the wrong type, a number JSON has no form for or too large for
    its field) is skipped with a problem naming the line and the field, and reading
    goes on. The store keeps at most ``max_payload_bytes`` of payload whole, as a
    live capture does (see :mod:`inspector.capture.budget`; the problems say so when
    the file holds more). OSError (no such file, no permission) propagates.
    """
    if isinstance(source, str | os.PathLike):
        with open(source, "rb") as f:
            return _read(f.read, max_line_bytes, max_payload_bytes)
    return _read(source.read, max_line_bytes, max_payload_bytes)


def _read(read: Callable[[int], bytes | str], max_line: int, max_payload: int | None) -> LoadResult:
    first_limit = min(max_line, _MAX_FIRST_LINE)
    pieces = split_chunks(read, first_limit, max_line)
    first, how = next(pieces, (None, LAST))
    if first is None:
        raise CaptureFormatError("the file is empty: not a ws-inspector capture")
    if how == UNDECODABLE:
        raise CaptureFormatError(f"not a ws-inspector capture: the file is {first}")
    if how == TOO_LONG:
        raise CaptureFormatError(
            f"not a ws-inspector capture: the first line is longer than {first_limit} "
            f"bytes{binary_hint(first)}"
        )
    if first[:3] == b"\xef\xbb\xbf" or first[:1] == "\ufeff":
        # A byte order mark an editor added: json.loads refuses it, nothing else is wrong.
        first = first[3:] if isinstance(first, bytes) else first[1:]
    try:
        head = schema.loads(first)
    except (ValueError, RecursionError):
        hint = binary_hint(first) or json_document_hint(first)
        raise CaptureFormatError(
            f"not a ws-inspector capture: the first line is not JSON{hint}"
        ) from None
    notes: list[str] = []
    store = CaptureStore(read_session(head, notes), max_payload_bytes=max_payload)
    result = LoadResult(store, notes, lines_read=1)
    if head.get("journal") is True:
        result.kind = "journal"
    _CaptureReader(result, max_line).read(pieces)
    return result


class _CaptureReader(EventLines):
    """Reads the lines after the session line into a :class:`LoadResult`: one method
    per line type, and the bookkeeping that tells a complete file from a damaged one
    (the end line's counts, where reading stopped, what was skipped)."""

    def __init__(self, result: LoadResult, max_line: int) -> None:
        self.result = result
        self.store = result.store
        self.max_line = max_line
        self.lineno = 1
        self.frame_count = 0  # frames read (frame lines, and frames in frames lines)
        self.other_count = 0  # other lines, for the end line's second count
        self.lost = bool(result.problems)  # the session line had fields replaced
        self.reported = 0
        self.suppressed = 0
        self.unknown: dict[str, int] = {}
        self.end_obj: dict[str, Any] | None = None
        self.end_at = 0
        self.stop: str | None = None
        self.cut_off = False
        #: Readers of the event lines; each returns the event the line holds.
        self.events: dict[str, Callable[[dict[str, Any]], StoredEvent]] = {
            "message": self.message,
            "state": self.state,
            "handshake": self.handshake,
            "error": self.error,
            "rtt": self.rtt,
            "intervention": self.intervention,
            "raw": self.raw,
            "violation": self.violation,
        }

    def problem(self, text: str) -> None:
        """A line lost (skipped, or part of it dropped): said, up to a number of them."""
        self.lost = True
        if self.reported < _MAX_PROBLEMS:
            self.result.problems.append(text)
            self.reported += 1
        else:
            self.suppressed += 1

    # ------------------------------------------------------------- the loop
    def read(self, pieces: Iterator[tuple[Any, int]]) -> None:
        # The whole lines of a block come together (LINES): runs of frame lines in
        # them go to the bulk reader when a fast JSON library is installed (see
        # .fast), every other line, and every line of a run the bulk reader does not
        # take, goes through _line. (Imported here: the fast JSON library loads with
        # the first capture read, not with the window.)
        from .fast import FAST_JSON

        fast = FAST_JSON is not None
        lineno = self.lineno
        for piece, how in pieces:
            if how == LINES:
                nl = newline(piece)
                count = piece.count(nl) + 1
                if fast:
                    going = self._lines(piece, count, lineno + 1)
                else:
                    going = self._each(piece.split(nl), lineno + 1)
                lineno += count
            else:
                lineno += 1
                going = self._line(piece, how, lineno)
            if not going:
                break
        self.finish()

    def _lines(self, lines: Any, count: int, first: int) -> bool:
        """``count`` whole lines joined by newlines, numbered from ``first``: the runs
        of frame lines among them in bulk, the others one by one. False when
        reading stops in them."""
        nl = newline(lines)
        prefix: Any = FRAME_PREFIX_BYTES if nl == b"\n" else FRAME_PREFIX
        framed = lines.startswith(prefix)
        # Optimistic: in a file of frames every line of a block is a frame line.
        if framed and self._bulk(lines, count, first):
            return True
        # Where the lines that are not frame lines start, found in C.
        starts: list[int] = [] if framed else [0]
        starts.extend(
            m.end() for m in (_OTHER_BYTES if nl == b"\n" else _OTHER_STR).finditer(lines)
        )
        if not starts:  # frame lines, not all of them plain ones: each says what it holds
            return self._each(lines.split(nl), first)
        pos = 0
        lineno = first
        for start in starts:
            if start > pos:  # frame lines up to the newline before this line
                lineno = self._run(lines[pos : start - 1], lineno)
                if lineno < 0:
                    return False
            end = lines.find(nl, start)
            if end < 0:
                end = len(lines)
            if not self._line(lines[start:end], ENDED, lineno):
                return False
            lineno += 1
            pos = end + 1
        return pos >= len(lines) or self._run(lines[pos:], lineno) >= 0

    def _run(self, run: Any, first: int) -> int:
        """Frame lines joined by newlines, numbered from ``first``: in bulk when there
        are enough of them and the bulk reader takes them, else line by line. The
        number of the line after them, or -1 when reading stops in them."""
        nl = newline(run)
        count: int = run.count(nl) + 1
        if count >= _MIN_RUN and self._bulk(run, count, first):
            return first + count
        return first + count if self._each(run.split(nl), first) else -1

    def _bulk(self, run: Any, count: int, first: int) -> bool:
        """``count`` frame lines joined by newlines, numbered from ``first``, read by
        the bulk reader if it takes them (then True)."""
        from .fast import read_frame_lines

        if self.end_obj is None and read_frame_lines(self.store, run, count):
            self.frame_count += count
            self.lineno = self.result.lines_read = first + count - 1
            return True
        return False

    def _each(self, lines: list[Any], first: int) -> bool:
        """Lines one by one, numbered from ``first``; False when reading stops."""
        line = self._line
        return all(line(text, ENDED, first + i) for i, text in enumerate(lines))

    def _line(self, line: Any, how: int, lineno: int) -> bool:
        """One line after the session line; False when reading stops at it."""
        result = self.result
        self.lineno = lineno
        if how == TOO_LONG:
            self.stop = (
                f"line {lineno} is longer than {self.max_line} bytes{binary_hint(line)}; "
                "stopped reading there"
            )
            return False
        if how == UNDECODABLE:
            self.stop = f"from line {lineno} on the file is {line}; stopped reading there"
            return False
        if self.end_obj is None:
            m = (_MATCH_BYTES if isinstance(line, bytes) else _MATCH_STR)(line)
            if m is not None and (line.isascii() or is_utf8(line)):
                t, d, seq, offset, header, payload = m.groups()
                t = float(t)
                # Finite only (t - t is NaN for the infinities, 1e999 among them):
                # the general path says what is wrong with the others.
                if not t - t:
                    try:
                        self.store.append_frame(
                            t,
                            _DIR_TOKENS[d],
                            int(seq),
                            int(offset),
                            binascii.a2b_hex(header),
                            schema.b64decode(payload, strict_mode=True),
                        )
                    except (ValueError, OverflowError):
                        pass  # the general path below says what is wrong with it
                    else:
                        self.frame_count += 1
                        result.lines_read = lineno
                        return True
        try:
            obj = schema.loads(line)
        except (ValueError, RecursionError) as exc:
            if not line.strip():
                return True  # a blank line (an editor's trailing newline) says nothing
            if how == LAST:
                self.cut_off = True
                self.stop = (
                    f"line {lineno} is cut off: the file ends in the middle of it "
                    "(was the capture still being written?)"
                )
            elif "integer string conversion" in str(exc):
                # Valid JSON with an integer of thousands of digits, which Python
                # refuses to convert: the line is damage, the file goes on.
                self.other_count += 1
                result.lines_read = lineno
                self.problem(f"line {lineno} holds an integer thousands of digits long; skipped")
                return True
            else:
                cause = "nested too deeply" if isinstance(exc, RecursionError) else str(exc)
                self.stop = (
                    f"line {lineno} is not valid JSON ({cause}){binary_hint(line)}; "
                    "stopped reading there"
                )
            return False
        if self.end_obj is not None:
            self.stop = (
                f"line {lineno} comes after the end line (line {self.end_at}); "
                "what follows it was not read"
            )
            return False
        result.lines_read = lineno
        self.line(obj)
        return self.stop is None

    def line(self, obj: Any) -> None:
        """One parsed line, by its type."""
        kind = obj.get("type") if isinstance(obj, dict) else None
        if kind == "end":
            self.end_obj = obj
            self.end_at = self.lineno
        elif kind == "frame":
            self.frame(obj)
        elif kind == "frames":
            self.frames(obj)
        elif kind == "messages":
            self.messages(obj)
        elif kind == "session":
            self.stop = (
                f"line {self.lineno} starts another session (files joined together?); "
                "only the first session was read"
            )
        else:
            self.other_count += 1
            if not isinstance(obj, dict):
                self.problem(f"line {self.lineno} is not a JSON object; skipped")
                return
            reader = self.events.get(kind) if isinstance(kind, str) else None
            if reader is None:
                # A line type from a later revision of this version: skipping it is the rule.
                name = kind if isinstance(kind, str) else json_preview(kind)
                self.unknown[name] = self.unknown.get(name, 0) + 1
                return
            try:
                self.store.add(reader(obj))
            except Bad as exc:
                self.problem(f"line {self.lineno}: {kind} skipped: {exc}")
            except UnknownRule as exc:
                self.problem(f"line {self.lineno}: {kind} skipped: unknown rule {exc.slug!r}")

    def finish(self) -> None:
        """What the file as a whole says: summaries, where reading stopped, whether
        the end line agrees with what was read."""
        problems = self.result.problems
        store = self.store
        if self.suppressed:
            problems.append(f"... and {self.suppressed} more problems like these")
        for name, count in self.unknown.items():
            problems.append(f"ignored {count} line(s) of type {name!r}, unknown to this version")
        end = self.end_obj
        journal = self.result.kind == "journal"
        if self.stop is not None:
            problems.append(
                f"{self.stop}; {len(store)} frames and {len(store.events)} events loaded"
            )
            self.lost = True
            if journal and end is None and self.cut_off:
                problems.append(JOURNAL_UNFINISHED)
        elif end is None:
            if journal:
                problems.append(JOURNAL_UNFINISHED)
            else:
                problems.append(
                    f"the file ends after line {self.lineno} without its end line: the "
                    "capture may have been cut short (for example the program stopped "
                    "while saving)"
                )
            self.lost = True
        elif end.get("frames") != self.frame_count or end.get("events") != self.other_count:
            problems.append(
                f"the end line (line {self.end_at}) counts {json_preview(end.get('frames'))} "
                f"frames and {json_preview(end.get('events'))} other lines, but the file holds "
                f"{self.frame_count} and {self.other_count}: lines are missing or were added"
            )
            self.lost = True
        if store.capped_at_row is not None and store.budget.cut:
            # Cut while loading (a file recorded within a budget reaches it again
            # after its last whole payload, with nothing left to cut).
            limit = store.max_payload_bytes or 0
            size = f"{limit / 2**20:g} MiB" if limit % 2**20 == 0 else f"{limit} bytes"
            problems.append(
                f"the capture holds more than the capture budget of {size} of payload: from "
                f"frame {store.capped_at_row + 1} on, frames and messages keep only their "
                f"first {CAPPED_PAYLOAD} bytes ({store.budget.cut} were cut)"
            )
            self.lost = True
        self.result.complete = not self.lost

    # -------------------------------------------------- frames and messages
    def frame(self, obj: dict[str, Any]) -> None:
        """A frame line the fast path did not take: checked field by field."""
        self.frame_count += 1
        try:
            t = num(obj, "t")
            d = direction(obj)
            seq = integer(obj, "seq")
            offset = integer(obj, "offset")
            try:
                header = bytes.fromhex(string(obj, "header_hex"))
            except ValueError as exc:
                raise Bad(f'"header_hex" is not hexadecimal ({exc})') from None
            payload = b64_field(obj, "payload_b64")
            found: list[Violation] = []
            dropped: list[str] = []
            for v in opt(obj, "violations", list, "a list") or []:
                try:
                    found.append(schema.violation(v))
                except UnknownRule as exc:
                    dropped.append(exc.slug)
            self.store.append_frame(t, d, seq, offset, header, payload, tuple(found))
        except ValueError as exc:  # Bad, and the store's own header/payload checks
            self.problem(f"line {self.lineno}: frame skipped: {exc}")
            return
        except OverflowError:
            self.problem(f"line {self.lineno}: frame skipped: a number is too large for its column")
            return
        if dropped:
            self.problem(
                f"line {self.lineno}: violations of rules this version does not know were "
                f"dropped: {', '.join(dropped)}"
            )

    def frames(self, obj: dict[str, Any]) -> None:
        """A ``frames`` line (journals): consecutive frames as their wire bytes."""
        try:
            self.frame_count += read_frames_line(self.store, obj)
        except Bad as exc:
            declared = obj.get("count")
            if isinstance(declared, int) and not isinstance(declared, bool):
                # Lost, but not missing: the end line agrees.
                self.frame_count += min(declared, MAX_INT64)
            self.problem(f"line {self.lineno}: frames skipped: {exc}")
        except (ValueError, OverflowError) as exc:  # the store's own checks
            self.problem(f"line {self.lineno}: frames skipped: {exc}")

    def messages(self, obj: dict[str, Any]) -> None:
        """A ``messages`` line (journals): the messages of one socket read, in columns."""
        try:
            self.other_count += read_messages_line(self.store, obj)
        except Bad as exc:
            declared = obj.get("count")
            if isinstance(declared, int) and not isinstance(declared, bool):
                self.other_count += min(declared, MAX_INT64)
            self.problem(f"line {self.lineno}: messages skipped: {exc}")
