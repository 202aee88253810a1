"""HAR export: one entry per session, the way Chrome DevTools writes a WebSocket
(see :mod:`inspector.capture.formats.har`)."""

from __future__ import annotations

import base64
import json
import math
import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from operator import itemgetter
from typing import IO, Any, Final
from urllib.parse import parse_qsl

from .... import __version__
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
    if isinstance(stores, CaptureStore):
        stores = [stores]
    entries = [
        _entry(store, include_secrets=include_secrets, control_frames=control_frames)
        for store in stores
    ]
    return {
        "log": {
            "version": "1.2",
            "creator": {"name": _CREATOR, "version": __version__},
            "pages": [],
            "entries": entries,
        }
    }


def write_har(
    stores: CaptureStore | Iterable[CaptureStore],
    dest: str | os.PathLike[str] | IO[str],
    *,
    include_secrets: bool = False,
    control_frames: bool = False,
) -> int:
    """Write the HAR file of ``stores`` and return the number of entries.

    A path is written through a temporary file renamed into place when complete
    (mode 0600, like captures: even without secrets, a session's data may be
    private). ``dest`` may also be a text stream.
    """
    har = to_har(stores, include_secrets=include_secrets, control_frames=control_frames)
    text = _dumps(har)
    if not isinstance(dest, str | os.PathLike):
        dest.write(text)
    else:
        with atomic_text_file(dest) as out:
            out.write(text)
    return len(har["log"]["entries"])


def _dumps(har: dict[str, Any]) -> str:
    """``json.dumps(har, indent=2, ensure_ascii=False, allow_nan=False)`` and a
    newline, the same text, made fast: with an indent, the json module encodes in
    Python (16 s for a million messages), so each entry's message list is left out
    of it and made by C-level string formatting, then put in its place."""
    lists: dict[str, str] = {}
    for entry in har["log"]["entries"]:
        messages = entry.get("_webSocketMessages")
        if isinstance(messages, list) and messages:
            token = f"\x00messages {len(lists)} {id(messages)}\x00"
            lists[json.dumps(token)] = _message_list(messages)
            entry["_webSocketMessages"] = token
    # Strict JSON: a NaN or an infinity (made in code: no reader gives one) raises
    # ValueError instead of writing what no JSON reader reads. Every string is
    # Unicode text by then (see _Texts), so the UTF-8 file takes it.
    text = json.dumps(har, indent=2, ensure_ascii=False, allow_nan=False)
    for token, listed in lists.items():
        text = text.replace(token, listed, 1)
    return text + "\n"


#: One message of an entry's list as json.dumps(indent=2) lays it out there.
_MESSAGE: Final = (
    "          {\n"
    '            "type": %s,\n'
    '            "time": %r,\n'
    '            "opcode": %d,\n'
    '            "data": %s\n'
    "          }"
)
_MESSAGE_FIELDS: Final = ("type", "time", "opcode", "data")


def _message_list(messages: list[dict[str, Any]]) -> str:
    columns = [list(map(itemgetter(name), messages)) for name in _MESSAGE_FIELDS]
    types, times, opcodes, datas = columns
    if not (
        _FLOAT.issuperset(map(type, times))
        and _INT.issuperset(map(type, opcodes))
        and _STR.issuperset(map(type, types))
        and _STR.issuperset(map(type, datas))
        and all(len(m) == 4 for m in messages)
    ):
        # Not the messages _messages makes: the json module's own layout.
        return json.dumps(messages, indent=2, ensure_ascii=False, allow_nan=False).replace(
            "\n", "\n        "
        )
    if not all(map(math.isfinite, times)):
        raise ValueError("Out of range float values are not JSON compliant")
    items = map(
        _MESSAGE.__mod__,
        zip(map(_quote, types), times, opcodes, map(_quote, datas), strict=True),
    )
    return "[\n" + ",\n".join(items) + "\n        ]"


_quote: Final = json.encoder.encode_basestring
_FLOAT: Final = frozenset({float})
_INT: Final = frozenset({int})
_STR: Final = frozenset({str})


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


def _entry(store: CaptureStore, *, include_secrets: bool, control_frames: bool) -> dict[str, Any]:
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
    return {
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
        "_webSocketMessages": messages,
    }


@dataclass(slots=True)
class _Dropped:
    """Frames the message list leaves out, by kind, for the entry's comment."""

    control: int = 0
    reserved: int = 0
    reserved_opcodes: set[int] = field(default_factory=set)


def _messages(
    store: CaptureStore, client: bool, control_frames: bool, text_of: _Texts
) -> tuple[list[dict[str, Any]], _Dropped, int, int]:
    """Chrome's message list of a session; the frames left out (control frames,
    unless asked for, and frames with a reserved opcode, which HAR has no place
    for), and the numbers of text messages that were not UTF-8 and of messages not
    kept whole."""
    start = store.session.started_unix
    sends = 0 if client else 1  # the store's direction code of what the client sent
    found: list[tuple[float, int, int, bytes, str | None]] = []
    cut = 0
    messages = store.messages
    b0s, starts, payloads, times, dirs = (
        store.b0,
        store.msg_start,
        store.payloads,
        store.t,
        store.dir,
    )
    dropped = _Dropped()
    # One pass over the payloads (C-level copies out of the arena), not one index
    # per row.
    for row, row_payload in enumerate(payloads):
        captured = messages.get(row)
        if captured is not None:
            m = captured.message
            cut += m.truncated
            found.append((times[row], dirs[row], m.opcode, m.data, m.text))
            continue
        b0 = b0s[row]
        op = b0 & 0x0F
        if op in (1, 2):
            # A message of one plain frame has no message of its own in the store
            # (RSV1 without deflate is a reserved bit, not compression: still plain).
            if b0 & 0x80 and starts[row] == row and not (b0 & 0x40 and store.is_compressed(row)):
                found.append((times[row], dirs[row], op, row_payload, None))
        elif op in (8, 9, 10):
            if control_frames:
                found.append((times[row], dirs[row], op, row_payload, None))
            else:
                dropped.control += 1
        elif op != 0:
            dropped.reserved += 1
            dropped.reserved_opcodes.add(op)
    for ev in store.events:
        if isinstance(ev, MessageCaptured):  # its frames are not in the store
            m = ev.message
            cut += m.truncated
            found.append((ev.t, 0 if ev.dir is Direction.OUT else 1, m.opcode, m.data, m.text))
    found.sort(key=lambda item: item[0])
    out: list[dict[str, Any]] = []
    bad_text = 0
    for t, d, op, data, text in found:
        if op == 1:
            if text is None:
                try:
                    text = data.decode("utf-8")
                except UnicodeDecodeError:
                    text = data.decode("utf-8", "replace")
                    bad_text += 1
            else:
                text = text_of(text)
            payload = text
        else:
            payload = base64.b64encode(data).decode("ascii")
        out.append(
            {
                "type": "send" if d == sends else "receive",
                "time": round(start + t, 6),
                "opcode": op,
                "data": payload,
            }
        )
    return out, dropped, bad_text, cut
