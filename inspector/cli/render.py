"""What the commands print for a person: frames, messages, the handshake, states.

Everything a peer controls (payloads, close reasons, status lines, header values,
error messages that quote the peer) is printed through
:func:`~inspector.views.text.escape_control`, here, so that no command can forget to.
:func:`render_payload` is the one place a payload is turned into terminal text; the
payload views of the views layer plug in there.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

from ..capture.events import (
    AcceptCheck,
    ConnectionState,
    HandshakeCaptured,
    PeerCertificate,
    StateChanged,
)
from ..protocol.constants import close_code_meaning
from ..protocol.events import Message
from ..protocol.frames import Frame
from ..protocol.violations import Rule, Violation
from ..views.text import escape_control, shorten

__all__ = [
    "DELIBERATE",
    "accept_line",
    "certificate_lines",
    "format_frame",
    "format_message",
    "format_problem",
    "format_state",
    "format_violation",
    "handshake_lines",
    "peer_text",
    "quoted",
    "refused",
    "render_payload",
]

#: How a rule we broke on purpose (a crafted frame) is told apart from the peer's.
DELIBERATE = "sent on purpose"

_TEXTUAL_OPCODES = frozenset((0, 1, 9, 10))


def peer_text(text: str, limit: int | None = None) -> str:
    """Text a peer controls, made safe for a terminal (and cut to ``limit``)."""
    safe = escape_control(text)
    return safe if limit is None else shorten(safe, limit)


def quoted(text: str | None) -> str:
    """A close reason and the like, quoted and escaped: ``'bye'``."""
    return "None" if text is None else f"'{escape_control(text)}'"


def render_payload(data: bytes, opcode: int, limit: int = 80) -> str:
    """A payload as one line of terminal text: JSON-quoted text when it decodes as
    UTF-8 (for text, continuation, ping and pong frames), else the first bytes in hex."""
    if opcode in _TEXTUAL_OPCODES:
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            pass
        else:
            # json.dumps escapes C0 controls; escape_control the rest (C1, bidi).
            return escape_control(json.dumps(shorten(text, limit), ensure_ascii=False))
    if not data:
        return ""
    shown = data[: limit // 3].hex(" ")
    return shown + (" ..." if len(data) > limit // 3 else "")


def format_violation(violation: Violation) -> str:
    ours = f" ({DELIBERATE})" if violation.deliberate else ""
    return f"    ! {violation.rule.rfc}: {escape_control(violation.message)}{ours}"


def format_frame(frame: Frame, direction: str = "") -> str:
    """One row: seq, offset, FIN/RSV, opcode, mask, length form, payload or close;
    then one line per violation."""
    bits = ("F" if frame.fin else ".") + "".join(
        "1" if b else "." for b in (frame.rsv1, frame.rsv2, frame.rsv3)
    )
    key = frame.mask_key
    mask = key.hex() if key is not None else "-"
    form = {7: "", 16: " (16-bit len)", 64: " (64-bit len)"}[frame.length_form]
    if frame.opcode == 8:
        code = frame.close_code
        body = (
            f"code={code} ({close_code_meaning(code).split(':')[0]}) "
            f"reason={quoted(frame.close_reason)}"
            if code is not None
            else "(no code)"
        )
    else:
        body = render_payload(frame.payload, frame.opcode)
        if frame.truncated:
            body += f" [{len(frame.payload)} of {frame.length} bytes kept]"
    head = (
        f"{direction}#{frame.seq:<5} @{frame.offset:<8} {bits} {frame.opcode_name:<12} "
        f"mask={mask:<8} len={frame.length}{form}"
    )
    lines = [f"{head}  {body}".rstrip()]
    lines.extend(format_violation(v) for v in frame.violations)
    return "\n".join(lines)


def format_message(message: Message, direction: str = "") -> str:
    kind = "TEXT" if message.opcode == 1 else "BINARY"
    extra = []
    if message.fragments > 1:
        extra.append(f"{message.fragments} frames #{message.first_seq}-#{message.last_seq}")
    if message.compressed:
        extra.append(f"inflated from {message.wire_size} bytes")
    if message.truncated:
        extra.append("truncated")
    preview = render_payload(message.data, message.opcode)
    details = f" ({', '.join(extra)})" if extra else ""
    return f"{direction}  = {kind} message, {len(message.data)} bytes{details} {preview}".rstrip()


# --------------------------------------------------------------------- handshake
def accept_line(accept: AcceptCheck) -> str:
    if accept.ok:
        return f"Sec-WebSocket-Accept ok (expected {accept.expected})"
    if accept.received is None:
        return f"Sec-WebSocket-Accept missing (expected {accept.expected})"
    return (
        f"Sec-WebSocket-Accept wrong: {peer_text(accept.received, 60)} (expected {accept.expected})"
    )


def format_problem(problem: Violation | str) -> str:
    """A handshake problem: a :class:`Violation` with its RFC section, or (from files
    and engines before handshake problems were structured) a sentence."""
    if isinstance(problem, Violation):
        return f"! {escape_control(problem.message)} ({problem.rule.rfc})"
    return f"! {escape_control(problem)}"


def refused(event: HandshakeCaptured) -> bool:
    """Whether this response refused the upgrade (a status other than 101): then its
    Accept check says nothing, and the engine's error says why in one sentence."""
    return any(isinstance(p, Violation) and p.rule is Rule.RESPONSE_STATUS for p in event.problems)


def handshake_lines(event: HandshakeCaptured, arrow: str) -> Iterator[str]:
    """The start line; for a response, the Accept check (of a 101) and the problems."""
    yield f"{arrow}{peer_text(event.start_line)}"
    if event.accept is not None and not refused(event):
        yield f"   {accept_line(event.accept)}"
    for problem in event.problems:
        yield f"   {format_problem(problem)}"


def certificate_lines(certificate: PeerCertificate, indent: str = "  ") -> list[str]:
    """The peer's certificate, one field a line (escaped: the peer wrote it)."""
    rows = certificate.fields()
    width = max(len(label) for label, _ in rows) + 1
    return [f"{indent}{label + ':':<{width}} {peer_text(value, 400)}" for label, value in rows]


# ------------------------------------------------------------------------- state
def format_state(event: StateChanged, *, detail: bool = True) -> str:
    text = event.state.value
    if event.state is ConnectionState.CLOSED:
        text += f" code={event.code} reason={quoted(event.reason)} clean={event.clean}"
        if detail and event.detail:
            text += f" ({peer_text(event.detail, 300)})"
    return f"** {text}"
