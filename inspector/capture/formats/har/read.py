"""HAR import: every WebSocket entry of a HAR file as a read-only session of
synthesized frames (see :mod:`inspector.capture.formats.har`)."""

from __future__ import annotations

import binascii
import datetime
import json
import math
import os
from array import array
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import accumulate, repeat
from operator import add, mul, sub
from typing import IO, Any, Final

from ....protocol.frames import encode_header
from ...bulk import not_mask
from ...events import (
    ConnectionState,
    Direction,
    ErrorCaptured,
    ErrorStep,
    HandshakeCaptured,
    SessionInfo,
    SessionRole,
    SessionSource,
    StateChanged,
)
from ...store import CaptureStore
from ..jsonl.fast import loads
from ..jsonl.schema import json_preview
from .schema import iso_time, split_url

__all__ = [
    "DEFAULT_MAX_HAR_BYTES",
    "HAR_NOTE",
    "HarFormatError",
    "HarSession",
    "is_message_level",
    "read_har",
]

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


class HarFormatError(ValueError):
    """The file is not a HAR file this program can read, or has no WebSocket entry;
    the message says which, in plain words."""


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
    texts = _text_columns(raw_messages)
    messages: list[_Parsed] = []
    if texts is not None:
        times = texts[1]
    else:
        messages = [m for m in (_message(n, m, problems) for n, m in enumerate(raw_messages)) if m]
        times = [m[1] for m in messages]

    started = _parse_time(entry.get("startedDateTime"))
    if started is None:
        problems.append('"startedDateTime" is not an ISO 8601 time; using the first message')
    first = min(times) if times else None
    if started is None or (first is not None and first < started):
        started = first if first is not None else (started or 0.0)
    started_at = iso_time(started)
    store = CaptureStore(
        SessionInfo(url, SessionRole.CLIENT, started_at, started, SessionSource.HAR, tuple(notes))
    )

    req_pairs = _pairs(request.get("headers"), "request", problems)
    resp_pairs = _pairs(response.get("headers"), "response", problems)
    method = request.get("method") if isinstance(request.get("method"), str) else "GET"
    version = request.get("httpVersion")
    version = version if isinstance(version, str) and version else "HTTP/1.1"
    path, query = split_url(url)
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

    if texts is not None:
        last_t = _add_texts(store, *texts, started, resp_t)
    else:
        last_t = _add_messages(store, messages, started, resp_t)
    store.add(
        StateChanged(
            last_t,
            ConnectionState.CLOSED,
            detail="the HAR file does not say how the connection ended",
        )
    )
    return HarSession(store, index, url, problems)


class _Run:
    """Data frames in columns, handed to the store in one call (a HAR of a million
    messages is a million whole text or binary messages, a few control frames)."""

    def __init__(self) -> None:
        self.clear()

    def clear(self) -> None:
        self.t: array[float] = array("d")
        self.dirs = bytearray()
        self.seq: array[int] = array("q")
        self.offset: array[int] = array("q")
        self.headers: list[bytes] = []
        self.payloads: list[bytes] = []

    def flush(self, store: CaptureStore) -> None:
        if not self.headers:
            return
        if not store.extend_frames(
            self.t, bytes(self.dirs), self.seq, self.offset, self.headers, self.payloads
        ):  # past the budget: one by one, as append_frame cuts them
            for i, header in enumerate(self.headers):
                store.append_frame(
                    self.t[i],
                    _DIRECTIONS[self.dirs[i]],
                    self.seq[i],
                    self.offset[i],
                    header,
                    self.payloads[i],
                )
        self.clear()


_DIRECTIONS: Final = (Direction.OUT, Direction.IN)


def _add_messages(
    store: CaptureStore, messages: list[_Parsed], started: float, last_t: float
) -> float:
    """Append the messages as frames (errors as events), numbered per direction from
    0; the time of the last one (at least ``last_t``)."""
    seqs = [0, 0]
    offsets = [0, 0]
    run = _Run()
    for kind, when, opcode, payload, text in messages:
        t = when - started
        if t > last_t:
            last_t = t
        if kind == "error":
            run.flush(store)
            store.add(ErrorCaptured(t, ErrorStep.PROTOCOL, text or "", fatal=False))
            continue
        d = 0 if kind == "send" else 1
        n = len(payload)
        header = bytes((0x80 | opcode, n)) if n < 126 else encode_header(0x80 | opcode, n, None)
        if opcode == 1 or opcode == 2:
            run.t.append(t)
            run.dirs.append(d)
            run.seq.append(seqs[d])
            run.offset.append(offsets[d])
            run.headers.append(header)
            run.payloads.append(payload)
        else:
            run.flush(store)
            store.append_frame(t, _DIRECTIONS[d], seqs[d], offsets[d], header, payload)
        seqs[d] += 1
        offsets[d] += len(header) + n
    run.flush(store)
    return last_t


_get = dict.get
_DICTS: Final = frozenset({dict})
_INTS: Final = frozenset({int})
_FLOATS: Final = frozenset({float})
_STRS: Final = frozenset({str})
_SEND_RECEIVE: Final = frozenset({"send", "receive"})
#: "send" and "receive" told apart by their length (4 and 7): their direction code.
_DIR_BY_LEN: Final = bytes(1 if n == 7 else 0 for n in range(256))
#: The header of a text message of n < 126 bytes.
_TEXT_HEADERS: Final = tuple(bytes((0x81, n)) for n in range(126))


def _text_columns(raw: list[Any]) -> tuple[list[str], list[float], list[str]] | None:
    """The types, times and data of ``raw`` messages when every one is the common
    item :func:`_message` takes in one test (a text message timed in seconds, its
    data ASCII), checked column by column in C; None otherwise (then each message
    is read on its own, which says what is wrong with which)."""
    if not raw or not _DICTS.issuperset(map(type, raw)):
        return None
    opcodes: list[Any] = list(map(_get, raw, repeat("opcode")))
    if not _INTS.issuperset(map(type, opcodes)) or set(opcodes) != {1}:
        return None
    kinds: list[Any] = list(map(_get, raw, repeat("type")))
    if not _STRS.issuperset(map(type, kinds)) or not _SEND_RECEIVE.issuperset(kinds):
        return None
    times: list[Any] = list(map(_get, raw, repeat("time")))
    # A sum that is finite has no NaN or infinity in it (one that overflows takes
    # the long way).
    if not _FLOATS.issuperset(map(type, times)) or not math.isfinite(sum(times)):
        return None
    if max(times) > 1e11:  # milliseconds, as some tools write
        return None
    datas: list[Any] = list(map(_get, raw, repeat("data")))
    if not _STRS.issuperset(map(type, datas)) or not all(map(str.isascii, datas)):
        return None
    return kinds, times, datas


def _add_texts(
    store: CaptureStore,
    kinds: list[str],
    times: list[float],
    datas: list[str],
    started: float,
    last_t: float,
) -> float:
    """:func:`_add_messages` for messages that are all text (see :func:`_text_columns`),
    in columns: numbered and placed per direction by running sums in C."""
    run = _Run()
    run.t = array("d", map(sub, times, repeat(started)))
    dirs = bytes(map(len, kinds)).translate(_DIR_BY_LEN)
    run.dirs = bytearray(dirs)
    outs = not_mask(dirs)
    run.payloads = payloads = list(map(str.encode, datas))
    lengths = list(map(len, payloads))
    if max(lengths) < 126:
        run.headers = list(map(_TEXT_HEADERS.__getitem__, lengths))
    else:
        run.headers = [encode_header(0x81, n, None) for n in lengths]
    wire = list(map(add, lengths, map(len, run.headers)))

    def per_direction(values: Any) -> array[int]:
        # Row i's sum of ``values`` over the rows before it in its own direction.
        ins = accumulate(map(mul, dirs, values), initial=0)
        out = accumulate(map(mul, outs, values), initial=0)
        return array("q", map(add, map(mul, dirs, ins), map(mul, outs, out)))

    run.seq = per_direction(repeat(1))
    run.offset = per_direction(wire)
    last_t = max(last_t, max(run.t))
    run.flush(store)
    return last_t


def _raw(start_line: str, pairs: Sequence[tuple[str, str]]) -> bytes:
    """The handshake's bytes rebuilt from the HAR's headers (HAR does not keep them)."""
    text = start_line + "\r\n" + "".join(f"{k}: {v}\r\n" for k, v in pairs) + "\r\n"
    return text.encode("utf-8", "replace")


_Parsed = tuple[str, float, int, bytes, str | None]


_INF: Final = math.inf


def _message(n: int, obj: Any, problems: list[str]) -> _Parsed | None:
    """One ``_webSocketMessages`` item: (type, unix time, opcode, payload, text of
    an error), or None (and a problem) when it cannot be read."""
    if type(obj) is dict:
        # The common item, a text message timed in seconds, checked in one test
        # (NaN and the infinities fail the range); any other goes the long way.
        kind = obj.get("type")
        when = obj.get("time")
        data = obj.get("data")
        if (
            obj.get("opcode") == 1
            and type(obj["opcode"]) is int
            and (kind == "send" or kind == "receive")
            and type(when) is float
            and -_INF < when <= 1e11
            and type(data) is str
            and data.isascii()
        ):
            return kind, when, 1, data.encode("ascii"), None
    return _checked_message(n, obj, problems)


def _checked_message(n: int, obj: Any, problems: list[str]) -> _Parsed | None:

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
