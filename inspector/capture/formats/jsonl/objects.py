"""What the lines of a capture file hold, read field by field: the session line
(:func:`session_from_json`) and the event lines (:class:`EventLines`), each field
checked with :mod:`.schema`'s readers, so that a damaged line says which field is
wrong. :mod:`.read` runs the reading loop around them."""

from __future__ import annotations

from typing import Any, Final

from ....protocol.events import Message
from ....protocol.violations import Rule, Violation
from ...events import (
    FORMAT_NAME,
    FORMAT_VERSION,
    AcceptCheck,
    ConnectionState,
    ErrorCaptured,
    ErrorStep,
    HandshakeCaptured,
    HandshakeLeg,
    Intervention,
    InterventionCaptured,
    MessageCaptured,
    ProxyExchange,
    RawBytesSent,
    RttSample,
    SessionInfo,
    SessionRole,
    SessionSource,
    StateChanged,
    TlsInfo,
    ViolationCaptured,
)
from ...store import CaptureStore
from . import schema
from .lines import HAR_HINT
from .schema import (
    Bad,
    CaptureFormatError,
    UnknownRule,
    b64_field,
    direction,
    finite,
    integer,
    json_preview,
    need,
    num,
    opt,
    opt_integer,
    string,
)

__all__ = ["EventLines", "read_session", "session_from_json"]


class EventLines:
    """One method per event line type, each returning the event the line's object
    holds or raising :class:`~.schema.Bad`; what a line cannot hold as it is but can
    be read anyway is reported with :meth:`problem` (the reader's)."""

    store: CaptureStore
    lineno: int

    def problem(self, text: str) -> None:
        raise NotImplementedError  # the reader's

    def message(self, obj: dict[str, Any]) -> MessageCaptured:
        opcode = integer(obj, "opcode")
        if opcode > 15:
            raise Bad(f'"opcode" must be 0-15, not {opcode}')
        d = direction(obj)
        first_seq = integer(obj, "first_seq")
        last_seq = integer(obj, "last_seq")
        frame_count = opt_integer(obj, "frame_count")
        if frame_count is None:
            # Optional: the frames of the message are in the store, so count them there
            # (control frames between fragments are not part of the message).
            row = self.store.row_of(d, last_seq)
            frame_count = (
                len(self.store.message_frames(row)) if row is not None else last_seq - first_seq + 1
            )
        message = Message(
            opcode,
            b64_field(obj, "data_b64"),
            opt(obj, "text", str, "a string or null"),
            first_seq,
            last_seq,
            integer(obj, "wire_size"),
            need(obj, "compressed", bool, "true or false"),
            need(obj, "truncated", bool, "true or false"),
            frame_count,
        )
        return MessageCaptured(num(obj, "t"), d, message)

    def state(self, obj: dict[str, Any]) -> StateChanged:
        name = string(obj, "state")
        try:
            state = ConnectionState(name)
        except ValueError:
            raise Bad(f'unknown "state" {json_preview(name)}') from None
        detail = opt(obj, "detail", str, "a string")
        return StateChanged(
            num(obj, "t"),
            state,
            opt_integer(obj, "code", maximum=0xFFFF),  # two bytes on the wire
            opt(obj, "reason", str, "a string or null"),
            opt(obj, "clean", bool, "true, false or null"),
            "" if detail is None else detail,
        )

    def handshake(self, obj: dict[str, Any]) -> HandshakeCaptured:
        headers = opt(obj, "headers", list, "a list of [name, value] pairs") or []
        pairs: list[tuple[str, str]] = []
        for h in headers:
            if not (
                isinstance(h, list)
                and len(h) == 2
                and isinstance(h[0], str)
                and isinstance(h[1], str)
            ):
                raise Bad(f'"headers" must hold [name, value] string pairs, not {json_preview(h)}')
            pairs.append((h[0], h[1]))
        timings = opt(obj, "timings", dict, "an object") or {}
        steps: list[tuple[str, float]] = []
        for name, secs in timings.items():
            if not isinstance(secs, int | float) or isinstance(secs, bool):
                raise Bad(f'timing "{name}" must be a number, not {json_preview(secs)}')
            steps.append((name, finite(f'timing "{name}"', secs)))
        a = opt(obj, "accept", dict, "an object or null")
        accept = None
        if a is not None:
            accept = AcceptCheck(
                string(a, "key"),
                string(a, "expected"),
                opt(a, "received", str, "a string or null"),
                need(a, "ok", bool, "true or false"),
                opt(a, "concatenated", str, "a string") or "",
                opt(a, "sha1_hex", str, "a string") or "",
            )
        s = opt(obj, "tls", dict, "an object or null")
        tls = None
        if s is not None:
            tls = TlsInfo(
                string(s, "version"),
                string(s, "cipher"),
                string(s, "peer_subject"),
                string(s, "peer_issuer"),
                string(s, "not_after"),
                need(s, "verified", bool, "true or false"),
                opt(s, "alpn", str, "a string or null"),
            )
        leg_text = opt(obj, "leg", str, "a string or null")
        leg = None
        if leg_text is not None:
            try:
                leg = HandshakeLeg(leg_text)
            except ValueError:
                raise Bad(
                    f'"leg" must be "client" or "upstream", not {json_preview(leg_text)}'
                ) from None
        v = opt(obj, "via", dict, "an object or null")
        via = None
        if v is not None:
            via = ProxyExchange(
                string(v, "kind"),
                string(v, "address"),
                string(v, "target"),
                b64_field(v, "request_b64"),
                b64_field(v, "response_b64"),
            )
        return HandshakeCaptured(
            num(obj, "t"),
            direction(obj),
            b64_field(obj, "raw_b64"),
            string(obj, "start_line"),
            tuple(pairs),
            accept,
            self._handshake_problems(obj),
            opt(obj, "subprotocol", str, "a string or null"),
            opt(obj, "extensions", str, "a string or null"),
            tuple(steps),
            tls,
            leg,
            via,
        )

    def _handshake_problems(self, obj: dict[str, Any]) -> tuple[Violation, ...]:
        """Violation objects; files from before they were structured hold sentences,
        read as the generic handshake rule, as is a rule this version does not know."""
        items = opt(obj, "problems", list, "a list of violations") or []
        found: list[Violation] = []
        for item in items:
            if isinstance(item, str):
                found.append(Violation(Rule.HANDSHAKE_INVALID, item))
                continue
            try:
                found.append(schema.violation(item))
            except UnknownRule as exc:
                found.append(
                    Violation(
                        Rule.HANDSHAKE_INVALID,
                        string(item, "message"),
                        opt_integer(item, "offset"),
                        bool(opt(item, "deliberate", bool, "true or false")),
                    )
                )
                self.problem(
                    f"line {self.lineno}: handshake problem of rule {exc.slug!r}, unknown to "
                    f"this version, read as {Rule.HANDSHAKE_INVALID.slug!r}"
                )
        return tuple(found)

    def error(self, obj: dict[str, Any]) -> ErrorCaptured:
        fatal = opt(obj, "fatal", bool, "true or false")
        return ErrorCaptured(
            num(obj, "t"),
            ErrorStep.parse(string(obj, "step")),
            string(obj, "message"),
            True if fatal is None else fatal,
        )

    def rtt(self, obj: dict[str, Any]) -> RttSample:
        payload = b64_field(obj, "payload_b64") if "payload_b64" in obj else b""
        return RttSample(num(obj, "t"), num(obj, "rtt"), payload)

    def intervention(self, obj: dict[str, Any]) -> InterventionCaptured:
        action = string(obj, "action")
        try:
            kind = Intervention(action)
        except ValueError:
            raise schema.Bad(
                f'"action" must be one of {[a.value for a in Intervention]}, not {action!r}'
            ) from None
        return InterventionCaptured(
            num(obj, "t"),
            direction(obj),
            kind,
            b64_field(obj, "arrived_b64") if "arrived_b64" in obj else b"",
            b64_field(obj, "sent_b64") if "sent_b64" in obj else b"",
            opt(obj, "by", str, "a string") or "",
            opt(obj, "detail", str, "a string") or "",
        )

    def raw(self, obj: dict[str, Any]) -> RawBytesSent:
        return RawBytesSent(num(obj, "t"), b64_field(obj, "data_b64"), integer(obj, "offset"))

    def violation(self, obj: dict[str, Any]) -> ViolationCaptured:
        return ViolationCaptured(num(obj, "t"), direction(obj), schema.violation(obj))


# ---------------------------------------------------------------- the session line


def read_session(obj: Any, notes: list[str]) -> SessionInfo:
    """The session from the first line, or CaptureFormatError if it is not one.
    Damaged descriptive fields are replaced by defaults with a note: the frames
    that follow are still worth reading."""
    if not isinstance(obj, dict) or obj.get("type") != "session":
        if isinstance(obj, dict) and "log" in obj:
            hint = HAR_HINT
        elif isinstance(obj, dict) and obj.get("type") in ("frame", "truncated") and "t" not in obj:
            hint = _OLD_DECODE_HINT
        else:
            hint = ""
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
            value = need(obj, key, kind, what)
            return finite(f'"{key}"', value) if kind == (int, float) else value
        except Bad as exc:
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


_OLD_DECODE_HINT: Final = (
    " (it looks like the output of an older 'ws-inspector decode --json'; decode the "
    "stream again with this version, whose output is a capture)"
)


def session_from_json(obj: Any) -> SessionInfo:
    """The session described by a parsed session line (the first line of a capture
    or journal); raises :class:`CaptureFormatError` as :func:`read_jsonl` would.
    Damaged descriptive fields get their defaults."""
    return read_session(obj, [])
