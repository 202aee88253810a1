"""The case language: grades, payloads, the steps a case performs and what it expects.

A case (:class:`~inspector.probe.case.Case`) is a list of :data:`Step` values and one
:data:`Expectation`. Steps say what the probe sends; an expectation says what a
conforming server does in return. Everything here is plain data: the runner gives it
meaning (:mod:`inspector.probe.runner`), the grading judges against it
(:mod:`inspector.probe.grading`) and :mod:`inspector.probe.wording` puts it in words.

Grades follow the Autobahn convention:

* **passed**: the behaviour the RFC requires (or recommends) was observed;
* **non-strict**: allowed but not the best behaviour (e.g. dropping TCP instead of
  sending a close frame with the right code);
* **failed**: the server broke a MUST;
* **info**: no right answer, the observation is worth knowing (limits, options).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from ..protocol.frames import FrameSpec

__all__ = [
    "CATEGORIES",
    "CATEGORY_RFC",
    "KIB",
    "MIB",
    "Blob",
    "Chopped",
    "CloseReply",
    "Deflated",
    "Echo",
    "Expectation",
    "Fail",
    "Frames",
    "Grade",
    "Observe",
    "Pause",
    "Payload",
    "SendMessage",
    "Step",
    "Sync",
    "case_key",
    "materialize",
    "payload_size",
]

KIB = 1024
MIB = 1024 * 1024


class Grade(enum.StrEnum):
    """A case's verdict. The members are listed in the order reports count them;
    :attr:`severity` orders them from best to worst (passed, info, non-strict,
    failed), for "fail on non-strict or worse"."""

    PASSED = "passed"
    NON_STRICT = "non-strict"
    FAILED = "failed"
    INFO = "info"

    @property
    def severity(self) -> int:
        """0 for passed, 1 info, 2 non-strict, 3 failed: info is no fault of the
        server, non-strict is a weakness, failed a broken MUST."""
        return _SEVERITY[self]

    def at_least(self, other: Grade) -> bool:
        """This grade is ``other`` or worse (``FAILED.at_least(NON_STRICT)``)."""
        return _SEVERITY[self] >= _SEVERITY[other]


_SEVERITY = {Grade.PASSED: 0, Grade.INFO: 1, Grade.NON_STRICT: 2, Grade.FAILED: 3}


def case_key(case_id: str) -> tuple[tuple[int, int, str], ...]:
    """The natural order of case ids: ``1.1.2`` before ``1.1.10``, ``6.4.1`` before
    ``6.21.2``, as a reader of RFC-style numbering expects."""
    return tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in case_id.split("."))


# ----------------------------------------------------------------------------- payloads
@dataclass(frozen=True, slots=True)
class Blob:
    """A payload of ``size`` bytes made when the case runs: ASCII text, or every byte
    value in turn for binary. Large payloads are described, not stored, so that the
    registry costs little memory."""

    size: int
    text: bool = True

    def make(self) -> bytes:
        pattern = b"Hello, WebSocket probe! " if self.text else bytes(range(256))
        return (pattern * (self.size // len(pattern) + 1))[: self.size]


Payload = bytes | Blob


def materialize(payload: Payload) -> bytes:
    return payload.make() if isinstance(payload, Blob) else payload


def payload_size(payload: Payload) -> int:
    return payload.size if isinstance(payload, Blob) else len(payload)


# -------------------------------------------------------------------------------- steps
@dataclass(frozen=True, slots=True)
class Frames:
    """Send these frames exactly as described, back to back (in one write)."""

    frames: tuple[FrameSpec, ...]


@dataclass(frozen=True, slots=True)
class SendMessage:
    """Send a data message, in fragments of ``fragment_size`` bytes (0: one frame).
    With permessage-deflate negotiated it is compressed when ``compress`` is true."""

    opcode: int
    payload: Payload
    fragment_size: int = 0
    compress: bool = False


@dataclass(frozen=True, slots=True)
class Chopped:
    """Encode the frames, then write them ``chunk`` bytes at a time, ``delay`` seconds
    apart (a peer must reassemble frames from any TCP segmentation)."""

    frames: tuple[FrameSpec, ...]
    chunk: int = 1
    delay: float = 0.0
    #: Write only this many bytes of the encoded frames (the rest: a later step).
    upto: int | None = None
    start: int = 0


@dataclass(frozen=True, slots=True)
class Pause:
    """Wait; the next steps belong to a new phase (see :attr:`Fail.by_phase`)."""

    seconds: float


@dataclass(frozen=True, slots=True)
class Sync:
    """Send a ping and wait for its pong (or the end of the connection), then a little
    longer; the next steps belong to a new phase."""


@dataclass(frozen=True, slots=True)
class Deflated:
    """Compress ``payload`` with the negotiated permessage-deflate context and send it
    as frames split at ``splits`` (offsets into the compressed bytes), with RSV1 set
    as ``rsv1`` says frame by frame (default: on the first frame only)."""

    opcode: int
    payload: bytes
    splits: tuple[int, ...] = ()
    rsv1: tuple[bool, ...] | None = None


Step = Frames | SendMessage | Chopped | Pause | Sync | Deflated


# ------------------------------------------------------------------------- expectations
@dataclass(frozen=True, slots=True)
class Echo:
    """The server echoes these messages and answers these pings, keeps the connection
    usable, and answers our closing handshake."""

    messages: tuple[tuple[int, Payload], ...] = ()
    pongs: tuple[bytes, ...] = ()
    #: Section 5.5.3: answering only the most recent of several pings is allowed.
    some_pongs_ok: bool = False
    #: Refusing the message as too big (1009) is information, not a failure.
    limit_ok: bool = False


@dataclass(frozen=True, slots=True)
class Fail:
    """The server fails the connection (section 7.1.7): a close frame with one of
    ``codes`` is best, a TCP drop without a close frame is non-strict."""

    codes: tuple[int, ...] = (1002,)
    #: Echoes due before the offending frame (missing ones make it non-strict).
    before: tuple[tuple[int, Payload], ...] = ()
    #: Failing in a later phase than this (not "fast") is non-strict.
    by_phase: int | None = None
    #: Not reacting at all is non-strict (the offending message never ends, so a
    #: server that checks whole messages has nothing to check yet).
    ignore_ok: bool = False


@dataclass(frozen=True, slots=True)
class CloseReply:
    """We start the closing handshake; the server answers with a close frame whose code
    is in ``codes`` (passed) or ``lenient`` (non-strict; ``None``: no code), sends no
    data back, and closes TCP."""

    codes: tuple[int | None, ...]
    lenient: tuple[int | None, ...] = ()
    #: A TCP drop without a close frame is non-strict (it is a failed connection).
    drop_ok: bool = False
    #: Pongs that must not come (pings sent after our close frame).
    no_pongs: tuple[bytes, ...] = ()


@dataclass(frozen=True, slots=True)
class Observe:
    """No right answer: report what the server did (graded info). Wait for the echo of
    ``messages``, if given."""

    note: str
    messages: tuple[tuple[int, Payload], ...] = ()


Expectation = Echo | Fail | CloseReply | Observe

#: The RFC sections each category checks, in battery order.
CATEGORY_RFC: dict[str, str] = {
    "framing": "RFC 6455 §5.2, §5.3",
    "pings": "RFC 6455 §5.5.2, §5.5.3",
    "reserved-bits": "RFC 6455 §5.2",
    "opcodes": "RFC 6455 §5.2, §11.8",
    "fragmentation": "RFC 6455 §5.4",
    "utf8": "RFC 6455 §8.1; RFC 3629",
    "close": "RFC 6455 §5.5.1, §7.4",
    "limits": "RFC 6455 §10.4",
    "deflate": "RFC 7692",
}

#: Category names, in battery order.
CATEGORIES: tuple[str, ...] = tuple(CATEGORY_RFC)
