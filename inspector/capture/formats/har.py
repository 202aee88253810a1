"""HAR 1.2 export and import of WebSocket sessions, the way Chrome DevTools writes them.

A HAR file records HTTP exchanges; Chrome DevTools (since version 76) adds, to the
entry of a WebSocket's opening handshake, ``"_resourceType": "websocket"`` and
``"_webSocketMessages"``: one ``{"type", "time", "opcode", "data"}`` object per
*message* (reassembled, after inflation), never per frame; control frames are not
listed. ``type`` is ``"send"`` (sent by the browser, the client) or ``"receive"``
(``"error"`` for a frame error, with opcode -1); ``time`` is seconds since the Unix
epoch (a float); ``opcode`` is 1 (``data`` is the text) or 2 (``data`` is base64).
Chrome writes ``request.url`` as the ``ws://``/``wss://`` URL. Its importer requires
numbers for ``time``, ``request.headersSize``/``bodySize``,
``response.status``/``headersSize``/``bodySize``, ``response.content.size`` and
``timings.send``/``wait``/``receive``, and a valid ``startedDateTime``; the export
below always writes them.

Export (:func:`to_har`, :func:`write_har`) writes one entry per session. Header values
that are credentials (``Cookie``, ``Set-Cookie``, ``Authorization``,
``Proxy-Authorization``) are replaced by :data:`WITHHELD` unless
``include_secrets=True``, and the entry's ``comment`` says so.

Import (:func:`read_har`) turns every WebSocket entry of a HAR file (Chrome's, and
other tools' that follow it) into a read-only session with ``source="har"``: one
synthesized frame per message (FIN set, unmasked, minimal length), because a HAR file
has no frames. :data:`HAR_NOTE`, in the session's notes, says so, and
:func:`is_message_level` is the flag for a viewer. Firefox's HAR export (as far as
its source shows) lists WebSocket handshakes without messages: those import as
sessions with a handshake and no frames.
"""

from __future__ import annotations

import base64
import binascii
import datetime
import json
import math
import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import IO, Any, Final
from urllib.parse import parse_qsl, urlsplit

from ... import __version__
from ...protocol.frames import encode_header
from ..events import (
    ConnectionState,
    Direction,
    ErrorCaptured,
    ErrorStep,
    HandshakeCaptured,
    MessageCaptured,
    SessionInfo,
    SessionRole,
    SessionSource,
    StateChanged,
)
from ..store import CaptureStore
from .files import atomic_text_file
from .jsonl.schema import json_preview, loads

__all__ = [
    "DEFAULT_MAX_HAR_BYTES",
    "HAR_NOTE",
    "SECRET_HEADERS",
    "WITHHELD",
    "HarFormatError",
    "HarSession",
    "is_message_level",
    "read_har",
    "to_har",
    "write_har",
]

#: Header names (lower case) whose values exports leave out unless asked.
SECRET_HEADERS: Final = frozenset({"cookie", "set-cookie", "authorization", "proxy-authorization"})
#: What a left-out header value is replaced by.
WITHHELD: Final = "[withheld by ws-inspector]"
#: Files larger than this are refused before reading them (a HAR is one JSON document,
#: read whole).
DEFAULT_MAX_HAR_BYTES: Final = 1 << 30
#: The note of every session imported from a HAR file.
HAR_NOTE: Final = (
    "imported from a HAR file, which records WebSocket messages, not frames: each "
    "message is shown as one frame (FIN set, unmasked, minimal length); the real frame "
    "bits, masking keys, fragmentation, compression and control frames (ping, pong, "
    "close) are not in the file"
)

_CREATOR: Final = "ws-inspector"
_EXPORT_NOTE: Final = (
    "WebSocket session exported by ws-inspector: messages only, as Chrome DevTools "
    "writes them (frame headers, masks, fragmentation, compression and control "
    "frames are not in HAR)"
)


class HarFormatError(ValueError):
    """The file is not a HAR file this program can read, or has no WebSocket entry;
    the message says which, in plain words."""


# ------------------------------------------------------------------------ export


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
    # Strict JSON: a NaN or an infinity (made in code: no reader gives one) raises
    # ValueError instead of writing what no JSON reader reads. Every string is
    # Unicode text by then (see _Texts), so the UTF-8 file takes it.
    text = json.dumps(har, indent=2, ensure_ascii=False, allow_nan=False) + "\n"
    if not isinstance(dest, str | os.PathLike):
        dest.write(text)
    else:
        with atomic_text_file(dest) as out:
            out.write(text)
    return len(har["log"]["entries"])


def _iso(unix: float) -> str:
    """``2024-05-01T12:00:00.123Z``, as JavaScript's ``Date.toJSON`` writes it."""
    try:
        when = datetime.datetime.fromtimestamp(unix, datetime.UTC)
    except (OverflowError, OSError, ValueError):
        when = datetime.datetime.fromtimestamp(0, datetime.UTC)
    return when.isoformat(timespec="milliseconds").replace("+00:00", "Z")


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
    query = _split_url(url)[1] if "?" in url else ""
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
        "startedDateTime": _iso(session.started_unix),
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
    for row in range(len(b0s)):
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
                found.append((times[row], dirs[row], op, payloads[row], None))
        elif op in (8, 9, 10):
            if control_frames:
                found.append((times[row], dirs[row], op, payloads[row], None))
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


# ------------------------------------------------------------------------ import


@dataclass(slots=True)
class HarSession:
    """One WebSocket entry of a HAR file, as a session.

    ``store`` holds synthesized frames (one per message: see :data:`HAR_NOTE`);
    ``message_level`` is always True, the flag a viewer shows ("frame details are not
    in the file"). ``problems`` lists what could not be read (a malformed message is
    skipped, the others kept)."""

    store: CaptureStore
    entry_index: int
    url: str
    problems: list[str] = field(default_factory=list)
    message_level: bool = True


def is_message_level(session: SessionInfo) -> bool:
    """The session's frames are synthesized from messages (imported from HAR): their
    header bits, masks and fragmentation are not what crossed the wire."""
    return session.source == "har"


def read_har(
    source: str | os.PathLike[str] | IO[bytes] | IO[str],
    *,
    max_bytes: int = DEFAULT_MAX_HAR_BYTES,
) -> list[HarSession]:
    """The WebSocket sessions of a HAR file (a path, or a binary or text stream), one
    per WebSocket entry, in the file's order.

    Raises :class:`HarFormatError` when the file is not a HAR file (empty, binary,
    not JSON, no ``log`` with ``entries``), is larger than ``max_bytes``, or has no
    WebSocket entry. A malformed message or header is skipped and listed in its
    session's ``problems``. OSError (no such file...) propagates.
    """
    if isinstance(source, str | os.PathLike):
        size = os.path.getsize(source)
        if size > max_bytes:
            raise HarFormatError(
                f"the file is {size} bytes, more than the {max_bytes} a HAR file may have here"
            )
        with open(source, "rb") as f:
            raw: bytes | str = f.read(max_bytes + 1)
    else:
        raw = source.read(max_bytes + 1)
    if len(raw) > max_bytes:
        raise HarFormatError(f"the file is more than the {max_bytes} bytes a HAR file may have")
    return _sessions(_parse(raw))


def _parse(raw: bytes | str) -> dict[str, Any]:
    if isinstance(raw, bytes):
        if raw.startswith(b"\xef\xbb\xbf"):
            raw = raw[3:]
        if b"\x00" in raw[:4096]:
            raise HarFormatError("not a HAR file: it holds binary data")
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise HarFormatError(
                f"not a HAR file: it is not UTF-8 text (byte {exc.start})"
            ) from None
    else:
        text = raw.removeprefix("\ufeff")
    if not text.strip():
        raise HarFormatError("the file is empty: not a HAR file")
    try:
        root = loads(text)
    except json.JSONDecodeError as exc:
        if text.lstrip().startswith('{"type":"session"'):
            raise HarFormatError(
                "not a HAR file: it is a ws-inspector capture (JSON Lines); open it as a capture"
            ) from None
        raise HarFormatError(
            f"not a HAR file: it is not valid JSON ({exc.msg} at line {exc.lineno} "
            f"column {exc.colno})"
        ) from None
    except RecursionError:
        raise HarFormatError("not a HAR file: its JSON is nested too deeply") from None
    if not isinstance(root, dict) or not isinstance(root.get("log"), dict):
        raise HarFormatError('not a HAR file: it has no "log" object')
    log: dict[str, Any] = root["log"]
    if not isinstance(log.get("entries"), list):
        raise HarFormatError('not a HAR file: "log" has no "entries" list')
    return log


def _is_websocket(entry: dict[str, Any]) -> bool:
    kind = entry.get("_resourceType")
    if isinstance(kind, str) and kind.lower() == "websocket":
        return True
    if isinstance(entry.get("_webSocketMessages"), list):
        return True
    request = entry.get("request")
    url = request.get("url") if isinstance(request, dict) else None
    if isinstance(url, str) and url.lower().startswith(("ws://", "wss://")):
        return True
    response = entry.get("response")
    return isinstance(response, dict) and response.get("status") == 101


def _sessions(log: dict[str, Any]) -> list[HarSession]:
    entries = log["entries"]
    found = [(i, e) for i, e in enumerate(entries) if isinstance(e, dict) and _is_websocket(e)]
    if not found:
        raise HarFormatError(
            f"the HAR file has {len(entries)} entr{'y' if len(entries) == 1 else 'ies'} but "
            'no WebSocket connection (no entry with _resourceType "websocket", '
            "_webSocketMessages, a ws:// or wss:// URL or a 101 response)"
        )
    return [_session(i, e) for i, e in found]


def _parse_time(value: Any) -> float | None:
    """Seconds since the Unix epoch of an ISO 8601 string, or None."""
    if not isinstance(value, str) or not value:
        return None
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        when = datetime.datetime.fromisoformat(text)
    except ValueError:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=datetime.UTC)
    return when.timestamp()


def _number(value: Any) -> float | None:
    """A finite number, or None: not a number, NaN, an infinity (``1e999`` reads as
    one) or an integer too large for a float."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        number = float(value)
    except OverflowError:
        return None
    return number if math.isfinite(number) else None


def _pairs(obj: Any, what: str, problems: list[str]) -> list[tuple[str, str]]:
    items = obj if isinstance(obj, list) else []
    if obj is not None and not isinstance(obj, list):
        problems.append(f"{what} headers are not a list; left out")
    pairs = []
    for n, item in enumerate(items):
        if (
            isinstance(item, dict)
            and isinstance(item.get("name"), str)
            and isinstance(item.get("value"), str | int | float)
        ):
            pairs.append((item["name"], str(item["value"])))
        else:
            problems.append(f"{what} header {n + 1} is not a name and value; left out")
    return pairs


def _header(pairs: Sequence[tuple[str, str]], name: str) -> str | None:
    for key, value in pairs:
        if key.lower() == name:
            return value
    return None


_HTTP_TO_WS: Final = {"http": "ws", "https": "wss"}


def _session(index: int, entry: dict[str, Any]) -> HarSession:
    problems: list[str] = []
    notes = [HAR_NOTE, f"entry {index + 1} of the HAR file"]
    request = entry.get("request")
    response = entry.get("response")
    if not isinstance(request, dict):
        problems.append('the entry has no "request" object')
        request = {}
    if not isinstance(response, dict):
        problems.append('the entry has no "response" object')
        response = {}
    url = request.get("url")
    if not isinstance(url, str):
        problems.append('the request has no "url"')
        url = ""
    scheme, sep, rest = url.partition("://")
    if sep and scheme.lower() in _HTTP_TO_WS:
        url = f"{_HTTP_TO_WS[scheme.lower()]}://{rest}"
        notes.append(f"the file gives the URL as {scheme}://; shown as {url.split('://')[0]}://")

    raw_messages = entry.get("_webSocketMessages")
    if raw_messages is None:
        raw_messages = []
        notes.append("the file lists no messages for this WebSocket (no _webSocketMessages)")
    elif not isinstance(raw_messages, list):
        problems.append('"_webSocketMessages" is not a list; no messages read')
        raw_messages = []
    messages = [m for m in (_message(n, m, problems) for n, m in enumerate(raw_messages)) if m]

    started = _parse_time(entry.get("startedDateTime"))
    if started is None:
        problems.append('"startedDateTime" is not an ISO 8601 time; using the first message')
    times = [m[1] for m in messages]
    first = min(times) if times else None
    if started is None or (first is not None and first < started):
        started = first if first is not None else (started or 0.0)
    started_at = _iso(started)
    store = CaptureStore(
        SessionInfo(url, SessionRole.CLIENT, started_at, started, SessionSource.HAR, tuple(notes))
    )

    req_pairs = _pairs(request.get("headers"), "request", problems)
    resp_pairs = _pairs(response.get("headers"), "response", problems)
    method = request.get("method") if isinstance(request.get("method"), str) else "GET"
    version = request.get("httpVersion")
    version = version if isinstance(version, str) and version else "HTTP/1.1"
    path, query = _split_url(url)
    target = (path or "/") + (f"?{query}" if query else "")
    store.add(StateChanged(0.0, ConnectionState.CONNECTING))
    start_line = f"{method} {target} {version}"
    store.add(
        HandshakeCaptured(
            0.0, Direction.OUT, _raw(start_line, req_pairs), start_line, tuple(req_pairs)
        )
    )

    timings = entry.get("timings")
    if not isinstance(timings, dict):
        timings = {}
    step_ms = {
        k: _number(timings.get(k)) for k in ("blocked", "dns", "connect", "ssl", "send", "wait")
    }
    before = sum(max(v or 0.0, 0.0) for k, v in step_ms.items() if k != "ssl") / 1000.0
    resp_t = min(before, (first - started) if first is not None else before)
    status = _number(response.get("status"))
    if status is None:
        problems.append('the response "status" is not a number')
    steps: list[tuple[str, float]] = []
    for name, key in (("dns", "dns"), ("tls", "ssl")):
        value = step_ms[key]
        if value is not None and value >= 0:
            steps.append((name, value / 1000.0))
    connect, ssl = step_ms["connect"], step_ms["ssl"]
    if connect is not None and connect >= 0:
        steps.append(("tcp", (connect - max(ssl or 0.0, 0.0)) / 1000.0))
    if step_ms["wait"] is not None and step_ms["wait"] >= 0:
        steps.append(("handshake", (step_ms["wait"] + max(step_ms["send"] or 0.0, 0.0)) / 1000.0))
    if response:
        resp_version = response.get("httpVersion")
        reason = response.get("statusText")
        status_line = " ".join(
            str(x)
            for x in (
                resp_version if isinstance(resp_version, str) and resp_version else version,
                int(status) if status is not None else 0,
                reason if isinstance(reason, str) else "",
            )
        ).strip()
        store.add(
            HandshakeCaptured(
                resp_t,
                Direction.IN,
                _raw(status_line, resp_pairs),
                status_line,
                tuple(resp_pairs),
                subprotocol=_header(resp_pairs, "sec-websocket-protocol"),
                extensions=_header(resp_pairs, "sec-websocket-extensions"),
                timings=tuple(steps),
            )
        )
        if status == 101:
            store.add(StateChanged(resp_t, ConnectionState.OPEN))

    seqs = [0, 0]
    offsets = [0, 0]
    last_t = resp_t
    for kind, when, opcode, payload, text in messages:
        t = when - started
        last_t = max(last_t, t)
        if kind == "error":
            store.add(ErrorCaptured(t, ErrorStep.PROTOCOL, text or "", fatal=False))
            continue
        d = 0 if kind == "send" else 1
        header = encode_header(0x80 | opcode, len(payload), None)
        store.append_frame(
            t, Direction.OUT if d == 0 else Direction.IN, seqs[d], offsets[d], header, payload
        )
        seqs[d] += 1
        offsets[d] += len(header) + len(payload)
    store.add(
        StateChanged(
            last_t,
            ConnectionState.CLOSED,
            detail="the HAR file does not say how the connection ended",
        )
    )
    return HarSession(store, index, url, problems)


def _split_url(url: str) -> tuple[str, str]:
    """The path and query of ``url``; empty for a URL ``urlsplit`` refuses (a bad
    IPv6 literal such as ``ws://[::1/``): a file's URL is only described, not used."""
    try:
        split = urlsplit(url)
    except ValueError:
        return "", ""
    return split.path, split.query


def _raw(start_line: str, pairs: Sequence[tuple[str, str]]) -> bytes:
    """The handshake's bytes rebuilt from the HAR's headers (HAR does not keep them)."""
    text = start_line + "\r\n" + "".join(f"{k}: {v}\r\n" for k, v in pairs) + "\r\n"
    return text.encode("utf-8", "replace")


_Parsed = tuple[str, float, int, bytes, str | None]


def _message(n: int, obj: Any, problems: list[str]) -> _Parsed | None:
    """One ``_webSocketMessages`` item: (type, unix time, opcode, payload, text of
    an error), or None (and a problem) when it cannot be read."""

    def skip(why: str) -> None:
        problems.append(f"message {n + 1} skipped: {why}")

    if not isinstance(obj, dict):
        skip("it is not an object")
        return None
    kind = obj.get("type")
    if kind not in ("send", "receive", "error"):
        skip(f'"type" must be "send", "receive" or "error", not {json_preview(kind)}')
        return None
    when = obj.get("time")
    seconds = _number(when)
    if seconds is None:
        seconds = _parse_time(when)
    elif seconds > 1e11:  # milliseconds, as some tools write
        seconds /= 1000.0
    if seconds is None:
        skip(f'"time" must be seconds since the Unix epoch, not {json_preview(when)}')
        return None
    data = obj.get("data")
    if data is None:
        data = ""
    if not isinstance(data, str):
        skip(f'"data" must be a string, not {json_preview(data)}')
        return None
    if kind == "error":
        return kind, seconds, -1, b"", data
    opcode = obj.get("opcode")
    if isinstance(opcode, bool) or not isinstance(opcode, int):
        skip(f'"opcode" must be a number, not {json_preview(opcode)}')
        return None
    if opcode == 1:
        try:
            payload = data.encode("utf-8")
        except UnicodeEncodeError:
            problems.append(f"message {n + 1}: its text holds a lone surrogate; U+FFFD used")
            payload = data.encode("utf-8", "replace")
    elif opcode == 2:
        try:
            payload = binascii.a2b_base64(data, strict_mode=True)
        except (binascii.Error, ValueError):
            skip("opcode 2 (binary) but its data is not base64")
            return None
    elif opcode in (8, 9, 10):
        payload = _control_payload(obj, data)
        if len(payload) > 125:
            skip(f"a control frame (opcode {opcode}) holds at most 125 bytes, not {len(payload)}")
            return None
    else:
        skip(f"opcode {json_preview(opcode)} is not a message (1, 2) or a control frame (8, 9, 10)")
        return None
    return kind, seconds, opcode, payload, None


def _control_payload(obj: dict[str, Any], data: str) -> bytes:
    code = obj.get("code")
    if isinstance(code, int) and not isinstance(code, bool) and 0 <= code <= 0xFFFF:
        return code.to_bytes(2, "big") + data.encode("utf-8", "replace")
    try:
        return binascii.a2b_base64(data, strict_mode=True)
    except (binascii.Error, ValueError):
        return data.encode("utf-8", "replace")
