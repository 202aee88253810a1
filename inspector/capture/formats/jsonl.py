"""The capture file: JSON Lines, one session line, then one line per frame or event.

The format is documented in ``docs/capture-format.md``. In short: the first line is
a ``"session"`` object naming the format and its version; then frames and events
follow in the order they happened, each a JSON object with a ``type`` and ``t``
(seconds since the session started); the last line is an ``"end"`` object with the
counts, so a file cut short at a line boundary is recognised.

Writing is built for a million frames: each frame line is assembled from the
store's columns with pre-made fragments and an f-string, never through a
:class:`~inspector.protocol.frames.Frame` or a dict. Reading splits 1 MiB blocks
into lines and appends straight to the columns; a frame line in exactly the layout
written here is taken apart by one regular expression (3x faster than
:func:`json.loads`), any other line goes through :func:`json.loads`.

Reading is tolerant. A file that is not a capture at all raises
:class:`CaptureFormatError`; a damaged capture loads as far as it can be read and
:class:`LoadResult` says what was lost and where.
"""

from __future__ import annotations

import binascii
import contextlib
import json
import math
import os
import re
import struct
import tempfile
from array import array
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import chain, repeat
from json.encoder import encode_basestring
from operator import attrgetter, is_not, itemgetter
from typing import IO, Any, Final

from ...protocol.constants import Opcode, opcode_name
from ...protocol.events import Message
from ...protocol.frames import FrameBatch, apply_mask, header_length, parse_close_payload
from ...protocol.violations import Rule, Violation
from ..events import (
    FORMAT_NAME,
    FORMAT_VERSION,
    AcceptCheck,
    ConnectionState,
    Direction,
    ErrorCaptured,
    ErrorStep,
    FramesCaptured,
    HandshakeCaptured,
    MessageCaptured,
    RawBytesSent,
    RttSample,
    SessionInfo,
    SessionRole,
    SessionSource,
    StateChanged,
    TlsInfo,
    ViolationCaptured,
)
from ..store import CaptureStore, StoredEvent

__all__ = [
    "DEFAULT_MAX_LINE_BYTES",
    "JOURNAL_UNFINISHED",
    "CaptureFormatError",
    "LoadResult",
    "end_line",
    "event_line",
    "frames_head",
    "frames_line",
    "iter_lines",
    "messages_line",
    "read_jsonl",
    "session_from_json",
    "session_line",
    "write_jsonl",
]

#: Longest line a reader accepts. A 64 MiB frame (the default frame size limit) is
#: ~90 MiB of base64 plus, for text, its JSON text again; past this a line is damage
#: (or hostile), and reading stops before allocating more.
DEFAULT_MAX_LINE_BYTES: Final = 256 * 2**20
#: The first line is a small session object; a file whose first "line" is longer is
#: not a capture, and we find out without reading 256 MiB of it.
_MAX_FIRST_LINE: Final = 2**20
#: Per-line problems reported before they are summarised as "and N more".
_MAX_PROBLEMS: Final = 50

_dumps = json.JSONEncoder(separators=(",", ":")).encode
_loads = json.loads
_b64encode = binascii.b2a_base64
_b64decode = binascii.a2b_base64


class CaptureFormatError(ValueError):
    """The file is not a ws-inspector capture this program can read (not JSON, another
    format, a newer version); the message says which, in plain words."""


@dataclass(slots=True)
class LoadResult:
    """What :func:`read_jsonl` made of a file.

    ``complete`` is True when every line up to the ``"end"`` line was read and kept.
    Otherwise ``problems`` says what was lost and where (line numbers count from 1);
    ``problems`` may also hold notes that lose nothing (lines of a type this version
    does not know). ``lines_read`` counts the lines parsed, up to where reading
    stopped.

    ``kind`` says what the file was: ``"capture"`` (a saved capture, or the output
    of ``ws-inspector capture --json``), ``"journal"`` (a live journal, see
    :mod:`inspector.capture.formats.journal`; one without its end line is a session that
    did not finish) or ``"decode"`` (the output of ``ws-inspector decode --json``).
    """

    store: CaptureStore
    problems: list[str] = field(default_factory=list)
    complete: bool = True
    lines_read: int = 0
    kind: str = "capture"


# ----------------------------------------------------------------------- writing

_DIR_JSON = ('"out"', '"in"')
_DIR_NAME = {Direction.OUT: "out", Direction.IN: "in"}
_DIRS = {"out": Direction.OUT, "in": Direction.IN}


def _bool(flag: int) -> str:
    return "true" if flag else "false"


#: Everything a frame line says that depends on the first header byte alone.
_B0_JSON = tuple(
    f'"fin":{_bool(b & 0x80)},"rsv1":{_bool(b & 0x40)},"rsv2":{_bool(b & 0x20)},'
    f'"rsv3":{_bool(b & 0x10)},"opcode":{b & 0x0F},"opcode_name":"{opcode_name(b)}"'
    for b in range(256)
)
_FORM_JSON = tuple("7" if n < 126 else "16" if n == 126 else "64" for n in range(128))
#: How the "text" field is made, by opcode: 1 decode the payload, 2 the close reason.
_TEXT_KIND = tuple(
    2 if op == Opcode.CLOSE else 1 if op in (0x0, 0x1, 0x9, 0xA) else 0 for op in range(16)
)


def _float(x: float) -> str:
    """A float as JSON; non-finite values as Python's json writes them (NaN etc.)."""
    return repr(x) if math.isfinite(x) else _dumps(x)


def _b64(data: bytes) -> str:
    return _b64encode(data, newline=False).decode("ascii")


def iter_lines(store: CaptureStore) -> Iterator[str]:
    """The lines of ``store``'s capture file, without line ends, in order: session,
    frames and events interleaved as they happened, each non-trivial message right
    after its last frame, then the end line."""
    yield _dumps(_session_json(store.session))
    events = store.events
    event_rows = store.event_rows
    n_events = len(events)
    ev = 0
    next_ev_row = event_rows[0] if n_events else -1
    messages = store.messages
    violations = store.violations
    payloads = store.payloads
    t_col, dir_col, seq_col, off_col = store.t, store.dir, store.seq, store.offset
    b0_col, b1_col, len_col, key_col = store.b0, store.b1, store.length, store.mask_key
    b0_json, form_json, text_kind, dir_json = _B0_JSON, _FORM_JSON, _TEXT_KIND, _DIR_JSON
    b64 = _b64encode
    enc = encode_basestring
    last_t = math.nan
    t_json = ""
    for row in range(len(b0_col)):
        while ev < n_events and next_ev_row <= row:
            yield _event_line(events[ev])
            ev += 1
            next_ev_row = event_rows[ev] if ev < n_events else -1
        t = t_col[row]
        if t != last_t:  # a batch shares one time: format it once
            last_t = t
            t_json = _float(t)
        b0 = b0_col[row]
        b1 = b1_col[row]
        length = len_col[row]
        payload = payloads[row]
        n7 = b1 & 0x7F
        if n7 < 126:
            hh = f"{b0:02x}{b1:02x}"
        elif n7 == 126:
            hh = f"{b0:02x}{b1:02x}{length:04x}"
        else:
            hh = f"{b0:02x}{b1:02x}{length:016x}"
        if b1 & 0x80:
            kh = f"{key_col[row]:08x}"
            hh += kh
            mask = f'true,"mask_key":"{kh}"'
        else:
            mask = 'false,"mask_key":null'
        kind = text_kind[b0 & 0x0F]
        close = 'null,"close_reason":null'
        if kind == 1:
            try:
                text = enc(payload.decode("utf-8"))
            except UnicodeDecodeError:
                text = "null"
        elif kind == 2:
            code, reason, _ = parse_close_payload(payload)
            text = "null" if reason is None else enc(reason)
            close = f'{"null" if code is None else code},"close_reason":{text}'
        else:
            text = "null"
        found = violations.get(row)
        vj = _dumps([v.to_json() for v in found]) if found else "[]"
        yield (
            f'{{"type":"frame","t":{t_json},"dir":{dir_json[dir_col[row]]},'
            f'"seq":{seq_col[row]},"offset":{off_col[row]},{b0_json[b0]},'
            f'"masked":{mask},"length":{length},"length_form":{form_json[n7]},'
            f'"header_hex":"{hh}","payload_b64":"{b64(payload, newline=False).decode()}",'
            f'"truncated":{"true" if len(payload) < length else "false"},"text":{text},'
            f'"close_code":{close},"violations":{vj}}}'
        )
        if row in messages:
            yield _dumps(_message_json(messages[row]))
    while ev < n_events:
        yield _event_line(events[ev])
        ev += 1
    yield end_line(len(b0_col), n_events + len(messages))


def write_jsonl(store: CaptureStore, dest: str | os.PathLike[str] | IO[str]) -> int:
    """Write ``store`` as a capture file and return the number of lines written.

    ``dest`` is a path or a text stream. A path is written through a temporary file
    in the same directory and renamed into place when complete, so a failed save
    (disk full, an exception) never leaves a half-written file under the name. The
    file is readable by its owner only (``mkstemp``'s mode 0600): captures hold
    handshake headers, and so often cookies and tokens.
    """
    if not isinstance(dest, str | os.PathLike):
        return _write_lines(store, dest)
    path = os.fspath(dest)
    fd, tmp = tempfile.mkstemp(
        prefix=f".{os.path.basename(path)}.", suffix=".tmp", dir=os.path.dirname(path) or "."
    )
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as out:
            count = _write_lines(store, out)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return count


def _write_lines(store: CaptureStore, out: IO[str]) -> int:
    # Joining a few thousand lines per write keeps the number of calls into the
    # I/O stack small; lines are a few hundred bytes each.
    count = 0
    chunk: list[str] = []
    add = chunk.append
    for line in iter_lines(store):
        add(line)
        if len(chunk) == 4096:
            chunk.append("")
            out.write("\n".join(chunk))
            count += 4096
            chunk.clear()
    if chunk:
        count += len(chunk)
        chunk.append("")
        out.write("\n".join(chunk))
    return count


def _session_json(s: SessionInfo) -> dict[str, Any]:
    return {
        "type": "session",
        "format": FORMAT_NAME,
        "version": FORMAT_VERSION,
        "url": s.url,
        "role": s.role,
        "started_at": s.started_at,
        "started_unix": s.started_unix,
        "source": s.source,
        "notes": list(s.notes),
    }


def _message_json(ev: MessageCaptured) -> dict[str, Any]:
    m = ev.message
    return {
        "type": "message",
        "t": ev.t,
        "dir": _DIR_NAME[ev.dir],
        "opcode": m.opcode,
        "first_seq": m.first_seq,
        "last_seq": m.last_seq,
        "size": len(m.data),
        "wire_size": m.wire_size,
        "compressed": m.compressed,
        "truncated": m.truncated,
        "frame_count": m.frame_count,
        "data_b64": _b64(m.data),
        "text": m.text,
    }


def _event_line(ev: StoredEvent) -> str:
    obj: dict[str, Any]
    if isinstance(ev, MessageCaptured):
        obj = _message_json(ev)
    elif isinstance(ev, StateChanged):
        obj = {
            "type": "state",
            "t": ev.t,
            "state": ev.state.value,
            "code": ev.code,
            "reason": ev.reason,
            "clean": ev.clean,
            "detail": ev.detail,
        }
    elif isinstance(ev, HandshakeCaptured):
        obj = _handshake_json(ev)
    elif isinstance(ev, ErrorCaptured):
        obj = {"type": "error", "t": ev.t, "step": ev.step, "message": ev.message}
        obj["fatal"] = ev.fatal
    elif isinstance(ev, RttSample):
        obj = {"type": "rtt", "t": ev.t, "rtt": ev.rtt, "payload_b64": _b64(ev.payload)}
    elif isinstance(ev, RawBytesSent):
        obj = {"type": "raw", "t": ev.t, "dir": "out", "offset": ev.offset}
        obj["data_b64"] = _b64(ev.data)
    else:
        obj = {"type": "violation", "t": ev.t, "dir": _DIR_NAME[ev.dir]}
        obj.update(ev.violation.to_json())
    return _dumps(obj)


def _handshake_json(ev: HandshakeCaptured) -> dict[str, Any]:
    accept = ev.accept
    tls = ev.tls
    return {
        "type": "handshake",
        "t": ev.t,
        "dir": _DIR_NAME[ev.dir],
        "start_line": ev.start_line,
        "headers": [[name, value] for name, value in ev.headers],
        "accept": None
        if accept is None
        else {
            "key": accept.key,
            "expected": accept.expected,
            "received": accept.received,
            "ok": accept.ok,
            "concatenated": accept.concatenated,
            "sha1_hex": accept.sha1_hex,
        },
        "problems": [p.to_json() for p in ev.problems],
        "subprotocol": ev.subprotocol,
        "extensions": ev.extensions,
        "timings": dict(ev.timings),
        "tls": None
        if tls is None
        else {
            "version": tls.version,
            "cipher": tls.cipher,
            "peer_subject": tls.peer_subject,
            "peer_issuer": tls.peer_issuer,
            "not_after": tls.not_after,
            "verified": tls.verified,
            "alpn": tls.alpn,
        },
        "raw_b64": _b64(ev.raw),
    }


# ------------------------------------------------------- lines one at a time
# For writers that produce a capture as it happens (the live journal): the same
# lines as iter_lines, byte for byte.


def session_line(session: SessionInfo, *, journal: bool = False) -> str:
    """The session line (without its line end) exactly as :func:`iter_lines` writes
    it; with ``journal``, ``"journal":true`` is added at its end (a live journal,
    see docs/capture-format.md)."""
    obj = _session_json(session)
    if journal:
        obj["journal"] = True
    return _dumps(obj)


def event_line(event: StoredEvent) -> str:
    """The line of one event (message, state change, handshake, error, rtt, raw,
    violation) exactly as :func:`iter_lines` writes it."""
    return _event_line(event)


def end_line(frames: int, events: int) -> str:
    """The end line: ``frames`` frames, ``events`` other lines (``frames`` lines
    are counted by the frames they hold, not as lines)."""
    return _dumps({"type": "end", "frames": frames, "events": events})


_FRAMES_DIR = (b'"out"', b'"in"')


def frames_line(
    t: float, direction: Direction, seq: int, offset: int, count: int, wire: bytes | memoryview
) -> bytes:
    """A ``frames`` line, UTF-8, with its line end: ``count`` consecutive frames of
    one direction (``seq`` and stream ``offset`` of the first), given as the bytes
    that crossed the wire, headers and payloads, masked payloads still masked.

    Live journals write frames this way: one base64 call per socket read instead of
    a formatted line per frame (which costs more than receiving the frame did), and
    the file grows by 4/3 of the traffic instead of ~20 times it for small frames.
    :func:`write_jsonl` never writes them; :func:`read_jsonl` reads them.
    """
    return b"".join(
        (frames_head(t, direction, seq, offset, count), _b64encode(wire, newline=False), b'"}\n')
    )


def frames_head(t: float, direction: Direction, seq: int, offset: int, count: int) -> bytes:
    """A ``frames`` line up to its base64 data: the line is this, the base64 of the
    wire bytes, and ``"}`` and a newline (for writers that avoid joining them)."""
    return b'{"type":"frames","t":%b,"dir":%b,"seq":%d,"offset":%d,"count":%d,"data_b64":"' % (
        _float(t).encode("ascii"),
        _FRAMES_DIR[0 if direction is Direction.OUT else 1],
        seq,
        offset,
        count,
    )


_get_message = attrgetter("message")
#: Message fields by index (Message is a NamedTuple): opcode, first_seq, last_seq,
#: wire_size, compressed, truncated, frame_count; data and text.
_MESSAGE_COLUMNS: Final = (
    ("opcode", 0),
    ("last_seq", 4),
    ("wire_size", 5),
    ("compressed", 6),
    ("truncated", 7),
    ("frame_count", 8),
)
_get_data = itemgetter(1)
_get_text = itemgetter(2)
_get_first = itemgetter(3)
_get_last = itemgetter(4)


def messages_line(t: float, direction: Direction, events: Sequence[MessageCaptured]) -> bytes:
    """A ``messages`` line, UTF-8, with its line end: the messages of one socket read
    (one time, one direction), in columns (journals only, see docs/capture-format.md).

    A journal of a compressed flood has a message line per message (the inflated
    data is not in the frames); formatting each costs ~4 us, about what receiving the
    message cost. In columns, with C-level maps, it is ~0.5 us. A column whose values
    are all the same is written once as a scalar; ``first_seq`` is left out when it
    equals ``last_seq``.
    """
    messages = list(map(_get_message, events))
    parts = [
        b'{"type":"messages","t":%b,"dir":%b,"count":%d'
        % (
            _float(t).encode("ascii"),
            _FRAMES_DIR[0 if direction is Direction.OUT else 1],
            len(messages),
        )
    ]
    for name, index in _MESSAGE_COLUMNS:
        column = list(map(itemgetter(index), messages))
        if name == "last_seq":
            firsts = list(map(_get_first, messages))
            if firsts != column:
                parts.append(b',"first_seq":%b' % _dumps(firsts).encode())
        value: Any = column[0] if column.count(column[0]) == len(column) else column
        if name == "last_seq":
            value = column
        parts.append(b',"%b":%b' % (name.encode(), _dumps(value).encode()))
    datas = list(map(_get_data, messages))
    texts = list(map(is_not, map(_get_text, messages), repeat(None)))
    parts.append(b',"size":%b' % _dumps(list(map(len, datas))).encode())
    parts.append(
        b',"text":%b' % _dumps(texts[0] if texts.count(texts[0]) == len(texts) else texts).encode()
    )
    parts.append(b',"data_b64":"%b"}\n' % _b64encode(b"".join(datas), newline=False))
    return b"".join(parts)


# ----------------------------------------------------------------------- reading


_NEWLINES: Final = (b"\n", "\n")


class _Bad(ValueError):
    """A line that parsed as JSON but is not a valid line of its type."""


def _need(obj: dict[str, Any], key: str, kind: type | tuple[type, ...], what: str) -> Any:
    """``obj[key]``, checked to be of ``kind``; ``what`` names the kind for people."""
    if key not in obj:
        raise _Bad(f'"{key}" is missing')
    value = obj[key]
    if not isinstance(value, kind) or (isinstance(value, bool) and bool not in _kinds(kind)):
        raise _Bad(f'"{key}" must be {what}, not {json_preview(value)}')
    return value


def _kinds(kind: type | tuple[type, ...]) -> tuple[type, ...]:
    return kind if isinstance(kind, tuple) else (kind,)


def _opt(obj: dict[str, Any], key: str, kind: type | tuple[type, ...], what: str) -> Any:
    """Like :func:`_need`, but a missing key or null gives None."""
    if obj.get(key) is None:
        return None
    return _need(obj, key, kind, what)


def json_preview(value: Any) -> str:
    """A value as JSON, cut to 40 characters, for messages about a bad line."""
    text = json.dumps(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _num(obj: dict[str, Any], key: str) -> float:
    return float(_need(obj, key, (int, float), "a number"))


def _int(obj: dict[str, Any], key: str, *, minimum: int | None = 0) -> int:
    value: int = _need(obj, key, int, "an integer")
    if minimum is not None and value < minimum:
        raise _Bad(f'"{key}" must be at least {minimum}, not {value}')
    return value


def _str(obj: dict[str, Any], key: str) -> str:
    value: str = _need(obj, key, str, "a string")
    return value


def _dir(obj: dict[str, Any]) -> Direction:
    value = obj.get("dir")
    if isinstance(value, str) and value in _DIRS:
        return _DIRS[value]
    raise _Bad(f'"dir" must be "out" or "in", not {json_preview(value)}')


def _bytes(obj: dict[str, Any], key: str) -> bytes:
    text = _str(obj, key)
    try:
        return _b64decode(text, strict_mode=True)
    except ValueError as exc:
        raise _Bad(f'"{key}" is not valid base64 ({exc})') from None


def _str_list(obj: dict[str, Any], key: str) -> tuple[str, ...]:
    value = _opt(obj, key, list, "a list of strings") or []
    if not all(isinstance(x, str) for x in value):
        raise _Bad(f'"{key}" must be a list of strings')
    return tuple(value)


def _violation(v: Any) -> Violation:
    if not isinstance(v, dict):
        raise _Bad(f"a violation must be an object, not {json_preview(v)}")
    slug = _str(v, "rule")
    try:
        rule = Rule.from_slug(slug)
    except KeyError:
        raise _UnknownRule(slug) from None
    offset = v.get("offset")
    if offset is not None and (not isinstance(offset, int) or isinstance(offset, bool)):
        raise _Bad(f'violation "offset" must be an integer or null, not {json_preview(offset)}')
    return Violation(rule, _str(v, "message"), offset, v.get("deliberate") is True)


def _handshake_problem(v: Any) -> Violation:
    # Files before structured handshake problems have sentences.
    return Violation(Rule.HANDSHAKE_INVALID, v) if isinstance(v, str) else _violation(v)


class _UnknownRule(Exception):
    """A violation names a rule this version does not know (a newer writer's)."""

    def __init__(self, slug: str) -> None:
        super().__init__(slug)
        self.slug = slug


def _frame_fields(
    obj: dict[str, Any],
) -> tuple[float, Direction, int, int, bytes, bytes, list[Any]]:
    """The fields of a frame line, checked one by one (the slow path that explains
    what is wrong after the fast path failed, and the reference for it)."""
    t = _num(obj, "t")
    d = _dir(obj)
    seq = _int(obj, "seq")
    offset = _int(obj, "offset")
    try:
        header = bytes.fromhex(_str(obj, "header_hex"))
    except ValueError as exc:
        raise _Bad(f'"header_hex" is not hexadecimal ({exc})') from None
    payload = _bytes(obj, "payload_b64")
    vlist = _opt(obj, "violations", list, "a list") or []
    return t, d, seq, offset, header, payload, vlist


def _read_message(obj: dict[str, Any], store: CaptureStore) -> MessageCaptured:
    opcode = _int(obj, "opcode")
    if opcode > 15:
        raise _Bad(f'"opcode" must be 0-15, not {opcode}')
    d = _dir(obj)
    first_seq = _int(obj, "first_seq")
    last_seq = _int(obj, "last_seq")
    frame_count = _opt(obj, "frame_count", int, "an integer")
    if frame_count is None:
        # Optional: the frames of the message are in the store, so count them there
        # (control frames between fragments are not part of the message).
        row = store.row_of(d, last_seq)
        frame_count = (
            len(store.message_frames(row)) if row is not None else last_seq - first_seq + 1
        )
    message = Message(
        opcode,
        _bytes(obj, "data_b64"),
        _opt(obj, "text", str, "a string or null"),
        first_seq,
        last_seq,
        _int(obj, "wire_size"),
        _need(obj, "compressed", bool, "true or false"),
        _need(obj, "truncated", bool, "true or false"),
        frame_count,
    )
    return MessageCaptured(_num(obj, "t"), d, message)


def _read_state(obj: dict[str, Any], _store: CaptureStore) -> StateChanged:
    name = _str(obj, "state")
    try:
        state = ConnectionState(name)
    except ValueError:
        raise _Bad(f'unknown "state" {json_preview(name)}') from None
    detail = _opt(obj, "detail", str, "a string")
    return StateChanged(
        _num(obj, "t"),
        state,
        _opt(obj, "code", int, "an integer or null"),
        _opt(obj, "reason", str, "a string or null"),
        _opt(obj, "clean", bool, "true, false or null"),
        "" if detail is None else detail,
    )


def _read_handshake(obj: dict[str, Any], _store: CaptureStore) -> HandshakeCaptured:
    headers = _opt(obj, "headers", list, "a list of [name, value] pairs") or []
    pairs: list[tuple[str, str]] = []
    for h in headers:
        if not (
            isinstance(h, list) and len(h) == 2 and isinstance(h[0], str) and isinstance(h[1], str)
        ):
            raise _Bad(f'"headers" must hold [name, value] string pairs, not {json_preview(h)}')
        pairs.append((h[0], h[1]))
    timings = _opt(obj, "timings", dict, "an object") or {}
    steps: list[tuple[str, float]] = []
    for name, secs in timings.items():
        if not isinstance(secs, int | float) or isinstance(secs, bool):
            raise _Bad(f'timing "{name}" must be a number, not {json_preview(secs)}')
        steps.append((name, float(secs)))
    a = _opt(obj, "accept", dict, "an object or null")
    accept = None
    if a is not None:
        accept = AcceptCheck(
            _str(a, "key"),
            _str(a, "expected"),
            _opt(a, "received", str, "a string or null"),
            _need(a, "ok", bool, "true or false"),
            _opt(a, "concatenated", str, "a string") or "",
            _opt(a, "sha1_hex", str, "a string") or "",
        )
    s = _opt(obj, "tls", dict, "an object or null")
    tls = None
    if s is not None:
        tls = TlsInfo(
            _str(s, "version"),
            _str(s, "cipher"),
            _str(s, "peer_subject"),
            _str(s, "peer_issuer"),
            _str(s, "not_after"),
            _need(s, "verified", bool, "true or false"),
            _opt(s, "alpn", str, "a string or null"),
        )
    return HandshakeCaptured(
        _num(obj, "t"),
        _dir(obj),
        _bytes(obj, "raw_b64"),
        _str(obj, "start_line"),
        tuple(pairs),
        accept,
        tuple(map(_handshake_problem, _opt(obj, "problems", list, "a list") or ())),
        _opt(obj, "subprotocol", str, "a string or null"),
        _opt(obj, "extensions", str, "a string or null"),
        tuple(steps),
        tls,
    )


def _read_error(obj: dict[str, Any], _store: CaptureStore) -> ErrorCaptured:
    fatal = _opt(obj, "fatal", bool, "true or false")
    return ErrorCaptured(
        _num(obj, "t"),
        ErrorStep.parse(_str(obj, "step")),
        _str(obj, "message"),
        True if fatal is None else fatal,
    )


def _read_rtt(obj: dict[str, Any], _store: CaptureStore) -> RttSample:
    payload = _bytes(obj, "payload_b64") if "payload_b64" in obj else b""
    return RttSample(_num(obj, "t"), _num(obj, "rtt"), payload)


def _read_raw(obj: dict[str, Any], _store: CaptureStore) -> RawBytesSent:
    return RawBytesSent(_num(obj, "t"), _bytes(obj, "data_b64"), _int(obj, "offset"))


def _read_violation(obj: dict[str, Any], _store: CaptureStore) -> ViolationCaptured:
    return ViolationCaptured(_num(obj, "t"), _dir(obj), _violation(obj))


#: Readers of the event lines; the store is there for lines that refer to frames.
_EVENT_READERS: dict[str, Callable[[dict[str, Any], CaptureStore], StoredEvent]] = {
    "message": _read_message,
    "state": _read_state,
    "handshake": _read_handshake,
    "error": _read_error,
    "rtt": _read_rtt,
    "raw": _read_raw,
    "violation": _read_violation,
}


def _read_session(obj: Any, notes: list[str]) -> SessionInfo:
    """The session from the first line, or CaptureFormatError if it is not one.
    Damaged descriptive fields are replaced by defaults with a note: the frames
    that follow are still worth reading."""
    if not isinstance(obj, dict) or obj.get("type") != "session":
        hint = _HAR_HINT if isinstance(obj, dict) and "log" in obj else ""
        raise CaptureFormatError(
            f"not a ws-inspector capture: the first line is not a session object{hint}"
        )
    fmt = obj.get("format")
    if fmt != FORMAT_NAME:
        raise CaptureFormatError(
            f"not a ws-inspector capture: the format is {json_preview(fmt)}, not {FORMAT_NAME!r}"
        )
    version = obj.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise CaptureFormatError(f"the capture format version {json_preview(version)} is not valid")
    if version > FORMAT_VERSION:
        raise CaptureFormatError(
            f"this capture uses format version {version}, newer than this program reads "
            f"(version {FORMAT_VERSION}); open it with a newer ws-inspector"
        )

    def get(key: str, kind: type | tuple[type, ...], what: str, default: Any) -> Any:
        try:
            return _need(obj, key, kind, what)
        except _Bad as exc:
            notes.append(f"line 1: session {exc}; using {default!r}")
            return default

    started_unix = get("started_unix", (int, float), "a number", 0.0)
    raw_notes = obj.get("notes", [])
    if not isinstance(raw_notes, list) or not all(isinstance(n, str) for n in raw_notes):
        notes.append('line 1: session "notes" must be a list of strings; ignored')
        raw_notes = []
    role_text = get("role", str, "a string", "client")
    try:
        role = SessionRole(role_text)
    except ValueError:
        notes.append(f"line 1: unknown session role {role_text!r}; read as a client's capture")
        role = SessionRole.CLIENT
    source_text = get("source", str, "a string", "live")
    try:
        source = SessionSource(source_text)
    except ValueError:
        notes.append(f"line 1: unknown session source {source_text!r}; read as a live capture")
        source = SessionSource.LIVE
    return SessionInfo(
        url=get("url", str, "a string", ""),
        role=role,
        started_at=get("started_at", str, "a string", ""),
        started_unix=float(started_unix),
        source=source,
        notes=tuple(raw_notes),
    )


def session_from_json(obj: Any) -> SessionInfo:
    """The session described by a parsed session line (the first line of a capture
    or journal); raises :class:`CaptureFormatError` as :func:`read_jsonl` would.
    Damaged descriptive fields get their defaults."""
    return _read_session(obj, [])


_HAR_HINT: Final = (
    " (it looks like a HAR file or another JSON document: HAR files are opened as HAR, "
    "for example with 'ws-inspector convert FILE.har FILE.jsonl')"
)


def _json_document_hint(line: bytes | str) -> str:
    """A hint for a first line that is not JSON but starts a JSON document (a
    pretty-printed HAR file starts with a lone brace)."""
    head = line.strip()[:6]
    if isinstance(head, bytes):
        head = head.decode("ascii", "replace")
    return _HAR_HINT if head in ("{", '{"log"') else ""


def _is_decode_output(obj: Any) -> bool:
    """The first object of ``ws-inspector decode --json`` output: a frame (without
    the ``t`` a capture's frame lines have) or, for a stream with no whole frame,
    the ``truncated`` note."""
    if not isinstance(obj, dict):
        return False
    if obj.get("type") == "frame":
        return "header_hex" in obj and "payload_b64" in obj and "t" not in obj
    return obj.get("type") == "truncated" and "incomplete_bytes" in obj


#: The notes of a session read from ``decode --json`` output.
DECODE_NOTE: Final = (
    "read from the output of 'ws-inspector decode --json', which has no session line: "
    "there are no times (every t is 0) and one direction (every frame is shown as "
    "received from the peer)"
)


def _decode_session(obj: dict[str, Any]) -> SessionInfo:
    # Masked frames were sent by a client, so the side that "received" them, the
    # role of this session, is the server.
    role = "client"
    header = obj.get("header_hex")
    if isinstance(header, str) and len(header) >= 4:
        with contextlib.suppress(ValueError):
            role = "server" if int(header[2:4], 16) & 0x80 else "client"
    return SessionInfo("", SessionRole(role), "", 0.0, SessionSource.DECODE, (DECODE_NOTE,))


def _decode_defaults(obj: dict[str, Any]) -> dict[str, Any]:
    """A line of decode output made into a capture line: time 0, direction in, the
    data of a text message from its text, the ``truncated`` note as a violation."""
    kind = obj.get("type")
    if kind == "truncated":
        obj = {
            "type": "violation",
            "rule": "incomplete-frame",
            "message": obj.get("message"),
            "offset": obj.get("offset"),
        }
    obj.setdefault("t", 0.0)
    obj.setdefault("dir", "in")
    if kind == "message" and obj.get("data_b64") is None and isinstance(obj.get("text"), str):
        obj["data_b64"] = _b64(obj["text"].encode("utf-8", "surrogatepass"))
    return obj


def _add_wire_frames(store: CaptureStore, obj: dict[str, Any]) -> int:
    """Add the frames of a ``frames`` line to the store in one batch; returns how
    many. Raises _Bad (nothing added) when the line is not valid."""
    t = _num(obj, "t")
    d = _dir(obj)
    seq = _int(obj, "seq")
    offset = _int(obj, "offset")
    count = _int(obj, "count", minimum=1)
    wire = _bytes(obj, "data_b64")
    # The store keeps seq and offset in signed 64-bit columns.
    if seq + count - 1 > _MAX_INT64 or offset + len(wire) > _MAX_INT64:
        raise _Bad(f'"seq" or "offset" is too large (the limit is {_MAX_INT64})')
    offsets: array[int] = array("q")
    payloads: list[bytes] = []
    n = len(wire)
    pos = 0
    while pos < n:
        if n - pos < 2:
            raise _Bad(f'"data_b64" ends inside the header of frame {len(payloads) + 1}')
        b1 = wire[pos + 1]
        p = pos + header_length(b1)
        if p > n:
            raise _Bad(f'"data_b64" ends inside the header of frame {len(payloads) + 1}')
        n7 = b1 & 0x7F
        length = (
            n7
            if n7 < 126
            else _unpack_H(wire, pos + 2)[0]
            if n7 == 126
            else _unpack_Q(wire, pos + 2)[0]
        )
        end = p + length
        if end > n:
            raise _Bad(f'"data_b64" ends inside the payload of frame {len(payloads) + 1}')
        payload = wire[p:end]
        if b1 & 0x80:
            payload = apply_mask(payload, wire[p - 4 : p])
        offsets.append(pos)
        payloads.append(payload)
        pos = end
    if len(payloads) != count:
        raise _Bad(f'"count" is {count} but "data_b64" holds {len(payloads)} frames')
    store.add(FramesCaptured(t, d, FrameBatch(seq, offset, wire, offsets, payloads, {})))
    return count


_unpack_H = struct.Struct("!H").unpack_from
_unpack_Q = struct.Struct("!Q").unpack_from
_MAX_INT64: Final = 2**63 - 1


def _column(
    obj: dict[str, Any], key: str, count: int, kind: type, what: str, *, scalar: bool = True
) -> list[Any]:
    """A ``messages`` column: a list of ``count`` values, or (if ``scalar``) one value
    for all."""
    value = obj.get(key)
    if not isinstance(value, list) and not scalar:
        raise _Bad(f'"{key}" must be a list of {count} {what}, not {json_preview(value)}')
    values: list[Any] = value if isinstance(value, list) else [value] * count
    if len(values) != count:
        raise _Bad(f'"{key}" has {len(values)} values for {count} messages')
    for v in values:
        if kind is int:
            ok = isinstance(v, int) and not isinstance(v, bool) and v >= 0
        else:
            ok = isinstance(v, kind)
        if not ok:
            raise _Bad(f'"{key}" must hold {what}, not {json_preview(v)}')
    return values


def _add_messages(store: CaptureStore, obj: dict[str, Any]) -> int:
    """Add the messages of a ``messages`` line; returns how many. Raises _Bad
    (nothing added) when the line is not valid."""
    t = _num(obj, "t")
    d = _dir(obj)
    count = _int(obj, "count", minimum=1)
    # Each message ends at a frame of its own, so "last_seq" lists them all; checked
    # first, it bounds "count" by the line's size before other columns are expanded.
    lasts = _column(obj, "last_seq", count, int, "integers", scalar=count == 1)
    opcodes = _column(obj, "opcode", count, int, "integers 0-15")
    if any(op > 15 for op in opcodes):
        raise _Bad('"opcode" must hold integers 0-15')
    firsts = _column(obj, "first_seq", count, int, "integers") if "first_seq" in obj else lasts
    wires = _column(obj, "wire_size", count, int, "integers")
    compressed = _column(obj, "compressed", count, bool, "true or false")
    truncated = _column(obj, "truncated", count, bool, "true or false")
    frame_counts = _column(obj, "frame_count", count, int, "integers")
    sizes = _column(obj, "size", count, int, "integers")
    texts = _column(obj, "text", count, bool, "true or false")
    data = _bytes(obj, "data_b64")
    if sum(sizes) != len(data):
        raise _Bad(f'"size" adds up to {sum(sizes)} bytes but "data_b64" holds {len(data)}')
    events: list[MessageCaptured] = []
    pos = 0
    for i in range(count):
        chunk = data[pos : pos + sizes[i]]
        pos += sizes[i]
        text = None
        if texts[i]:
            try:
                text = chunk.decode("utf-8")
            except UnicodeDecodeError:
                raise _Bad(f"message {i + 1} is marked as text but is not UTF-8") from None
        message = Message(
            opcodes[i],
            chunk,
            text,
            firsts[i],
            lasts[i],
            wires[i],
            compressed[i],
            truncated[i],
            frame_counts[i],
        )
        events.append(MessageCaptured(t, d, message))
    for event in events:
        store.add(event)
    return count


#: The problem of a journal that ends without its end line.
JOURNAL_UNFINISHED: Final = (
    "the capture ends without its end line: the session did not finish (crash or kill)"
)


def _binary_hint(line: bytes | str) -> str:
    if isinstance(line, bytes):
        if b"\x00" in line:
            return " (it holds binary data)"
        try:
            line.decode("utf-8")
        except UnicodeDecodeError as exc:
            return f" (it is not UTF-8 text: byte {exc.start})"
    elif "\x00" in line:
        return " (it holds binary data)"
    return ""


def read_jsonl(
    source: str | os.PathLike[str] | IO[str] | IO[bytes],
    *,
    max_line_bytes: int = DEFAULT_MAX_LINE_BYTES,
) -> LoadResult:
    """Read a capture file (a path, or a binary or text stream).

    Raises :class:`CaptureFormatError` when the file is not a capture this program
    reads: empty, binary, not JSON, no session line first, another format or a newer
    version. Otherwise returns a :class:`LoadResult`, whose store holds everything
    readable: reading stops at the first line that is not JSON (a line cut off by a
    crash, binary junk) or is longer than ``max_line_bytes`` (bytes for a path or
    binary stream, characters for a text stream), so memory stays bounded by that
    limit whatever the file claims; a line that is JSON but not a valid line of its
    type is skipped with a problem and reading goes on. OSError (no such file, no
    permission) propagates.
    """
    if isinstance(source, str | os.PathLike):
        with open(source, "rb") as f:
            return _read(f.read, max_line_bytes)
    return _read(source.read, max_line_bytes)


# How _split_lines says a line ended.
_ENDED: Final = 0  # with a newline
_LAST: Final = 1  # with the end of the file (a final line with no newline)
_TOO_LONG: Final = 2  # it did not end within the limit; only its start is given
_UNDECODABLE: Final = 3  # the text stream could not decode it; the line says why
_BLOCK: Final = 2**20


def _split_lines(
    read: Callable[[int], bytes | str], first_limit: int, limit: int
) -> Iterator[tuple[Any, int]]:
    """Lines of a stream, without their newline, as ``(line, how_it_ended)``.

    Reads 1 MiB blocks and splits them in C (``readline`` costs ~1.5 us a line, five
    times more). A line that grows past its limit ends the iteration with
    ``_TOO_LONG`` and its first 4 KiB, so no more than ``limit`` plus one block is
    ever held for it.
    """
    pending: list[Any] = []  # pieces of a line that spans blocks
    pending_len = 0
    cap = first_limit
    nl: Any = None
    join: Any = None
    while True:
        try:
            block = read(_BLOCK)
        except UnicodeDecodeError as exc:
            # A text stream whose encoding does not fit the file: report it as a
            # line that cannot be read rather than let the codec's error escape.
            yield f"not {exc.encoding} text ({exc.reason})", _UNDECODABLE
            return
        if not block:
            if pending:
                yield join(pending), _LAST
            return
        if nl is None:
            nl, join = (b"\n", b"".join) if isinstance(block, bytes) else ("\n", "".join)
        parts = block.split(nl)
        tail = parts.pop()
        if parts:
            if pending:
                pending.append(parts[0])
                parts[0] = join(pending)
                pending = []
                pending_len = 0
            for line in parts:
                if len(line) > cap:
                    yield line[:4096], _TOO_LONG
                    return
                yield line, _ENDED
                cap = limit
        if tail:
            pending.append(tail)
            pending_len += len(tail)
            if pending_len > cap:
                yield join(pending)[:4096], _TOO_LONG
                return


def _re_both(pattern: str) -> tuple[re.Pattern[str], re.Pattern[bytes]]:
    return re.compile(pattern), re.compile(pattern.encode("ascii"))


# The frame line exactly as iter_lines writes it with no violations, field by field
# in JSON's own grammar, so that whatever it accepts json.loads would accept too.
# Matching it costs ~1.8 us a line against ~6 us for json.loads: the difference
# between opening a million frames in ~5 s or ~9 s. The fields after "offset" up to
# "header_hex" are derived from the header and are only checked for form.
_J_STR = r'"(?:[^"\\\x00-\x1f]|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*"'
_J_BOOL = r"(?:true|false)"
_J_INT = r"(?:0|[1-9][0-9]*)"
_J_NUM = r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?"
_FRAME_LINE_STR, _FRAME_LINE_BYTES = _re_both(
    r'\{"type":"frame","t":(' + _J_NUM + r'),"dir":"(out|in)",'
    r'"seq":(' + _J_INT + r'),"offset":(' + _J_INT + r"),"
    r'"fin":' + _J_BOOL + r',"rsv1":' + _J_BOOL + r',"rsv2":' + _J_BOOL + r","
    r'"rsv3":' + _J_BOOL + r',"opcode":' + _J_INT + r',"opcode_name":"[A-Z0-9_]+",'
    r'"masked":' + _J_BOOL + r',"mask_key":(?:null|"[0-9a-f]{8}"),'
    r'"length":' + _J_INT + r',"length_form":' + _J_INT + r","
    r'"header_hex":"((?:[0-9a-f]{2})+)","payload_b64":"([A-Za-z0-9+/]*={0,2})",'
    r'"truncated":' + _J_BOOL + r',"text":(?:null|' + _J_STR + r"),"
    r'"close_code":(?:null|' + _J_INT + r'),"close_reason":(?:null|' + _J_STR + r"),"
    r'"violations":\[\]\}\r?'
)
_DIR_TOKENS: dict[bytes | str, Direction] = {
    b"out": Direction.OUT,
    b"in": Direction.IN,
    "out": Direction.OUT,
    "in": Direction.IN,
}


def _utf8(line: bytes | str) -> bool:
    if isinstance(line, str):
        return True
    try:
        line.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _read(read: Callable[[int], bytes | str], max_line: int) -> LoadResult:
    first_limit = min(max_line, _MAX_FIRST_LINE)
    lines = _split_lines(read, first_limit, max_line)
    first, how = next(lines, (None, _LAST))
    if first is None:
        raise CaptureFormatError("the file is empty: not a ws-inspector capture")
    if how == _UNDECODABLE:
        raise CaptureFormatError(f"not a ws-inspector capture: the file is {first}")
    if how == _TOO_LONG:
        raise CaptureFormatError(
            f"not a ws-inspector capture: the first line is longer than {first_limit} "
            f"bytes{_binary_hint(first)}"
        )
    if first[:3] == b"\xef\xbb\xbf" or first[:1] == "\ufeff":
        # A byte order mark an editor added: json.loads refuses it, nothing else is wrong.
        first = first[3:] if isinstance(first, bytes) else first[1:]
    try:
        head = _loads(first)
    except (ValueError, RecursionError):
        hint = _binary_hint(first) or _json_document_hint(first)
        raise CaptureFormatError(
            f"not a ws-inspector capture: the first line is not JSON{hint}"
        ) from None
    notes: list[str] = []
    if _is_decode_output(head):
        result = LoadResult(CaptureStore(_decode_session(head)), notes, kind="decode")
        _read_body(chain(((first, how),), lines), max_line, result, lineno=0)
        return result
    store = CaptureStore(_read_session(head, notes))
    result = LoadResult(store, notes, lines_read=1)
    if head.get("journal") is True:
        result.kind = "journal"
    _read_body(lines, max_line, result)
    return result


def _read_body(
    lines: Iterator[tuple[Any, int]], max_line: int, result: LoadResult, *, lineno: int = 1
) -> None:
    store = result.store
    problems = result.problems
    reported = 0
    suppressed = 0
    lost = bool(problems)  # the session line had fields replaced by defaults
    unknown: dict[str, int] = {}
    frames = 0
    others = 0
    end: dict[str, Any] | None = None
    end_at = 0
    stop: str | None = None
    cut_off = False
    decode = result.kind == "decode"
    append_frame = store.append_frame
    match_str = _FRAME_LINE_STR.fullmatch
    match_bytes = _FRAME_LINE_BYTES.fullmatch
    dir_tokens = _DIR_TOKENS
    a2b_hex = binascii.a2b_hex
    b64decode = _b64decode

    def problem(text: str) -> None:
        nonlocal reported, suppressed
        if reported < _MAX_PROBLEMS:
            problems.append(text)
            reported += 1
        else:
            suppressed += 1

    for line, how in lines:
        lineno += 1
        if how == _TOO_LONG:
            stop = (
                f"line {lineno} is longer than {max_line} bytes{_binary_hint(line)}; "
                "stopped reading there"
            )
            break
        if how == _UNDECODABLE:
            stop = f"from line {lineno} on the file is {line}; stopped reading there"
            break
        if end is None:
            m = (match_bytes if isinstance(line, bytes) else match_str)(line)
            if m is not None and (line.isascii() or _utf8(line)):
                t, d, seq, offset, header, payload = m.groups()
                try:
                    append_frame(
                        float(t),
                        dir_tokens[d],
                        int(seq),
                        int(offset),
                        a2b_hex(header),
                        b64decode(payload, strict_mode=True),
                    )
                except (ValueError, OverflowError):
                    pass  # the general path below says what is wrong with it
                else:
                    frames += 1
                    result.lines_read = lineno
                    continue
        try:
            obj = _loads(line)
        except (ValueError, RecursionError) as exc:
            if not line.strip():
                continue  # a blank line (an editor's trailing newline) says nothing
            if how == _LAST:
                cut_off = True
                stop = (
                    f"line {lineno} is cut off: the file ends in the middle of it "
                    "(was the capture still being written?)"
                )
            else:
                cause = "nested too deeply" if isinstance(exc, RecursionError) else str(exc)
                stop = (
                    f"line {lineno} is not valid JSON ({cause}){_binary_hint(line)}; "
                    "stopped reading there"
                )
            break
        if end is not None:
            stop = (
                f"line {lineno} comes after the end line (line {end_at}); "
                "what follows it was not read"
            )
            break
        result.lines_read = lineno
        if decode and isinstance(obj, dict):
            obj = _decode_defaults(obj)
        kind = obj.get("type") if isinstance(obj, dict) else None
        if kind == "end":
            end = obj
            end_at = lineno
            continue
        if kind == "frame":
            frames += 1
            why, dropped = _add_frame_slowly(store, obj)
            if why is not None:
                problem(f"line {lineno}: frame skipped: {why}")
                lost = True
            elif dropped:
                problem(
                    f"line {lineno}: violations of rules this version does not know were "
                    f"dropped: {', '.join(dropped)}"
                )
                lost = True
            continue
        if kind == "messages":
            try:
                others += _add_messages(store, obj)
            except _Bad as exc:
                declared = obj.get("count")
                if isinstance(declared, int) and not isinstance(declared, bool):
                    others += declared
                problem(f"line {lineno}: messages skipped: {exc}")
                lost = True
            continue
        if kind == "frames":
            try:
                frames += _add_wire_frames(store, obj)
            except _Bad as exc:
                declared = obj.get("count")
                if isinstance(declared, int) and not isinstance(declared, bool):
                    frames += declared  # lost, but not missing: the end line agrees
                problem(f"line {lineno}: frames skipped: {exc}")
                lost = True
            except (ValueError, OverflowError) as exc:
                problem(f"line {lineno}: frames skipped: {exc}")
                lost = True
            continue
        if kind == "session":
            stop = (
                f"line {lineno} starts another session (files joined together?); "
                "only the first session was read"
            )
            break
        others += 1
        if not isinstance(obj, dict):
            problem(f"line {lineno} is not a JSON object; skipped")
            lost = True
            continue
        reader = _EVENT_READERS.get(kind) if isinstance(kind, str) else None
        if reader is None:
            # A line type from a later revision of this version: skipping it is the rule.
            name = kind if isinstance(kind, str) else json_preview(kind)
            unknown[name] = unknown.get(name, 0) + 1
            continue
        try:
            store.add(reader(obj, store))
        except _Bad as exc:
            problem(f"line {lineno}: {kind} skipped: {exc}")
            lost = True
        except _UnknownRule as exc:
            problem(f"line {lineno}: {kind} skipped: unknown rule {exc.slug!r}")
            lost = True
    if suppressed:
        problems.append(f"... and {suppressed} more problems like these")
    for name, count in unknown.items():
        problems.append(f"ignored {count} line(s) of type {name!r}, unknown to this version")
    if stop is not None:
        problems.append(f"{stop}; {len(store)} frames and {len(store.events)} events loaded")
        lost = True
        if result.kind == "journal" and end is None and cut_off:
            problems.append(JOURNAL_UNFINISHED)
    elif decode:
        pass  # decode output has no end line
    elif end is None:
        if result.kind == "journal":
            problems.append(JOURNAL_UNFINISHED)
        else:
            problems.append(
                f"the file ends after line {lineno} without its end line: the capture may "
                "have been cut short (for example the program stopped while saving)"
            )
        lost = True
    elif end.get("frames") != frames or end.get("events") != others:
        problems.append(
            f"the end line (line {end_at}) counts {json_preview(end.get('frames'))} frames and "
            f"{json_preview(end.get('events'))} other lines, but the file holds {frames} and "
            f"{others}: lines are missing or were added"
        )
        lost = True
    result.complete = not lost


def _add_frame_slowly(store: CaptureStore, obj: dict[str, Any]) -> tuple[str | None, list[str]]:
    """Check a frame line field by field and add it if it is valid. Returns why it
    was skipped (or None) and the unknown rule names whose violations were dropped."""
    try:
        t, d, seq, offset, header, payload, vlist = _frame_fields(obj)
        found: list[Violation] = []
        dropped: list[str] = []
        for v in vlist:
            try:
                found.append(_violation(v))
            except _UnknownRule as exc:
                dropped.append(exc.slug)
        store.append_frame(t, d, seq, offset, header, payload, tuple(found))
    except ValueError as exc:  # _Bad, and the store's own header/payload checks
        return str(exc), []
    except OverflowError:
        return "a number is too large for its column", []
    return None, dropped
