"""Writing capture lines: a whole store (:func:`write_jsonl`), a capture as it
happens (:class:`CaptureLineWriter`), and the lines one at a time for the live
journal.

Writing is built for a million frames: each frame line is assembled from the
store's columns with pre-made fragments and an f-string, never through a
:class:`~inspector.protocol.frames.Frame` or a dict. Every line is strict JSON
(see :mod:`.schema`): ASCII except for the text of a frame, which is decoded UTF-8
and so holds no lone surrogate.
"""

from __future__ import annotations

import itertools
import math
import os
from collections.abc import Iterable, Iterator
from json.encoder import encode_basestring
from typing import IO, Any, Final, Protocol

from ....protocol.constants import Opcode, opcode_name
from ....protocol.frames import parse_close_payload
from ...budget import is_plain_message
from ...events import (
    FORMAT_NAME,
    FORMAT_VERSION,
    ErrorCaptured,
    FramesCaptured,
    HandshakeCaptured,
    InterventionCaptured,
    MessageCaptured,
    RawBytesSent,
    RttSample,
    SessionInfo,
    SessionRole,
    StateChanged,
)
from ...store import CaptureStore, StoredEvent
from ..files import atomic_text_file
from .schema import DIR_NAME, b64, b64encode, dumps, json_float

__all__ = [
    "CaptureLineWriter",
    "LineFields",
    "end_line",
    "event_line",
    "frame_lines",
    "iter_lines",
    "session_line",
    "write_jsonl",
]

_DIR_JSON = ('"out"', '"in"')


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


class LineFields(Protocol):
    """Fields a writer adds at the end of frame and message lines (``decode --json``
    adds the payload view and its rendered text): JSON text starting with a comma,
    or ``""`` for none. Asked while the line is made, so that what the line already
    holds (the payload's text) is not made twice."""

    def frame_fields(self, store: CaptureStore, row: int, text_json: str) -> str:
        """For the frame at ``row``; ``text_json`` is its ``"text"`` value (the
        payload's UTF-8 text as JSON, ``null`` when it has none or is a close frame)."""
        ...

    def message_fields(self, store: CaptureStore, row: int) -> str:
        """For the kept message whose last frame is at ``row``."""
        ...


def iter_lines(store: CaptureStore, fields: LineFields | None = None) -> Iterator[str]:
    """The lines of ``store``'s capture file, without line ends, in order: session,
    frames and events interleaved as they happened, each non-trivial message right
    after its last frame, then the end line; ``fields`` adds to frame and message
    lines. Raises ValueError for a number JSON cannot hold (a NaN time made in code:
    no reader gives one)."""
    yield session_line(store.session)
    done = 0
    for rows, event in store.iter_events():
        if rows > done:
            yield from _row_lines(store, done, rows, fields)
            done = rows
        yield event_line(event)
    if len(store) > done:
        yield from _row_lines(store, done, len(store), fields)
    yield end_line(len(store), len(store.events) + len(store.messages))


def _row_lines(
    store: CaptureStore, start: int, stop: int, fields: LineFields | None = None
) -> Iterator[str]:
    """The frame lines of rows ``start`` to ``stop``, each kept message after its row."""
    messages = store.messages
    violations = store.violations
    payloads = store.payloads
    t_col, dir_col, seq_col, off_col = store.t, store.dir, store.seq, store.offset
    b0_col, b1_col, len_col, key_col = store.b0, store.b1, store.length, store.mask_key
    b0_json, form_json, text_kind, dir_json = _B0_JSON, _FORM_JSON, _TEXT_KIND, _DIR_JSON
    b64_bytes = b64encode
    enc = encode_basestring
    frame_fields = fields.frame_fields if fields is not None else None
    tail = ""
    last_t = math.nan
    t_json = ""
    # The payloads in one pass (C-level copies out of the arena), not an index per row.
    for row, payload in zip(range(start, stop), payloads.between(start, stop), strict=True):
        t = t_col[row]
        if t != last_t:  # a batch shares one time: format it once
            last_t = t
            t_json = json_float(t)
        b0 = b0_col[row]
        b1 = b1_col[row]
        length = len_col[row]
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
        vj = dumps([v.to_json() for v in found]) if found else "[]"
        if frame_fields is not None:
            tail = frame_fields(store, row, text if kind == 1 else "null")
        yield (
            f'{{"type":"frame","t":{t_json},"dir":{dir_json[dir_col[row]]},'
            f'"seq":{seq_col[row]},"offset":{off_col[row]},{b0_json[b0]},'
            f'"masked":{mask},"length":{length},"length_form":{form_json[n7]},'
            f'"header_hex":"{hh}","payload_b64":"{b64_bytes(payload, newline=False).decode()}",'
            f'"truncated":{"true" if len(payload) < length else "false"},"text":{text},'
            f'"close_code":{close},"violations":{vj}{tail}}}'
        )
        if row in messages:
            line = event_line(messages[row])
            if fields is not None:
                line = line[:-1] + fields.message_fields(store, row) + "}"
            yield line


def frame_lines(event: FramesCaptured) -> list[str]:
    """The frame lines of one event's frames (without line ends), as
    :func:`iter_lines` writes them, for writers that go as events happen."""
    scratch = CaptureStore(_SCRATCH_SESSION, max_payload_bytes=None)
    scratch.add(event)
    return list(_row_lines(scratch, 0, len(scratch)))


_SCRATCH_SESSION: Final = SessionInfo("", SessionRole.CLIENT, "", 0.0)


def write_jsonl(store: CaptureStore, dest: str | os.PathLike[str] | IO[str]) -> int:
    """Write ``store`` as a capture file and return the number of lines written.

    ``dest`` is a path or a text stream. A path is written whole or not at all, and
    readable by its owner only (see :func:`~inspector.capture.formats.files.atomic_text_file`).
    """
    if not isinstance(dest, str | os.PathLike):
        return _write_lines(iter_lines(store), dest)
    with atomic_text_file(dest) as out:
        return _write_lines(iter_lines(store), out)


def _write_lines(lines: Iterable[str], out: IO[str]) -> int:
    # Joining a few thousand lines per write keeps the number of calls into the
    # I/O stack small; lines are a few hundred bytes each.
    count = 0
    it = iter(lines)
    while chunk := list(itertools.islice(it, 4096)):
        count += len(chunk)
        chunk.append("")
        out.write("\n".join(chunk))
    return count


# ------------------------------------------------------------------ line objects


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
        "dir": DIR_NAME[ev.dir],
        "opcode": m.opcode,
        "first_seq": m.first_seq,
        "last_seq": m.last_seq,
        "size": len(m.data),
        "wire_size": m.wire_size,
        "compressed": m.compressed,
        "truncated": m.truncated,
        "frame_count": m.frame_count,
        "data_b64": b64(m.data),
        "text": m.text,
    }


def _handshake_json(ev: HandshakeCaptured) -> dict[str, Any]:
    accept = ev.accept
    tls = ev.tls
    obj: dict[str, Any] = {
        "type": "handshake",
        "t": ev.t,
        "dir": DIR_NAME[ev.dir],
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
        "problems": [v.to_json() for v in ev.problems],
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
        "raw_b64": b64(ev.raw),
    }
    # Written only when set, so that an end's own capture reads as it always did.
    if ev.leg is not None:
        obj["leg"] = ev.leg.value
    if ev.via is not None:
        via = ev.via
        obj["via"] = {
            "kind": via.kind,
            "address": via.address,
            "target": via.target,
            "request_b64": b64(via.request),
            "response_b64": b64(via.response),
        }
    return obj


def _event_json(ev: StoredEvent) -> dict[str, Any]:
    if isinstance(ev, MessageCaptured):
        return _message_json(ev)
    if isinstance(ev, StateChanged):
        return {
            "type": "state",
            "t": ev.t,
            "state": ev.state.value,
            "code": ev.code,
            "reason": ev.reason,
            "clean": ev.clean,
            "detail": ev.detail,
        }
    if isinstance(ev, HandshakeCaptured):
        return _handshake_json(ev)
    if isinstance(ev, ErrorCaptured):
        return {
            "type": "error",
            "t": ev.t,
            "step": ev.step,
            "message": ev.message,
            "fatal": ev.fatal,
        }
    if isinstance(ev, InterventionCaptured):
        return {
            "type": "intervention",
            "t": ev.t,
            "dir": DIR_NAME[ev.dir],
            "action": ev.action.value,
            "arrived_b64": b64(ev.arrived),
            "sent_b64": b64(ev.sent),
            "by": ev.by,
            "detail": ev.detail,
        }
    if isinstance(ev, RttSample):
        return {"type": "rtt", "t": ev.t, "rtt": ev.rtt, "payload_b64": b64(ev.payload)}
    if isinstance(ev, RawBytesSent):
        return {
            "type": "raw",
            "t": ev.t,
            "dir": "out",
            "offset": ev.offset,
            "data_b64": b64(ev.data),
        }
    obj: dict[str, Any] = {"type": "violation", "t": ev.t, "dir": DIR_NAME[ev.dir]}
    obj.update(ev.violation.to_json())
    return obj


# ------------------------------------------------------- lines one at a time


def session_line(session: SessionInfo, *, journal: bool = False) -> str:
    """The session line (without its line end) exactly as :func:`iter_lines` writes
    it; with ``journal``, ``"journal":true`` is added at its end (a live journal,
    see docs/capture-format.md)."""
    obj = _session_json(session)
    if journal:
        obj["journal"] = True
    return dumps(obj)


def event_line(event: StoredEvent) -> str:
    """The line of one event (message, state change, handshake, error, rtt, raw,
    violation) exactly as :func:`iter_lines` writes it."""
    return dumps(_event_json(event))


def end_line(frames: int, events: int) -> str:
    """The end line: ``frames`` frames, ``events`` other lines (``frames`` lines
    are counted by the frames they hold, not as lines)."""
    return dumps({"type": "end", "frames": frames, "events": events})


# ------------------------------------------------------------- as it happens


class TextSink(Protocol):
    """Where capture lines go: a text file, a terminal, a pipe (anything with these)."""

    def write(self, text: str, /) -> int: ...

    def flush(self) -> None: ...


class CaptureLineWriter:
    """Writes one capture's lines to a text stream as its events happen, for
    ``ws-inspector capture --json`` and ``decode --json``: ordinary capture lines,
    which :func:`~inspector.capture.formats.jsonl.read_jsonl` opens as a capture.

    Call :meth:`session` first and :meth:`end` last; in between, :meth:`frames` for
    each batch of frames (one frame line each), :meth:`message` for each reassembled
    message and :meth:`event` for anything else, or :meth:`add` for any of them (a
    connection listener: ``conn.subscribe(writer.add, messages="composite")``). The
    lines are those :func:`write_jsonl` writes of the same events afterwards, but
    for their place: a message line follows the batch holding its last frame. The
    stream holds everything, with no capture budget: it is the reader's to keep.
    Messages of one plain frame are left out, as the store leaves them out.
    ``flush=True`` flushes the stream after every call (a pipe read as it grows).
    """

    def __init__(self, out: TextSink, *, flush: bool = False) -> None:
        self.out = out
        self.flush = flush
        #: Frames and other lines written, for the end line.
        self.frames_written = 0
        self.events_written = 0
        self._state = 0  # 0: before the session line, 1: writing, 2: ended

    def _writing(self) -> None:
        if self._state != 1:
            raise RuntimeError(
                "session() comes first" if self._state == 0 else "the capture has ended"
            )

    def _write(self, text: str) -> None:
        self._writing()
        self.out.write(text)
        if self.flush:
            self.out.flush()

    def session(self, info: SessionInfo) -> None:
        """The session line: the first line of the capture."""
        if self._state != 0:
            raise RuntimeError("the session line is written once, first")
        self._state = 1
        self._write(session_line(info) + "\n")

    def frames(self, event: FramesCaptured) -> None:
        """One frame line per frame of ``event``."""
        self._writing()
        lines = frame_lines(event)
        if lines:
            lines.append("")
            self._write("\n".join(lines))
            self.frames_written += len(lines) - 1

    def message(self, event: MessageCaptured) -> None:
        """The line of a reassembled message, unless it is one plain frame."""
        if not is_plain_message(event.message):
            self._write(event_line(event) + "\n")
            self.events_written += 1

    def event(self, event: StoredEvent) -> None:
        """The line of any other event (state, handshake, error, rtt, raw, violation)."""
        if isinstance(event, MessageCaptured):
            self.message(event)
            return
        self._write(event_line(event) + "\n")
        self.events_written += 1

    def add(self, event: FramesCaptured | StoredEvent) -> None:
        """The lines of any capture event."""
        if isinstance(event, FramesCaptured):
            self.frames(event)
        else:
            self.event(event)

    def end(self) -> None:
        """The end line, with the counts of what was written."""
        self._write(end_line(self.frames_written, self.events_written) + "\n")
        self._state = 2
