"""The captured session as plain data: what happened on one connection, in order.

Every event is a frozen, noun-named record with ``t``, the seconds since the session
started (monotonic clock). Frames are the exception to "one object per thing": a
flood delivers thousands per socket read, so frames travel as :class:`FramesCaptured`
(one batch, one direction, one time) and are kept by
:class:`~inspector.capture.store.CaptureStore` in columns.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..lazy import lazy_exports
from ..protocol.constants import ConnectionState

if TYPE_CHECKING:
    from collections.abc import Sequence

    # Types of fields alone: the window's first screen uses the directions and the
    # states, not the protocol's frames, messages and rules (their modules load with
    # the first frame or handshake).
    from ..protocol.events import Message
    from ..protocol.frames import Frame, FrameBatch
    from ..protocol.handshake.accept import AcceptCheck
    from ..protocol.violations import Violation

__getattr__ = lazy_exports(__name__, {"AcceptCheck": "..protocol.handshake.accept"})

__all__ = [
    "AcceptCheck",
    "CaptureEvent",
    "ConnectionState",
    "Direction",
    "ErrorCaptured",
    "ErrorStep",
    "FramesCaptured",
    "HandshakeCaptured",
    "HandshakeLeg",
    "Intervention",
    "InterventionCaptured",
    "MessageCaptured",
    "PeerCertificate",
    "ProxyExchange",
    "RawBytesSent",
    "RttSample",
    "SessionInfo",
    "SessionRole",
    "SessionSource",
    "StateChanged",
    "TlsInfo",
    "ViolationCaptured",
]

FORMAT_NAME = "ws-inspector-capture"
FORMAT_VERSION = 1


class Direction(enum.Enum):
    OUT = "out"  # sent by us
    IN = "in"  # received from the peer

    @property
    def arrow(self) -> str:
        return "\u2192" if self is Direction.OUT else "\u2190"


class SessionRole(enum.StrEnum):
    """Which position recorded a session: one end of the connection, or the middle."""

    CLIENT = "client"
    SERVER = "server"
    PROXY = "proxy"  # both ends' frames, relayed and recorded by a proxy


class SessionSource(enum.StrEnum):
    """Where a session's frames came from."""

    LIVE = "live"  # a connection of ours, recorded as it happened
    FILE = "file"  # opened from a capture file
    DECODE = "decode"  # a raw byte stream decoded by ``ws-inspector decode``
    HAR = "har"  # imported from a HAR file (messages only, no frames)


class ErrorStep(enum.StrEnum):
    """Where something failed, for a person and for a script: which step of connecting,
    or what went wrong on an open connection."""

    URL = "url"
    DNS = "dns"
    PROXY = "proxy"  # the upstream HTTP CONNECT or SOCKS5 proxy
    TCP = "tcp"
    TLS = "tls"
    HANDSHAKE = "handshake"
    TIMEOUT = "timeout"
    CONNECT = "connect"  # connecting failed in a way no single step names
    READ = "read"
    WRITE = "write"
    CLOSE = "close"
    PROTOCOL = "protocol"  # the connection was failed for a violation (strict mode)
    CAPTURE = "capture"  # the capture itself: a budget reached, a journal that failed
    OTHER = "other"  # a step this version does not know (read from a newer file)

    @classmethod
    def parse(cls, text: str) -> ErrorStep:
        try:
            return cls(text)
        except ValueError:
            return cls.OTHER


@dataclass(frozen=True, slots=True)
class SessionInfo:
    """What the session is: the first line of a capture file."""

    url: str
    role: SessionRole
    started_at: str  # ISO-8601 wall-clock time with time zone
    started_unix: float  # the same, as seconds since the Unix epoch
    source: SessionSource = SessionSource.LIVE
    notes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class StateChanged:
    t: float
    state: ConnectionState
    code: int | None = None  # the close code, for CLOSED
    reason: str | None = None
    clean: bool | None = None  # for CLOSED: the closing handshake completed
    detail: str = ""


@dataclass(frozen=True, slots=True)
class PeerCertificate:
    """The peer's certificate in the words a person checks it by: who it names, who
    vouches for it, when it is valid, its SHA-256 fingerprint (``AB:CD:...``, what a
    pin is made of) and the names it is valid for (``DNS:example.test``)."""

    subject: str
    issuer: str
    not_before: str
    not_after: str
    sha256: str
    sans: tuple[str, ...] = ()

    def fields(self) -> tuple[tuple[str, str], ...]:
        """(label, value) rows, the same in the window and the commands."""
        return (
            ("Subject", self.subject or "(none)"),
            ("Issuer", self.issuer or "(none)"),
            ("Valid from", self.not_before or "?"),
            ("Valid until", self.not_after or "?"),
            ("SHA-256", self.sha256),
            ("Names", ", ".join(self.sans) or "(none)"),
        )


@dataclass(frozen=True, slots=True)
class TlsInfo:
    version: str
    cipher: str
    peer_subject: str
    peer_issuer: str
    not_after: str  # the peer certificate's expiry, as the certificate gives it
    verified: bool
    alpn: str | None = None
    #: The whole certificate, when the engine could read it (not kept in files).
    certificate: PeerCertificate | None = None
    #: Accepted because its fingerprint is the one the user pinned for this
    #: connection (``verified`` is then False: no CA vouched for it).
    pinned: bool = False


@dataclass(frozen=True, slots=True)
class ProxyExchange:
    """How an outgoing connection went through the user's own proxy before the opening
    handshake: an HTTP ``CONNECT`` (its request and the proxy's answer, as they crossed
    the wire) or a SOCKS5 negotiation (no HTTP bytes: ``request`` and ``response`` are
    empty)."""

    kind: str  # "http" or "socks5"
    address: str  # the proxy's host:port
    target: str  # the host:port the proxy was asked to reach
    request: bytes = b""
    response: bytes = b""


class HandshakeLeg(enum.StrEnum):
    """Which connection a handshake half crossed, in a proxy's capture (four halves:
    the client's request and our answer on the client leg, our request and the
    server's answer on the upstream leg)."""

    CLIENT = "client"  # between the user's client and the proxy
    UPSTREAM = "upstream"  # between the proxy and the server


@dataclass(frozen=True, slots=True)
class HandshakeCaptured:
    """One half of the opening handshake: our request, or the peer's response (or the
    reverse on the server side). ``raw`` is exactly what crossed the wire."""

    t: float
    dir: Direction
    raw: bytes
    start_line: str
    headers: tuple[tuple[str, str], ...]
    accept: AcceptCheck | None = None
    #: What is wrong with this half, each with its rule and RFC section (the generic
    #: :attr:`~inspector.protocol.violations.Rule.HANDSHAKE_INVALID` where no specific
    #: rule names it); ``offset`` is a byte offset in :attr:`raw`, or None.
    problems: tuple[Violation, ...] = ()
    subprotocol: str | None = None
    extensions: str | None = None  # the negotiated Sec-WebSocket-Extensions value
    #: Step timings in seconds: dns, tcp, tls, handshake (response side only).
    timings: tuple[tuple[str, float], ...] = ()
    tls: TlsInfo | None = None
    #: In a proxy's capture, the connection this half crossed; None in an end's own.
    leg: HandshakeLeg | None = None
    #: The exchange with an upstream proxy that came before this request, if any.
    via: ProxyExchange | None = None


@dataclass(frozen=True, slots=True)
class FramesCaptured:
    """Frames that went one way at one time: a parsed batch, or frames we sent."""

    t: float
    dir: Direction
    frames: FrameBatch | Sequence[Frame]

    def __len__(self) -> int:
        return len(self.frames)


@dataclass(frozen=True, slots=True)
class MessageCaptured:
    """A data message completed; published for every message, kept by the store only
    when it is more than one plain frame (fragmented, compressed or truncated)."""

    t: float
    dir: Direction
    message: Message


@dataclass(frozen=True, slots=True)
class ViolationCaptured:
    """A violation that belongs to no single frame (for example the stream ended in the
    middle of a frame). Frame violations travel on the frames themselves."""

    t: float
    dir: Direction
    violation: Violation


@dataclass(frozen=True, slots=True)
class RawBytesSent:
    t: float
    data: bytes
    offset: int  # position in the outgoing stream


@dataclass(frozen=True, slots=True)
class ErrorCaptured:
    """Something failed: ``step`` names which and ``message`` says why in plain words."""

    t: float
    step: ErrorStep
    message: str
    fatal: bool = True


class Intervention(enum.StrEnum):
    """What a proxy's controls did to the traffic (see :class:`InterventionCaptured`)."""

    EDITED = "edited"  # the frames in ``arrived`` went on as ``sent``
    DROPPED = "dropped"  # ``arrived`` never reached the other side
    INJECTED = "injected"  # ``sent`` came from us, not from the sender
    ANSWERED = "answered"  # ``arrived`` was dropped and ``sent`` went back to its sender
    NOTE = "note"  # something about the controls themselves (``detail``)


@dataclass(frozen=True, slots=True)
class InterventionCaptured:
    """In a proxy's capture: what arrived from ``dir``'s sender and what was sent
    instead (raw frame bytes, exactly as on each wire; empty when none). The frames of
    a capture are what each receiver got; these say how that differs from what was
    sent to the proxy. ``by`` names who did it: ``user``, ``rule ...``, ``script``."""

    t: float
    dir: Direction
    action: Intervention
    arrived: bytes = b""
    sent: bytes = b""
    by: str = ""
    detail: str = ""


@dataclass(frozen=True, slots=True)
class RttSample:
    t: float
    rtt: float  # seconds between our ping and the peer's matching pong
    payload: bytes = field(default=b"")


CaptureEvent = (
    StateChanged
    | HandshakeCaptured
    | FramesCaptured
    | MessageCaptured
    | ViolationCaptured
    | RawBytesSent
    | ErrorCaptured
    | RttSample
    | InterventionCaptured
)
