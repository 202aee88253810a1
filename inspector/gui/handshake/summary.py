"""What the handshake pane shows, worked out without Qt: what each header means, the
body of a refused upgrade as text or hex, the problems with their RFC links, and the
TLS rows (certificate, and whether a CA or the user's pin vouched for it)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum

from ...capture.events import Direction, HandshakeCaptured, PeerCertificate, TlsInfo
from ...protocol.violations import Violation
from ...views.text import escape_control, format_bytes

__all__ = [
    "BODY_LIMIT",
    "CLIENT_SEAT",
    "SERVER_SEAT",
    "BodyKind",
    "BodyView",
    "ProblemRow",
    "Seat",
    "body_view",
    "certificate_summary",
    "fingerprint_lines",
    "header_meaning",
    "problem_rows",
    "rejected_tls_values",
    "response_body",
    "tls_values",
]

#: The most of a body the pane shows (the engine keeps at most 64 KiB of a refusal).
BODY_LIMIT = 64 * 1024

_HEAD_END = re.compile(rb"\r?\n\r?\n")


@dataclass(frozen=True, slots=True)
class Seat:
    """The pane's words from one end of the handshake: a client sends the key and
    checks the accept value it receives; a server receives the key and sends the
    accept value it computed."""

    request_dir: Direction  # the direction the request travels from this seat
    empty: str
    waiting: str  # "{line}": the request's start line
    key_row: str
    accept_row: str
    accept_name: str  # the accept value's accessible name
    no_status: str
    matches: str  # after "✓ matches —"
    mismatch: str  # after "✗ does not match —"


CLIENT_SEAT = Seat(
    Direction.OUT,
    empty="No handshake yet: connect to see it here.",
    waiting="Waiting for the response to: {line}",
    key_row="1. Key (sent):",
    accept_row="5. Received:",
    accept_name="Received accept value",
    no_status="(no status line: the server sent no valid HTTP response)",
    matches="the server computed the accept value from our key.",
    mismatch="a client must fail this connection.",
)

SERVER_SEAT = Seat(
    Direction.IN,
    empty="No handshake yet: the client's request shows here.",
    waiting="Answering the client's request: {line}",
    key_row="1. Key (received):",
    accept_row="5. Accept (sent):",
    accept_name="Sent accept value",
    no_status="(no status line: we sent no valid HTTP response)",
    matches="we computed the accept value from the client's key.",
    mismatch="a client must fail the connection on the value we sent.",
)

#: What a header does in the opening handshake, in a few words for learners.
_MEANINGS: dict[str, str] = {
    "host": "the server's name (and port, if not the default) (RFC 6455 §4.1)",
    "upgrade": "asks to switch this HTTP/1.1 connection to another protocol: websocket",
    "connection": "must list Upgrade, or the Upgrade header is ignored (RFC 7230 §6.1)",
    "sec-websocket-key": "16 random bytes, base64: the server proves it read them (§4.1)",
    "sec-websocket-version": "the protocol version: 13; a server that refuses it lists "
    "what it supports (§4.4)",
    "sec-websocket-accept": "base64(SHA-1(key + GUID)): proof the server read our key (§4.2.2)",
    "sec-websocket-protocol": "subprotocols offered; in a response, the one chosen (§1.9)",
    "sec-websocket-extensions": "extensions offered or accepted, e.g. permessage-deflate "
    "(RFC 7692)",
    "origin": "the page that opened the connection; servers may refuse foreign origins (§10.2)",
    "location": "where a redirect points; a WebSocket client does not follow it by itself",
    "www-authenticate": "the authentication the server asks for (RFC 9110 §11.6.1)",
    "proxy-authenticate": "the authentication a proxy asks for (RFC 9110 §11.7.1)",
    "authorization": "credentials sent to the server (RFC 9110 §11.6.2)",
    "cookie": "cookies the client sends (RFC 6265)",
    "set-cookie": "a cookie the server sets (RFC 6265)",
    "content-type": "what kind of body follows",
    "content-length": "how many bytes of body follow",
    "server": "the server software, as it names itself",
    "user-agent": "the client software, as it names itself",
    "date": "when the server answered",
    "transfer-encoding": "how the body is framed (chunked)",
}


def header_meaning(name: str) -> str:
    """What the header ``name`` is for, or ``""`` for one we have no words for."""
    return _MEANINGS.get(name.strip().lower(), "")


def response_body(event: HandshakeCaptured) -> bytes:
    """The body a refusal carried after its head, or ``b""`` (after a 101 come
    frames, not a body)."""
    parts = event.start_line.split(" ", 2)
    if event.dir is not Direction.IN or (len(parts) > 1 and parts[1] == "101"):
        return b""
    found = _HEAD_END.search(event.raw)
    return event.raw[found.end() :] if found else b""


class BodyKind(Enum):
    NONE = "none"
    TEXT = "text"
    HEX = "hex"


@dataclass(frozen=True, slots=True)
class BodyView:
    kind: BodyKind
    text: str  # the body as text (TEXT) or nothing (HEX: the bytes are shown)
    data: bytes  # the bytes shown, at most BODY_LIMIT
    note: str  # "826 B of text/html", and whether it was cut


def body_view(event: HandshakeCaptured, limit: int = BODY_LIMIT) -> BodyView:
    """How to show a response's body: as text when it is text, else in hex."""
    body = response_body(event)
    if not body:
        return BodyView(BodyKind.NONE, "", b"", "")
    kind = next((v for n, v in event.headers if n.lower() == "content-type"), "")
    kind = kind.split(";")[0].strip()
    shown = body[:limit]
    note = format_bytes(len(body)) + (f" of {escape_control(kind)}" if kind else "")
    if len(body) > limit:
        note += f", the first {format_bytes(limit)} shown"
    try:
        text = shown.decode("utf-8")
    except UnicodeDecodeError as exc:
        # A character cut at the limit is still text.
        text = shown[: exc.start].decode("utf-8") if exc.start >= len(shown) - 3 else ""
        if not text:
            return BodyView(BodyKind.HEX, "", shown, note + " (binary: shown in hex)")
    if any(ord(ch) < 0x20 and ch not in "\t\r\n" for ch in text):
        return BodyView(BodyKind.HEX, "", shown, note + " (binary: shown in hex)")
    return BodyView(BodyKind.TEXT, escape_control(text, keep_newlines=True), shown, note)


@dataclass(frozen=True, slots=True)
class ProblemRow:
    text: str
    rfc: str  # "RFC 6455 §4.1", or "" for a problem read from an old file
    url: str


def problem_rows(problems: Sequence[Violation | str]) -> list[ProblemRow]:
    """Each problem with the rule it breaks and a link to that section."""
    rows = []
    for problem in problems:
        if isinstance(problem, Violation):
            rows.append(ProblemRow(problem.message, problem.rule.rfc, problem.rule.url))
        else:
            rows.append(ProblemRow(str(problem), "", ""))
    return rows


def tls_values(tls: TlsInfo) -> dict[str, str]:
    """The TLS box's values by row: who vouched for the certificate first (a CA, the
    user's pin for this connection, or nobody), then the session and the certificate."""
    if tls.pinned:
        trust = "✓ trusted by pin — this certificate, for this connection only"
    elif tls.verified:
        trust = "✓ verified by a trusted CA, for this host"
    else:
        trust = "✗ NO — verification was skipped"
    cert = tls.certificate
    return {
        "verified": trust,
        "version": tls.version,
        "cipher": tls.cipher,
        "subject": tls.peer_subject or "—",
        "issuer": tls.peer_issuer or "—",
        "not_before": (cert.not_before if cert else "") or "—",
        "expiry": tls.not_after or "—",
        "sha256": fingerprint_lines(cert.sha256) if cert else "—",
        "names": (", ".join(cert.sans) if cert else "") or "—",
        "alpn": tls.alpn or "(none)",
    }


def _common_name(subject: str) -> str:
    """The name a person knows a certificate by: its commonName, else its
    organizationName, else ``""``."""
    fields = dict(part.partition("=")[::2] for part in subject.split(", "))
    return fields.get("commonName") or fields.get("organizationName") or ""


def fingerprint_lines(sha256: str, per_line: int = 8) -> str:
    """A fingerprint in lines of ``per_line`` bytes: 95 characters without a space
    cannot wrap, and would make a narrow pane scroll sideways."""
    parts = sha256.split(":")
    return "\n".join(":".join(parts[i : i + per_line]) for i in range(0, len(parts), per_line))


def _short_fingerprint(sha256: str) -> str:
    parts = sha256.split(":")
    return sha256 if len(parts) <= 8 else ":".join(parts[:4]) + "…" + ":".join(parts[-3:])


def certificate_summary(cert: PeerCertificate) -> str:
    """One line naming a certificate: ``for dev.local (issued by ...), valid until
    ..., SHA-256 35:E0:CD:90…54:70:30``."""
    who = _common_name(cert.subject) or cert.subject or "(no subject)"
    issuer = _common_name(cert.issuer) or cert.issuer
    parts = [f"for {who}"]
    if cert.issuer == cert.subject:
        parts[0] += " (self-signed)"
    elif issuer:
        parts[0] += f" (issued by {issuer})"
    if cert.not_after:
        parts.append(f"valid until {cert.not_after}")
    parts.append(f"SHA-256 {_short_fingerprint(cert.sha256)}")
    return ", ".join(parts)


def rejected_tls_values(cert: PeerCertificate, why: str) -> dict[str, str]:
    """The TLS box's values for a handshake that failed on this certificate."""
    return {
        "verified": f"✗ rejected — {why}",
        "version": "—",
        "cipher": "—",
        "subject": cert.subject or "—",
        "issuer": cert.issuer or "—",
        "not_before": cert.not_before or "—",
        "expiry": cert.not_after or "—",
        "sha256": fingerprint_lines(cert.sha256),
        "names": ", ".join(cert.sans) or "—",
        "alpn": "—",
    }
