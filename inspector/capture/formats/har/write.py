"""HAR export: one entry per session, the way Chrome DevTools writes a WebSocket
(see :mod:`inspector.capture.formats.har`)."""

from __future__ import annotations

import base64
import json
import math
import os
import re
from array import array
from binascii import b2a_base64
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import partial
from itertools import chain, compress, islice, repeat
from operator import add, call, contains, eq, le
from typing import IO, Any, Final
from urllib.parse import parse_qsl

from .... import __version__
from ...bulk import and_masks, not_mask, or_masks
from ...events import Direction, MessageCaptured
from ...store import CaptureStore
from ..files import atomic_text_file
from .schema import SECRET_HEADERS, WITHHELD, iso_time, split_url

__all__ = ["to_har", "write_har"]

_CREATOR: Final = "ws-inspector"
_EXPORT_NOTE: Final = (
    "WebSocket session exported by ws-inspector: messages only, as Chrome DevTools "
    "writes them (frame headers, masks, fragmentation, compression and control "
    "frames are not in HAR)"
)


def to_har(
    stores: CaptureStore | Iterable[CaptureStore],
    *,
    include_secrets: bool = False,
    control_frames: bool = False,
) -> dict[str, Any]:
    """The HAR document (a dict, ready for :func:`json.dump`) of one or more
    sessions, one entry each, in the order given.

    ``control_frames`` adds pings, pongs and close frames to the messages with their
    opcodes (9, 10, 8; data in base64): Chrome does not list them, but reads them.
    """
    har, listed = _document(stores, include_secrets=include_secrets, control_frames=control_frames)
    for entry, columns in zip(har["log"]["entries"], listed, strict=True):
        entry["_webSocketMessages"] = columns.dicts()
    return har


def write_har(
    stores: CaptureStore | Iterable[CaptureStore],
    dest: str | os.PathLike[str] | IO[str],
    *,
    include_secrets: bool = False,
    control_frames: bool = False,
) -> int:
    """Write the HAR file of ``stores`` and return the number of entries.

    The text is ``json.dumps(to_har(...), indent=2, ensure_ascii=False)`` and a
    newline, written in chunks. A path is written through a temporary file renamed
    into place when complete (mode 0600, like captures: even without secrets, a
    session's data may be private). ``dest`` may also be a text stream.
    """
    har, listed = _document(stores, include_secrets=include_secrets, control_frames=control_frames)
    # Strict JSON: a NaN or an infinity (made in code: no reader gives one) raises
    # ValueError before anything is written, instead of writing what no JSON reader
    # reads.
    for columns in listed:
        if not all(map(math.isfinite, columns.times)):
            raise ValueError("Out of range float values are not JSON compliant")
    chunks = _chunks(har, listed)
    if not isinstance(dest, str | os.PathLike):
        for chunk in chunks:
            dest.write(chunk)
    else:
        with atomic_text_file(dest) as out:
            for chunk in chunks:
                out.write(chunk)
    return len(listed)


def _document(
    stores: CaptureStore | Iterable[CaptureStore], *, include_secrets: bool, control_frames: bool
) -> tuple[dict[str, Any], list[_Columns]]:
    """The HAR document without its message lists (each entry's is empty), and
    those lists as columns, an entry's each."""
    if isinstance(stores, CaptureStore):
        stores = [stores]
    made = [
        _entry(store, include_secrets=include_secrets, control_frames=control_frames)
        for store in stores
    ]
    har = {
        "log": {
            "version": "1.2",
            "creator": {"name": _CREATOR, "version": __version__},
            "pages": [],
            "entries": [entry for entry, _ in made],
        }
    }
    return har, [columns for _, columns in made]


def _chunks(har: dict[str, Any], listed: list[_Columns]) -> Iterator[str]:
    """The text of :func:`write_har`, made fast: with an indent, the json module
    encodes in Python (16 s for a million messages), so the message lists are left
    out of it, laid out by :meth:`_Columns.layout` in C-level joins, and written in
    their places, a chunk at a time (no copy of the whole document)."""
    tokens = []
    for i, (entry, columns) in enumerate(zip(har["log"]["entries"], listed, strict=True)):
        if columns.times:
            token = f"\x00messages {i}\x00"
            entry["_webSocketMessages"] = token
            tokens.append((json.dumps(token), columns))
    # Every string is Unicode text by then (see _Texts), so the UTF-8 file takes it.
    rest = json.dumps(har, indent=2, ensure_ascii=False, allow_nan=False)
    for token, columns in tokens:
        head, _, rest = rest.partition(token)
        yield head
        yield from columns.layout()
    yield rest + "\n"


#: A message of an entry's list as json.dumps(indent=2) lays it out there, in the
#: pieces between its values: before the time (by type), between the time and the
#: data (by opcode), and after the data.
_BEFORE_TIME: Final = {
    sent: '          {\n            "type": "%s",\n            "time": '
    % ("send" if sent else "receive")
    for sent in (True, False)
}
_BEFORE_DATA: Final = {
    op: f',\n            "opcode": {op},\n            "data": ' for op in range(16)
}
_AFTER_DATA: Final = "\n          },\n"
#: Messages laid out per chunk written (a few MiB of text).
_CHUNK: Final = 32768


@dataclass(slots=True)
class _Columns:
    """An entry's message list, a column per field: whether the client sent it, the
    time (Unix seconds, rounded to the microsecond), the opcode and the data."""

    sent: list[bool]
    times: list[float]
    opcodes: list[int]
    datas: list[str]

    def dicts(self) -> list[dict[str, Any]]:
        return [
            {"type": "send" if sent else "receive", "time": t, "opcode": op, "data": data}
            for sent, t, op, data in zip(
                self.sent, self.times, self.opcodes, self.datas, strict=True
            )
        ]

    def layout(self) -> Iterator[str]:
        """The list's JSON text as json.dumps(indent=2) writes it in an entry, in
        chunks: each a join of the pieces of its messages (no object per message)."""
        yield "[\n"
        n = len(self.times)
        for lo in range(0, n, _CHUNK):
            hi = min(lo + _CHUNK, n)
            text = "".join(
                chain.from_iterable(
                    zip(
                        map(_BEFORE_TIME.__getitem__, self.sent[lo:hi]),
                        map(float.__repr__, self.times[lo:hi]),
                        map(_BEFORE_DATA.__getitem__, self.opcodes[lo:hi]),
                        map(_quote, self.datas[lo:hi]),
                        repeat(_AFTER_DATA, hi - lo),
                        strict=True,
                    )
                )
            )
            # The last message has no comma after it.
            yield text[:-2] if hi == n else text
        yield "\n        ]"


_quote: Final = json.encoder.encode_basestring


def _split_start(line: str) -> tuple[str, str, str]:
    """(method, target, version) of a request line; (version, status, text) of a
    status line."""
    parts = [*line.split(" ", 2), "", ""]
    return parts[0], parts[1], parts[2]


class _Texts:
    """Strings made writable as UTF-8, counted: header bytes that were not text (kept
    as surrogate escapes) and lone surrogates (in a message's text read from a file)
    become U+FFFD, and the entry's comment says how many values were changed."""

    def __init__(self) -> None:
        self.replaced = 0

    def __call__(self, value: str) -> str:
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            self.replaced += 1
            # Surrogate escapes go back to their bytes (decoded where they are UTF-8),
            # any other surrogate is replaced as it is.
            value = _LONE_SURROGATE.sub("\ufffd", value)
            return value.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
        return value


#: Surrogates that are not surrogate escapes of bytes (U+DC80-U+DCFF).
_LONE_SURROGATE: Final = re.compile("[\ud800-\udc7f\udd00-\udfff]")


def _headers(
    pairs: Sequence[tuple[str, str]], include_secrets: bool, withheld: set[str], text: _Texts
) -> list[dict[str, str]]:
    out = []
    for name, value in pairs:
        shown = text(name)
        if not include_secrets and name.lower() in SECRET_HEADERS:
            withheld.add(shown)
            value = WITHHELD
        out.append({"name": shown, "value": text(value)})
    return out


def _cookies(pairs: Sequence[tuple[str, str]], header: str, _text: _Texts) -> list[dict[str, Any]]:
    cookies: list[dict[str, Any]] = []
    for name, value in pairs:
        if name.lower() != header:
            continue
        if header == "cookie":
            for part in value.split(";"):
                key, sep, val = part.strip().partition("=")
                if sep and key:
                    cookies.append({"name": _text(key), "value": _text(val)})
        else:
            first, *attrs = value.split(";")
            key, sep, val = first.strip().partition("=")
            if not (sep and key):
                continue
            cookie: dict[str, Any] = {"name": _text(key), "value": _text(val)}
            for attr in attrs:
                a_name, _, a_value = attr.strip().partition("=")
                low = a_name.lower()
                if low in ("path", "domain", "expires"):
                    cookie[low] = _text(a_value)
                elif low in ("httponly", "secure"):
                    cookie["httpOnly" if low == "httponly" else "secure"] = True
            cookies.append(cookie)
    return cookies


def _ms(seconds: float | None) -> float:
    return -1 if seconds is None else round(seconds * 1000.0, 3)


def _entry(
    store: CaptureStore, *, include_secrets: bool, control_frames: bool
) -> tuple[dict[str, Any], _Columns]:
    """A session's HAR entry (its message list empty) and that list's columns."""
    session = store.session
    _text = _Texts()
    client = session.role != "server"
    # HAR sees a WebSocket from the client (the browser): the request is what the
    # client sent, "send" what the client sent.
    req = store.handshake(Direction.OUT if client else Direction.IN)
    resp = store.handshake(Direction.IN if client else Direction.OUT)
    withheld: set[str] = set()
    req_pairs = req.headers if req is not None else ()
    resp_pairs = resp.headers if resp is not None else ()
    method, _, req_version = _split_start(req.start_line) if req else ("GET", "", "")
    resp_version, status_text, reason = _split_start(resp.start_line) if resp else ("", "0", "")
    try:
        status = int(status_text)
    except ValueError:
        status = 0
    url = _text(session.url)
    query = split_url(url)[1] if "?" in url else ""
    messages, dropped, bad_text, cut = _messages(store, client, control_frames, _text)
    last_t = max([store.t[-1] if len(store) else 0.0, *(ev.t for ev in store.events)])
    steps = dict(resp.timings) if resp is not None else {}
    dns = steps.get("dns")
    tcp = steps.get("tcp")
    tls = steps.get("tls")
    wait = steps.get("handshake")
    connect = None if tcp is None else tcp + (tls or 0.0)
    resp_t = resp.t if resp is not None else 0.0
    timings = {
        "blocked": -1,
        "dns": _ms(dns),
        "ssl": _ms(tls),
        "connect": _ms(connect),
        "send": 0,
        "wait": _ms(wait) if wait is not None else 0,
        # As Chrome does for a WebSocket: from the response to the last message.
        "receive": _ms(max(0.0, last_t - resp_t)) if resp is not None else 0,
        "_blocked_queueing": -1,
    }
    total = sum(
        max(float(timings[k]), 0.0)
        for k in ("blocked", "dns", "connect", "send", "wait", "receive")
    )
    req_headers = _headers(req_pairs, include_secrets, withheld, _text)
    resp_headers = _headers(resp_pairs, include_secrets, withheld, _text)
    comment = [_EXPORT_NOTE]
    if dropped.control:
        comment.append(f"{dropped.control} control frame(s) (ping, pong, close) are not listed")
    if dropped.reserved:
        opcodes = ", ".join(f"0x{op:X}" for op in sorted(dropped.reserved_opcodes))
        comment.append(
            f"{dropped.reserved} frame(s) with a reserved opcode ({opcodes}) are not listed: "
            "HAR has no place for them"
        )
    if cut:
        comment.append(
            f"{cut} message(s) were not kept whole (larger than the capture's size limit): "
            "their data is cut short"
        )
    if bad_text:
        comment.append(
            f"{bad_text} text message(s) were not valid UTF-8: U+FFFD replaces the bad bytes"
        )
    request = {
        "method": _text(method) or "GET",
        "url": url,
        "httpVersion": _text(req_version) or "HTTP/1.1",
    }
    response_head = {
        "status": status,
        "statusText": _text(reason),
        "httpVersion": _text(resp_version),
    }
    if _text.replaced:
        comment.append(
            f"{_text.replaced} text value(s) were not Unicode text (header bytes that were "
            "not UTF-8, or a lone surrogate): U+FFFD replaces what could not be written"
        )
    if withheld:
        comment.append(
            f"the values of the {', '.join(sorted(withheld))} header(s) were left out "
            f"(replaced by {WITHHELD!r}); export with include_secrets (ws-inspector "
            "convert --include-secrets) to keep them"
        )
    entry = {
        "startedDateTime": iso_time(session.started_unix),
        "time": round(total, 3),
        "request": {
            **request,
            "headers": req_headers,
            "queryString": [
                {"name": k, "value": v} for k, v in parse_qsl(query, keep_blank_values=True)
            ],
            "cookies": _cookies(req_pairs, "cookie", _text) if include_secrets else [],
            "headersSize": len(req.raw) if req is not None else -1,
            "bodySize": 0,
        },
        "response": {
            **response_head,
            "headers": resp_headers,
            "cookies": _cookies(resp_pairs, "set-cookie", _text) if include_secrets else [],
            "content": {"size": 0, "mimeType": "x-unknown"},
            "redirectURL": "",
            "headersSize": len(resp.raw) if resp is not None else -1,
            "bodySize": 0,
            "_transferSize": len(resp.raw) if resp is not None else 0,
            "_error": None,
        },
        "cache": {},
        "timings": timings,
        "comment": "; ".join(comment),
        "_resourceType": "websocket",
        "_webSocketMessages": [],
    }
    return entry, messages


@dataclass(slots=True)
class _Dropped:
    """Frames the message list leaves out, by kind, for the entry's comment."""

    control: int = 0
    reserved: int = 0
    reserved_opcodes: set[int] = field(default_factory=set)


def _messages(
    store: CaptureStore, client: bool, control_frames: bool, text_of: _Texts
) -> tuple[_Columns, _Dropped, int, int]:
    """Chrome's message list of a session; the frames left out (control frames,
    unless asked for, and frames with a reserved opcode, which HAR has no place
    for), and the numbers of text messages that were not UTF-8 and of messages not
    kept whole.

    A million frames are a million rows: the rows listed as they are (a message of
    one plain frame, or a control frame) are picked and converted with whole-column
    operations (``bytes.translate``, big-integer masks, ``map`` over the arena's
    views); only the rows with a message of their own (reassembled or inflated) and
    the messages kept beside the frames take a Python step each."""
    n = len(store)
    messages = store.messages
    b0s = store.b0.tobytes()
    kinds = b0s.translate(_KINDS)
    opcodes = b0s.translate(_OPCODES)
    # Listed as they are: a data frame that is a whole message (FIN, and its own
    # message start: a frame of a fragmented message is not), or a control frame.
    whole = bytes(map(eq, store.msg_start, range(n)))
    data = and_masks(kinds.translate(_IS_DATA), whole)
    if kinds.translate(_IS_RSV1).count(1):
        # RSV1 without deflate is a reserved bit, not compression: still plain.
        data = and_masks(data, not_mask(store.compressed_rows()))
    listed = bytearray(or_masks(data, kinds.translate(_IS_CONTROL)) if control_frames else data)
    dropped = _Dropped()
    if not control_frames:
        dropped.control = kinds.count(_CONTROL)
    reserved = {op: opcodes.count(op) for op in _RESERVED}
    # Rows with a message of their own are that message (and are counted as nothing
    # else).
    found: list[tuple[int, float, int, int, bytes, str | None]] = []
    cut = 0
    t, dirs = store.t, store.dir
    for row, captured in messages.items():
        listed[row] = 0
        op = opcodes[row]
        if kinds[row] == _CONTROL[0] and not control_frames:
            dropped.control -= 1
        elif op in reserved:
            reserved[op] -= 1
        m = captured.message
        cut += m.truncated
        found.append((row, t[row], dirs[row], int(m.opcode), m.data, m.text))
    for ev in store.events:
        if isinstance(ev, MessageCaptured):  # its frames are not in the store
            m = ev.message
            cut += m.truncated
            d = 0 if ev.dir is Direction.OUT else 1
            found.append((n, ev.t, d, int(m.opcode), m.data, m.text))
    dropped.reserved = sum(reserved.values())
    dropped.reserved_opcodes = {op for op, count in reserved.items() if count}
    rows = array("q", compress(range(n), listed))
    columns_of = _PlainRows(store, rows, opcodes)
    times = columns_of.column(t)
    sent_dir = 0 if client else 1  # the store's direction code of what the client sent
    sent = list(map(eq, columns_of.column(dirs), repeat(sent_dir)))
    ops = columns_of.column(opcodes)
    datas, bad_text = columns_of.datas(ops)
    if found:
        # In row order (the messages kept beside the frames after every row), then
        # by time, as the rows were before: stable sorts.
        keys = [*rows, *(item[0] for item in found)]
        times.extend(item[1] for item in found)
        sent.extend(item[2] == sent_dir for item in found)
        ops.extend(item[3] for item in found)
        for _, _, _, op, data, text in found:
            payload, bad = _data_of(op, data, text, text_of)
            datas.append(payload)
            bad_text += bad
        order = sorted(range(len(keys)), key=keys.__getitem__)
        order.sort(key=times.__getitem__)
    elif not all(map(le, times, islice(times, 1, None))):
        order = sorted(range(len(times)), key=times.__getitem__)
    else:
        order = None
    if order is not None:
        times, sent, ops, datas = (
            list(map(column.__getitem__, order)) for column in (times, sent, ops, datas)
        )
    start = store.session.started_unix
    rounded = list(map(round, map(add, repeat(start), times), repeat(6)))
    return _Columns(sent, rounded, ops, datas), dropped, bad_text, cut


def _data_of(op: int, data: bytes, text: str | None, text_of: _Texts) -> tuple[str, int]:
    """A message's data as HAR holds it (text, or base64), and 1 when it was text
    that was not UTF-8 (else 0)."""
    if op != 1:
        return base64.b64encode(data).decode("ascii"), 0
    if text is not None:
        return text_of(text), 0
    try:
        return data.decode("utf-8"), 0
    except UnicodeDecodeError:
        return data.decode("utf-8", "replace"), 1


class _PlainRows:
    """The rows listed as they are, and their columns, each made in C."""

    def __init__(self, store: CaptureStore, rows: array[int], opcodes: bytes) -> None:
        self.store = store
        self.rows = rows
        self.opcodes = opcodes

    def column(self, values: Sequence[Any]) -> list[Any]:
        if len(self.rows) == len(values):
            return list(values)
        return list(map(values.__getitem__, self.rows))

    def datas(self, ops: list[int]) -> tuple[list[str], int]:
        """Each row's data (``ops``: the rows' opcodes), and how many text rows were
        not UTF-8."""
        rows = self.rows
        payloads = self.store.payloads
        arena = payloads.data
        if ops.count(1) == len(ops):
            if not payloads.own and arena.isascii():
                # Text that is all ASCII: one decode of the arena, a slice per row
                # (no view, no decoder call per row), and nothing to replace.
                whole = arena.decode("ascii")
                b = payloads.bounds
                starts = map(b.__getitem__, rows)
                stops = map(b.__getitem__, map((1).__add__, rows))
                return list(map(whole.__getitem__, map(slice, starts, stops))), 0
            datas = list(map(str, payloads.views(rows), repeat("utf-8"), repeat("replace")))
        else:
            datas = list(map(call, map(_DATA_OF.__getitem__, ops), payloads.views(rows)))
        # Decoding with "replace" only puts U+FFFD where it was, or where bytes were
        # not UTF-8: only those rows are decoded again to tell which.
        suspects = compress(rows, map(contains, datas, repeat("\ufffd")))
        bad = 0
        for row in suspects:
            if self.opcodes[row] == 1:
                try:
                    payloads[row].decode("utf-8")
                except UnicodeDecodeError:
                    bad += 1
        return datas, bad


def _base64_text(payload: bytes | memoryview) -> str:
    return b2a_base64(payload, newline=False).decode("ascii")


#: A plain row's data by its opcode: text decoded (U+FFFD for bytes that are not
#: UTF-8), anything else in base64.
_DATA_OF: Final = {
    op: partial(str, encoding="utf-8", errors="replace") if op == 1 else _base64_text
    for op in range(16)
}

#: Each first header byte's kind: 1 a whole data frame (FIN set), 2 that with RSV1,
#: 3 a control frame, 0 anything else (continuation, or a data frame without FIN).
_KINDS: Final = bytes(
    (1 if b & 0x80 else 0) + (1 if b & 0x80 and b & 0x40 else 0)
    if b & 0x0F in (1, 2)
    else 3
    if b & 0x0F in (8, 9, 10)
    else 0
    for b in range(256)
)
_CONTROL: Final = b"\x03"
_IS_DATA: Final = bytes(1 if k in (1, 2) else 0 for k in range(256))
_IS_RSV1: Final = bytes(1 if k == 2 else 0 for k in range(256))
_IS_CONTROL: Final = bytes(1 if k == 3 else 0 for k in range(256))
_OPCODES: Final = bytes(b & 0x0F for b in range(256))
_RESERVED: Final = (3, 4, 5, 6, 7, 11, 12, 13, 14, 15)
