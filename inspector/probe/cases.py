"""The probe's cases: rules of RFC 6455 (and RFC 7692) as small scripts with a verdict.

Each :class:`Case` opens one fresh connection, performs its :data:`Step` list and says
what a conforming server does in return (its :data:`Expectation`). The cases are
written from the RFC text and from the published descriptions of the Autobahn
TestSuite cases (their numbering is followed loosely where it helps a reader who
knows it); no code is taken from it. The server under test is expected to echo
every text and binary message, as the Autobahn "fuzzing client" mode expects.

Grades follow the Autobahn convention:

* **passed**: the behaviour the RFC requires (or recommends) was observed;
* **non-strict**: allowed but not the best behaviour (e.g. dropping TCP instead of
  sending a close frame with the right code);
* **failed**: the server broke a MUST;
* **info**: no right answer, the observation is worth knowing (limits, options).

Large payloads are described by :class:`Blob` and made only when a case runs, so the
registry :data:`CASES` costs little memory.
"""

from __future__ import annotations

import enum
import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from ..protocol.constants import Opcode, close_code_meaning
from ..protocol.frames import FrameSpec

__all__ = [
    "CASES",
    "CATEGORIES",
    "Blob",
    "Case",
    "Chopped",
    "CloseReply",
    "Deflated",
    "Echo",
    "Expectation",
    "Fail",
    "Frames",
    "Grade",
    "Message",
    "Observe",
    "Pause",
    "Payload",
    "Step",
    "Sync",
    "describe_expectation",
    "select_cases",
]

CONT = int(Opcode.CONT)
TEXT = int(Opcode.TEXT)
BINARY = int(Opcode.BINARY)
CLOSE = int(Opcode.CLOSE)
PING = int(Opcode.PING)
PONG = int(Opcode.PONG)

KIB = 1024
MIB = 1024 * 1024


class Grade(enum.StrEnum):
    PASSED = "passed"
    NON_STRICT = "non-strict"
    FAILED = "failed"
    INFO = "info"


# ----------------------------------------------------------------------------- payloads
@dataclass(frozen=True, slots=True)
class Blob:
    """A payload of ``size`` bytes made when the case runs: ASCII text, or every byte
    value in turn for binary."""

    size: int
    text: bool = True

    def make(self) -> bytes:
        pattern = b"Hello, WebSocket probe! " if self.text else bytes(range(256))
        return (pattern * (self.size // len(pattern) + 1))[: self.size]

    def __str__(self) -> str:
        return _size(self.size)


Payload = bytes | Blob


def materialize(payload: Payload) -> bytes:
    return payload.make() if isinstance(payload, Blob) else payload


def payload_size(payload: Payload) -> int:
    return payload.size if isinstance(payload, Blob) else len(payload)


def _size(n: int) -> str:
    if n >= MIB and n % MIB == 0:
        return f"{n // MIB} MiB"
    if n >= KIB and n % KIB == 0:
        return f"{n // KIB} KiB"
    return f"{n} byte" + ("" if n == 1 else "s")


# -------------------------------------------------------------------------------- steps
@dataclass(frozen=True, slots=True)
class Frames:
    """Send these frames exactly as described, back to back."""

    frames: tuple[FrameSpec, ...]


@dataclass(frozen=True, slots=True)
class Message:
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


Step = Frames | Message | Chopped | Pause | Sync | Deflated


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

_RFC = {
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
CATEGORIES: tuple[str, ...] = tuple(_RFC)


@dataclass(frozen=True, slots=True)
class Case:
    id: str
    category: str
    title: str
    steps: tuple[Step, ...]
    expect: Expectation
    #: The expected behaviour in words (made from ``expect`` when empty).
    expected: str = ""
    #: ``None``: offer no extension; ``""``: offer permessage-deflate the default way;
    #: anything else: this exact Sec-WebSocket-Extensions offer.
    deflate: str | None = None
    rfc: str = ""
    #: Payload bytes the case moves each way, to scale its time limit.
    weight: int = field(default=0)
    #: At most this long (seconds) to wait for a reaction after the last step, for
    #: cases where the sync ping cannot help (it would be read as payload).
    wait: float | None = None

    def __post_init__(self) -> None:
        if self.category not in _RFC:
            raise ValueError(f"unknown category {self.category!r}")
        if not self.expected:
            text = describe_expectation(self.expect)
            if self.deflate is not None:
                text += " (info if the server does not negotiate permessage-deflate)"
            object.__setattr__(self, "expected", text)
        if not self.rfc:
            object.__setattr__(self, "rfc", _RFC[self.category])
        if not self.weight:
            object.__setattr__(self, "weight", _weight(self.steps))


def _weight(steps: Iterable[Step]) -> int:
    total = 0
    for step in steps:
        if isinstance(step, Frames | Chopped):
            total += sum(len(f.payload) for f in step.frames)
        elif isinstance(step, Message):
            total += payload_size(step.payload)
        elif isinstance(step, Deflated):
            total += len(step.payload)
    return total


# ---------------------------------------------------------------------- words for cases
def _kind(opcode: int) -> str:
    return {TEXT: "text", BINARY: "binary"}.get(opcode, f"opcode {opcode}")


def describe_messages(messages: Sequence[tuple[int, Payload]]) -> str:
    if len(messages) == 1:
        opcode, payload = messages[0]
        size = payload_size(payload)
        if size == 0:
            return f"the empty {_kind(opcode)} message"
        return f"the {_kind(opcode)} message of {_size(size)}"
    kinds = {op for op, _ in messages}
    what = _kind(next(iter(kinds))) + " " if len(kinds) == 1 else ""
    return f"the {len(messages)} {what}messages, in order"


def code_words(code: int | None) -> str:
    """``1002`` -> ``"1002 (protocol error)"``: a close code as the reports word it."""
    if code is None:
        return "no status code"
    return f"{code} ({close_code_meaning(code).split(':')[0].lower()})"


def describe_expectation(expect: Expectation) -> str:
    """The expected behaviour, in words."""
    if isinstance(expect, Echo):
        parts = []
        if expect.messages:
            parts.append("echo " + describe_messages(expect.messages))
        if expect.pongs:
            n = len(expect.pongs)
            parts.append(
                "a pong with the same payload for the ping"
                if n == 1
                else f"a pong for each of the {n} pings, in order"
            )
            if expect.some_pongs_ok:
                parts.append("pongs for only the latest pings are allowed (non-strict)")
        if not parts:
            parts.append("ignore it; the connection stays usable")
        text = "; ".join(parts) + "; then a clean closing handshake"
        if expect.limit_ok:
            text += " (refusing it with 1009, message too big, is graded info)"
        return text[0].upper() + text[1:]
    if isinstance(expect, Fail):
        codes = " or ".join(code_words(c) for c in expect.codes)
        text = f"Fail the connection: a close frame with {codes}"
        if expect.before:
            text = f"Echo {describe_messages(expect.before)} first, then f" + text[1:]
        if expect.by_phase is not None:
            text += ", as soon as the offending bytes arrive (only at the end: non-strict)"
        if expect.ignore_ok:
            text += "; waiting for the rest of the message is non-strict"
        return text + "; another error code, or dropping TCP without a close frame, is non-strict"
    if isinstance(expect, CloseReply):
        codes = " or ".join(code_words(c) for c in expect.codes)
        text = f"A close frame with {codes} in reply"
        if expect.lenient:
            text += " (" + " or ".join(code_words(c) for c in expect.lenient) + ": non-strict)"
        if expect.drop_ok:
            text += "; dropping TCP without a close frame is non-strict"
        text += "; no data after the close frame"
        if expect.no_pongs:
            text += ", no pong for a ping sent after it"
        return text + "; the server then closes TCP"
    return expect.note


# ------------------------------------------------------------------------- frame helpers
def _f(
    opcode: int,
    payload: bytes = b"",
    *,
    fin: bool = True,
    rsv: int = 0,
    mask: bool | None = None,
    mask_key: bytes | None = None,
    length_form: int | None = None,
    declared_length: int | None = None,
) -> FrameSpec:
    """A frame; ``rsv`` is the three reserved bits as a number, RSV1 = 4 ... RSV3 = 1."""
    return FrameSpec(
        opcode,
        payload,
        fin=fin,
        rsv1=bool(rsv & 4),
        rsv2=bool(rsv & 2),
        rsv3=bool(rsv & 1),
        mask=mask,
        mask_key=mask_key,
        length_form=length_form,
        declared_length=declared_length,
    )


def _split(opcode: int, payload: bytes, cuts: Sequence[int]) -> tuple[FrameSpec, ...]:
    """A message as frames cut at the given offsets (repeated or end offsets give
    empty fragments)."""
    bounds = [0, *cuts, len(payload)]
    chunks = [payload[a:b] for a, b in itertools.pairwise(bounds)]
    last = len(chunks) - 1
    return tuple(
        _f(opcode if i == 0 else CONT, chunk, fin=i == last) for i, chunk in enumerate(chunks)
    )


def _bytewise(opcode: int, payload: bytes) -> tuple[FrameSpec, ...]:
    return _split(opcode, payload, range(1, len(payload)))


def _close(code: int | None, reason: bytes = b"") -> bytes:
    return b"" if code is None else code.to_bytes(2, "big") + reason


def _rsv_name(rsv: int) -> str:
    return "+".join(n for bit, n in ((4, "RSV1"), (2, "RSV2"), (1, "RSV3")) if rsv & bit)


# ---------------------------------------------------------------------------- the cases
class _Registry:
    def __init__(self) -> None:
        self.cases: list[Case] = []
        self._ids: set[str] = set()

    def add(
        self,
        id: str,
        category: str,
        title: str,
        steps: Sequence[Step],
        expect: Expectation,
        *,
        expected: str = "",
        deflate: str | None = None,
        wait: float | None = None,
    ) -> None:
        if id in self._ids:
            raise ValueError(f"duplicate case id {id}")
        self._ids.add(id)
        self.cases.append(
            Case(
                id,
                category,
                title,
                tuple(steps),
                expect,
                expected=expected,
                deflate=deflate,
                wait=wait,
            )
        )


def _framing(r: _Registry) -> None:
    c = "framing"
    sizes = (0, 125, 126, 127, 128, 65535, 65536, MIB, 16 * MIB)
    for group, opcode in ((1, TEXT), (2, BINARY)):
        for i, n in enumerate(sizes, 1):
            payload = Blob(n, opcode == TEXT)
            form = "7-bit" if n < 126 else "16-bit" if n < 65536 else "64-bit"
            r.add(
                f"1.{group}.{i}",
                c,
                f"{_kind(opcode).capitalize()} message of {_size(n)} ({form} length)",
                [Message(opcode, payload)],
                Echo(((opcode, payload),), limit_ok=n > 65536),
            )
    hello = b"Hello, world!"
    r.add(
        "1.3.1",
        c,
        "Text message of 13 bytes with its length in the 16-bit form",
        [Frames((_f(TEXT, hello, length_form=16),))],
        Observe(
            "Section 5.2 says the minimal length form MUST be used but gives the receiver no "
            "rule: echoing or failing with 1002 are both reported",
            ((TEXT, hello),),
        ),
    )
    r.add(
        "1.3.2",
        c,
        "Text message of 13 bytes with its length in the 64-bit form",
        [Frames((_f(TEXT, hello, length_form=64),))],
        Observe(
            "A non-minimal 64-bit length: echoing or failing with 1002 are both reported",
            ((TEXT, hello),),
        ),
    )
    data = Blob(300, text=False).make()
    r.add(
        "1.3.3",
        c,
        "Binary message of 300 bytes with its length in the 64-bit form",
        [Frames((_f(BINARY, data, length_form=64),))],
        Observe(
            "A non-minimal 64-bit length: echoing or failing with 1002 are both reported",
            ((BINARY, data),),
        ),
    )
    r.add(
        "1.3.4",
        c,
        "Ping of 13 bytes with its length in the 16-bit form",
        [Frames((_f(PING, hello, length_form=16),))],
        Observe("A non-minimal length on a control frame: a pong or a failure are reported"),
    )
    r.add(
        "1.4.1",
        c,
        "Frame whose 64-bit length has its most significant bit set",
        [Frames((_f(BINARY, b"12345", declared_length=2**63 + 5, length_form=64),))],
        Fail((1002, 1009)),
        wait=1.0,
        expected="Fail the connection: the most significant bit of a 64-bit length MUST be "
        "0 (a close frame with 1002, or 1009 for a frame too large to accept); dropping TCP "
        "without a close frame is non-strict",
    )
    r.add(
        "1.5.1",
        c,
        "Unmasked text frame from the client",
        [Frames((_f(TEXT, hello, mask=False),))],
        Fail(),
    )
    r.add(
        "1.5.2",
        c,
        "Unmasked binary frame from the client",
        [Frames((_f(BINARY, b"\x00\x01\x02\x03", mask=False),))],
        Fail(),
    )
    r.add(
        "1.5.3",
        c,
        "Unmasked ping from the client",
        [Frames((_f(PING, b"ping", mask=False),))],
        Fail(),
    )
    r.add(
        "1.5.4",
        c,
        "Unmasked empty text frame after a valid message",
        [Frames((_f(TEXT, hello), _f(TEXT, b"", mask=False)))],
        Fail(before=((TEXT, hello),)),
    )
    r.add(
        "1.5.5",
        c,
        "Text frame masked with the all-zero key",
        [Frames((_f(TEXT, hello, mask_key=b"\x00\x00\x00\x00"),))],
        Echo(((TEXT, hello),)),
    )
    frame = _f(TEXT, Blob(256).make())
    r.add(
        "1.6.1",
        c,
        "Text frame of 256 bytes written 1 byte at a time",
        [Chopped((frame,), chunk=1, delay=0.001)],
        Echo(((TEXT, frame.payload),)),
    )
    r.add(
        "1.6.2",
        c,
        "Frame header split after its first byte, the rest 100 ms later",
        [Chopped((frame,), upto=1), Pause(0.1), Chopped((frame,), start=1)],
        Echo(((TEXT, frame.payload),)),
    )
    many = tuple(_f(TEXT, f"message {i}".encode()) for i in range(20))
    r.add(
        "1.6.3",
        c,
        "Twenty small text frames in one TCP write",
        [Chopped(many, chunk=1 << 20)],
        Echo(tuple((TEXT, f.payload) for f in many)),
    )
    r.add(
        "1.6.4",
        c,
        "Binary frame of 64 KiB written in 1000-byte chunks",
        [Chopped((_f(BINARY, Blob(65536, text=False).make()),), chunk=1000)],
        Echo(((BINARY, Blob(65536, text=False)),)),
    )


def _pings(r: _Registry) -> None:
    c = "pings"
    binary = b"\x00\xff\xfe\xfd\xfc\xfb\x00\xff"
    r.add("2.1", c, "Ping with an empty payload", [Frames((_f(PING),))], Echo(pongs=(b"",)))
    r.add(
        "2.2",
        c,
        "Ping with a short text payload",
        [Frames((_f(PING, b"Hello, world!"),))],
        Echo(pongs=(b"Hello, world!",)),
    )
    r.add(
        "2.3",
        c,
        "Ping with a binary payload",
        [Frames((_f(PING, binary),))],
        Echo(pongs=(binary,)),
    )
    p125 = bytes(range(125))
    r.add(
        "2.4", c, "Ping with a 125-byte payload", [Frames((_f(PING, p125),))], Echo(pongs=(p125,))
    )
    r.add(
        "2.5",
        c,
        "Ping with a 126-byte payload (control frames carry at most 125)",
        [Frames((_f(PING, bytes(126)),))],
        Fail(),
    )
    r.add(
        "2.6",
        c,
        "Ping with a 125-byte payload written 1 byte at a time",
        [Chopped((_f(PING, p125),), chunk=1, delay=0.001)],
        Echo(pongs=(p125,)),
    )
    r.add(
        "2.7",
        c,
        "Unsolicited pong with an empty payload, then a text message",
        [Frames((_f(PONG), _f(TEXT, b"after pong")))],
        Echo(((TEXT, b"after pong"),)),
        expected="Ignore the unsolicited pong (section 5.5.3); echo the text message",
    )
    r.add(
        "2.8",
        c,
        "Unsolicited pong with a payload, then a text message",
        [Frames((_f(PONG, b"unsolicited"), _f(TEXT, b"after pong")))],
        Echo(((TEXT, b"after pong"),)),
        expected="Ignore the unsolicited pong (section 5.5.3); echo the text message",
    )
    r.add(
        "2.9",
        c,
        "Unsolicited pong, then a ping",
        [Frames((_f(PONG, b"unsolicited"), _f(PING, b"ping after pong")))],
        Echo(pongs=(b"ping after pong",)),
    )
    pings = tuple(f"ping {i}".encode() for i in range(10))
    r.add(
        "2.10",
        c,
        "Burst of 10 pings in one write",
        [Chopped(tuple(_f(PING, p) for p in pings), chunk=1 << 20)],
        Echo(pongs=pings, some_pongs_ok=True),
    )
    r.add(
        "2.11",
        c,
        "10 pings, 10 ms apart, each written 1 byte at a time",
        [s for p in pings for s in (Chopped((_f(PING, p),), chunk=1), Pause(0.01))],
        Echo(pongs=pings, some_pongs_ok=True),
    )
    r.add(
        "2.12",
        c,
        "Unsolicited pong with a 126-byte payload",
        [Frames((_f(PONG, bytes(126)),))],
        Fail(),
    )
    r.add(
        "2.13",
        c,
        "Ping between two text messages",
        [Frames((_f(TEXT, b"first"), _f(PING, b"between"), _f(TEXT, b"second")))],
        Echo(((TEXT, b"first"), (TEXT, b"second")), pongs=(b"between",)),
    )
    bad = b"\xff\xfe not UTF-8 \xc0\xaf"
    r.add(
        "2.14",
        c,
        "Ping whose payload is not UTF-8 (control payloads are binary)",
        [Frames((_f(PING, bad),))],
        Echo(pongs=(bad,)),
    )
    r.add(
        "2.15",
        c,
        "Ping masked with the all-zero key",
        [Frames((_f(PING, b"zero key", mask_key=bytes(4)),))],
        Echo(pongs=(b"zero key",)),
    )
    r.add(
        "2.16",
        c,
        "Ping, then a 64 KiB binary message, then a ping",
        [
            Frames((_f(PING, b"before"),)),
            Message(BINARY, Blob(65536, text=False)),
            Frames((_f(PING, b"after"),)),
        ],
        Echo(((BINARY, Blob(65536, text=False)),), pongs=(b"before", b"after")),
    )


def _reserved_bits(r: _Registry) -> None:
    c = "reserved-bits"
    for rsv in range(1, 8):
        name = _rsv_name(rsv)
        r.add(
            f"3.1.{rsv}",
            c,
            f"Text message with {name} set",
            [Frames((_f(TEXT, b"Hello", rsv=rsv),))],
            Fail(),
        )
        r.add(
            f"3.2.{rsv}",
            c,
            f"Binary message with {name} set",
            [Frames((_f(BINARY, b"\x00\xff\x10", rsv=rsv),))],
            Fail(),
        )
        r.add(
            f"3.3.{rsv}",
            c,
            f"Ping with {name} set",
            [Frames((_f(PING, b"ping", rsv=rsv),))],
            Fail(),
        )
        r.add(
            f"3.4.{rsv}",
            c,
            f"Valid text message, then one with {name} set, then a ping",
            [Frames((_f(TEXT, b"valid"), _f(TEXT, b"Hello", rsv=rsv), _f(PING, b"ping")))],
            Fail(before=((TEXT, b"valid"),)),
        )
    for i, rsv in enumerate((4, 2, 1), 1):
        r.add(
            f"3.5.{i}",
            c,
            f"Fragmented text message whose continuation frame has {_rsv_name(rsv)} set",
            [Frames((_f(TEXT, b"frag", fin=False), _f(CONT, b"ment", rsv=rsv)))],
            Fail(),
        )
    r.add(
        "3.6.1",
        c,
        "Close frame with RSV1 set",
        [Frames((_f(CLOSE, _close(1000), rsv=4),))],
        CloseReply((1002,), lenient=(None,), drop_ok=True),
    )


def _opcodes(r: _Registry) -> None:
    c = "opcodes"
    for opcode in (3, 4, 5, 6, 7, 11, 12, 13, 14, 15):
        kind = "non-control" if opcode < 8 else "control"
        r.add(
            f"4.1.{opcode}",
            c,
            f"Frame with reserved {kind} opcode {opcode}, empty",
            [Frames((_f(opcode),))],
            Fail(),
        )
        r.add(
            f"4.2.{opcode}",
            c,
            f"Frame with reserved {kind} opcode {opcode} and a payload",
            [Frames((_f(opcode, b"reserved opcode"),))],
            Fail(),
        )
        r.add(
            f"4.3.{opcode}",
            c,
            f"Valid text message, then reserved opcode {opcode}, then a ping",
            [Frames((_f(TEXT, b"valid"), _f(opcode, b"reserved"), _f(PING, b"ping")))],
            Fail(before=((TEXT, b"valid"),)),
        )


def _fragmentation(r: _Registry) -> None:
    c = "fragmentation"
    msg = b"fragmented message"
    r.add(
        "5.1",
        c,
        "Ping split into two fragments",
        [Frames((_f(PING, b"frag", fin=False), _f(CONT, b"ment")))],
        Fail(),
    )
    r.add(
        "5.2",
        c,
        "Pong split into two fragments",
        [Frames((_f(PONG, b"frag", fin=False), _f(CONT, b"ment")))],
        Fail(),
    )
    r.add(
        "5.3",
        c,
        "Close frame with FIN=0, then a continuation",
        [Frames((_f(CLOSE, _close(1000), fin=False), _f(CONT, b"")))],
        CloseReply((1002,), lenient=(None,), drop_ok=True),
    )
    r.add(
        "5.4",
        c,
        "Text message in 2 fragments",
        [Frames(_split(TEXT, msg, [10]))],
        Echo(((TEXT, msg),)),
    )
    r.add(
        "5.5",
        c,
        "Text message in 2 fragments, 100 ms apart",
        [Frames(_split(TEXT, msg, [10])[:1]), Pause(0.1), Frames(_split(TEXT, msg, [10])[1:])],
        Echo(((TEXT, msg),)),
    )
    two = _split(TEXT, msg, [10])
    r.add(
        "5.6",
        c,
        "Text message in 2 fragments with a ping between them",
        [Frames((two[0], _f(PING, b"between"), two[1]))],
        Echo(((TEXT, msg),), pongs=(b"between",)),
    )
    r.add(
        "5.7",
        c,
        "Text message in 2 fragments with a ping between, all written 1 byte at a time",
        [Chopped((two[0], _f(PING, b"between"), two[1]), chunk=1)],
        Echo(((TEXT, msg),), pongs=(b"between",)),
    )
    ten = _split(TEXT, msg, range(2, 18, 2))
    with_pings: list[FrameSpec] = []
    for i, f in enumerate(ten):
        with_pings.append(f)
        if i < len(ten) - 1:
            with_pings.append(_f(PING, f"ping {i}".encode()))
    r.add(
        "5.8",
        c,
        f"Text message in {len(ten)} fragments with a ping after each but the last",
        [Frames(tuple(with_pings))],
        Echo(((TEXT, msg),), pongs=tuple(f"ping {i}".encode() for i in range(len(ten) - 1))),
    )
    r.add(
        "5.9",
        c,
        "Continuation frame (FIN=1) with nothing to continue",
        [Frames((_f(CONT, b"continuation"),))],
        Fail(),
    )
    r.add(
        "5.10",
        c,
        "Continuation frame (FIN=1) with nothing to continue, written 1 byte at a time",
        [Chopped((_f(CONT, b"continuation"),), chunk=1)],
        Fail(),
    )
    r.add(
        "5.11",
        c,
        "Continuation frame (FIN=0) with nothing to continue, then one with FIN=1",
        [Frames((_f(CONT, b"frag", fin=False), _f(CONT, b"ment")))],
        Fail(),
    )
    r.add(
        "5.12",
        c,
        "Continuation frame (FIN=0) with nothing to continue, then a text frame",
        [Frames((_f(CONT, b"frag", fin=False), _f(TEXT, b"text")))],
        Fail(),
    )
    r.add(
        "5.13",
        c,
        "Complete fragmented text message, then a stray continuation frame",
        [Frames((*two, _f(CONT, b"stray")))],
        Fail(before=((TEXT, msg),)),
    )
    r.add(
        "5.14",
        c,
        "New text message inside an unfinished fragmented one",
        [Frames((_f(TEXT, b"frag", fin=False), _f(TEXT, b"new message")))],
        Fail(),
    )
    r.add(
        "5.15",
        c,
        "Binary frame inside an unfinished fragmented text message",
        [Frames((_f(TEXT, b"frag", fin=False), _f(BINARY, b"\x01\x02")))],
        Fail(),
    )
    r.add(
        "5.16",
        c,
        "Fragmented binary message interrupted by a fragmented text message",
        [
            Frames(
                (
                    _f(BINARY, b"\x01", fin=False),
                    _f(TEXT, b"text", fin=False),
                    _f(CONT, b"end"),
                )
            )
        ],
        Fail(),
    )
    data = bytes(range(200))
    r.add(
        "5.17",
        c,
        "Binary message in 2 fragments",
        [Frames(_split(BINARY, data, [100]))],
        Echo(((BINARY, data),)),
    )
    r.add(
        "5.18",
        c,
        "Binary message in 3 fragments, the middle one empty",
        [Frames(_split(BINARY, data, [100, 100]))],
        Echo(((BINARY, data),)),
    )
    r.add(
        "5.19",
        c,
        "Text message whose first fragment is empty",
        [Frames(_split(TEXT, msg, [0]))],
        Echo(((TEXT, msg),)),
    )
    r.add(
        "5.20",
        c,
        "Text message whose last fragment is empty",
        [Frames(_split(TEXT, msg, [len(msg)]))],
        Echo(((TEXT, msg),)),
    )
    hundred = Blob(100).make()
    r.add(
        "5.21",
        c,
        "Text message of 100 bytes in 1-byte fragments",
        [Frames(_bytewise(TEXT, hundred))],
        Echo(((TEXT, hundred),)),
    )
    r.add(
        "5.22",
        c,
        "Binary message of 100 bytes in 1-byte fragments",
        [Frames(_bytewise(BINARY, data[:100]))],
        Echo(((BINARY, data[:100]),)),
    )
    five = _split(TEXT, msg, [4, 8, 12, 16])
    steps: list[Step] = []
    for i, f in enumerate(five):
        steps.append(Frames((f,)))
        if i < 4:
            steps.append(Frames((_f(PING, f"ping {i}".encode()),)))
            steps.append(Pause(0.01))
    r.add(
        "5.23",
        c,
        "Text message in 5 fragments, 10 ms apart, with a ping after each but the last",
        steps,
        Echo(((TEXT, msg),), pongs=tuple(f"ping {i}".encode() for i in range(4))),
    )
    r.add(
        "5.24",
        c,
        "Close frame between the fragments of a text message",
        [Frames((_f(TEXT, b"frag", fin=False), _f(CLOSE, _close(1000))))],
        CloseReply((1000,), lenient=(None, 1002)),
        expected="Answer the close frame (a control frame may come between fragments) "
        "with 1000 (no status code, or 1002 for the unfinished message: non-strict); "
        "never deliver the unfinished message",
    )
    r.add(
        "5.25",
        c,
        "Fragmented ping inside a fragmented text message",
        [Frames((_f(TEXT, b"frag", fin=False), _f(PING, b"pi", fin=False), _f(CONT, b"ng")))],
        Fail(),
    )
    r.add(
        "5.26",
        c,
        "Unsolicited pong between the fragments of a text message",
        [Frames((two[0], _f(PONG, b"unsolicited"), two[1]))],
        Echo(((TEXT, msg),)),
    )
    r.add(
        "5.27",
        c,
        "Unfinished fragmented text message, then a ping",
        [Frames((_f(TEXT, b"unfinished", fin=False), _f(PING, b"still there?")))],
        Echo(pongs=(b"still there?",)),
        expected="Answer the ping while waiting for the rest of the message; nothing is "
        "echoed; then a clean closing handshake",
    )
    r.add(
        "5.28",
        c,
        "Two fragmented messages, text then binary, back to back",
        [Frames((*two, *_split(BINARY, data, [50, 150])))],
        Echo(((TEXT, msg), (BINARY, data))),
    )


# The Markus Kuhn UTF-8 decoder capability and stress test, re-expressed as cases.
#: Markus Kuhn's "κόσμε", with U+1F79 (3 bytes) for the accented omicron.
_KOSME = b"\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5"
_VALID: tuple[tuple[str, str, bytes], ...] = (
    ("6.5.1", "Greek 'kosme' (κόσμε)", _KOSME),
    ("6.7.1", "First 1-byte sequence: U+0000", b"\x00"),
    ("6.7.2", "First 2-byte sequence: U+0080", b"\xc2\x80"),
    ("6.7.3", "First 3-byte sequence: U+0800", b"\xe0\xa0\x80"),
    ("6.7.4", "First 4-byte sequence: U+10000", b"\xf0\x90\x80\x80"),
    ("6.9.1", "Last 1-byte sequence: U+007F", b"\x7f"),
    ("6.9.2", "Last 2-byte sequence: U+07FF", b"\xdf\xbf"),
    ("6.9.3", "Last 3-byte sequence: U+FFFF", b"\xef\xbf\xbf"),
    ("6.9.4", "Last code point: U+10FFFF", b"\xf4\x8f\xbf\xbf"),
    ("6.11.1", "U+D7FF (just below the surrogates)", b"\xed\x9f\xbf"),
    ("6.11.2", "U+E000 (just above the surrogates)", b"\xee\x80\x80"),
    ("6.11.3", "U+FFFD replacement character", b"\xef\xbf\xbd"),
    ("6.11.4", "U+10FFFF in a sentence", b"max: \xf4\x8f\xbf\xbf."),
    ("6.22.1", "Noncharacter U+FFFE", b"\xef\xbf\xbe"),
    ("6.22.2", "Noncharacter U+FFFF", b"\xef\xbf\xbf"),
    ("6.22.3", "Noncharacter U+1FFFE", b"\xf0\x9f\xbf\xbe"),
    ("6.22.4", "Noncharacter U+1FFFF", b"\xf0\x9f\xbf\xbf"),
    ("6.22.5", "Noncharacter U+FDD0", b"\xef\xb7\x90"),
    ("6.22.6", "Noncharacter U+FDEF", b"\xef\xb7\xaf"),
    ("6.22.7", "Noncharacter U+10FFFE", b"\xf4\x8f\xbf\xbe"),
    ("6.22.8", "Noncharacter U+7FFFE", b"\xf1\xbf\xbf\xbe"),
    ("6.23.1", "Byte order mark U+FEFF", b"\xef\xbb\xbf"),
    ("6.23.2", "Mixed scripts with a 4-byte emoji", "Hello 世界 Γειά 😀!".encode()),
    ("6.23.3", "Hello-µ@ßöäüàá-UTF-8!!", "Hello-µ@ßöäüàá-UTF-8!!".encode()),
)

_INVALID: tuple[tuple[str, str, bytes], ...] = (
    ("6.3.1", "'κόσμε' with a surrogate (U+D800) inside", _KOSME + b"\xed\xa0\x80edited"),
    ("6.8.1", "First 5-byte sequence (U+200000)", b"\xf8\x88\x80\x80\x80"),
    ("6.8.2", "First 6-byte sequence (U+4000000)", b"\xfc\x84\x80\x80\x80\x80"),
    ("6.10.1", "4-byte sequence above U+10FFFF (U+1FFFFF)", b"\xf7\xbf\xbf\xbf"),
    ("6.10.2", "Last 5-byte sequence (U+3FFFFFF)", b"\xfb\xbf\xbf\xbf\xbf"),
    ("6.10.3", "Last 6-byte sequence (U+7FFFFFFF)", b"\xfd\xbf\xbf\xbf\xbf\xbf"),
    ("6.11.5", "U+110000, just above the last code point", b"\xf4\x90\x80\x80"),
    ("6.12.1", "Lone continuation byte 0x80", b"\x80"),
    ("6.12.2", "Lone continuation byte 0xBF", b"\xbf"),
    ("6.12.3", "2 continuation bytes", b"\x80\xbf"),
    ("6.12.4", "3 continuation bytes", b"\x80\xbf\x80"),
    ("6.12.5", "4 continuation bytes", b"\x80\xbf\x80\xbf"),
    ("6.12.6", "5 continuation bytes", b"\x80\xbf\x80\xbf\x80"),
    ("6.12.7", "6 continuation bytes", b"\x80\xbf\x80\xbf\x80\xbf"),
    ("6.12.8", "All 64 continuation bytes 0x80-0xBF", bytes(range(0x80, 0xC0))),
    (
        "6.13.1",
        "Lonely 2-byte lead bytes 0xC0-0xDF, each followed by a space",
        b"".join(bytes((b, 0x20)) for b in range(0xC0, 0xE0)),
    ),
    (
        "6.13.2",
        "Lonely 3-byte lead bytes 0xE0-0xEF, each followed by a space",
        b"".join(bytes((b, 0x20)) for b in range(0xE0, 0xF0)),
    ),
    (
        "6.13.3",
        "Lonely 4-byte lead bytes 0xF0-0xF7, each followed by a space",
        b"".join(bytes((b, 0x20)) for b in range(0xF0, 0xF8)),
    ),
    (
        "6.13.4",
        "Lonely 5-byte lead bytes 0xF8-0xFB, each followed by a space",
        b"".join(bytes((b, 0x20)) for b in range(0xF8, 0xFC)),
    ),
    (
        "6.13.5",
        "Lonely 6-byte lead bytes 0xFC-0xFD, each followed by a space",
        b"".join(bytes((b, 0x20)) for b in range(0xFC, 0xFE)),
    ),
    ("6.14.1", "2-byte sequence with its last byte missing (U+0000)", b"\xc0"),
    ("6.14.2", "3-byte sequence with its last byte missing (U+0000)", b"\xe0\x80"),
    ("6.14.3", "4-byte sequence with its last byte missing (U+0000)", b"\xf0\x80\x80"),
    ("6.14.4", "5-byte sequence with its last byte missing", b"\xf8\x80\x80\x80"),
    ("6.14.5", "6-byte sequence with its last byte missing", b"\xfc\x80\x80\x80\x80"),
    ("6.14.6", "2-byte sequence with its last byte missing (U+07FF)", b"\xdf"),
    ("6.14.7", "3-byte sequence with its last byte missing (U+FFFF)", b"\xef\xbf"),
    ("6.14.8", "4-byte sequence with its last byte missing", b"\xf7\xbf\xbf"),
    ("6.14.9", "5-byte sequence with its last byte missing", b"\xfb\xbf\xbf\xbf"),
    ("6.14.10", "6-byte sequence with its last byte missing", b"\xfd\xbf\xbf\xbf\xbf"),
    (
        "6.15.1",
        "All the truncated sequences above, concatenated",
        b"\xc0\xe0\x80\xf0\x80\x80\xf8\x80\x80\x80\xfc\x80\x80\x80\x80"
        b"\xdf\xef\xbf\xf7\xbf\xbf\xfb\xbf\xbf\xbf\xfd\xbf\xbf\xbf\xbf",
    ),
    ("6.16.1", "Impossible byte 0xFE", b"\xfe"),
    ("6.16.2", "Impossible byte 0xFF", b"\xff"),
    ("6.16.3", "Impossible bytes 0xFE 0xFE 0xFF 0xFF", b"\xfe\xfe\xff\xff"),
    ("6.17.1", "Overlong '/' in 2 bytes", b"\xc0\xaf"),
    ("6.17.2", "Overlong '/' in 3 bytes", b"\xe0\x80\xaf"),
    ("6.17.3", "Overlong '/' in 4 bytes", b"\xf0\x80\x80\xaf"),
    ("6.17.4", "Overlong '/' in 5 bytes", b"\xf8\x80\x80\x80\xaf"),
    ("6.17.5", "Overlong '/' in 6 bytes", b"\xfc\x80\x80\x80\x80\xaf"),
    ("6.18.1", "Largest overlong 2-byte sequence (U+007F)", b"\xc1\xbf"),
    ("6.18.2", "Largest overlong 3-byte sequence (U+07FF)", b"\xe0\x9f\xbf"),
    ("6.18.3", "Largest overlong 4-byte sequence (U+FFFF)", b"\xf0\x8f\xbf\xbf"),
    ("6.18.4", "Largest overlong 5-byte sequence", b"\xf8\x87\xbf\xbf\xbf"),
    ("6.18.5", "Largest overlong 6-byte sequence", b"\xfc\x83\xbf\xbf\xbf\xbf"),
    ("6.19.1", "Overlong NUL in 2 bytes", b"\xc0\x80"),
    ("6.19.2", "Overlong NUL in 3 bytes", b"\xe0\x80\x80"),
    ("6.19.3", "Overlong NUL in 4 bytes", b"\xf0\x80\x80\x80"),
    ("6.19.4", "Overlong NUL in 5 bytes", b"\xf8\x80\x80\x80\x80"),
    ("6.19.5", "Overlong NUL in 6 bytes", b"\xfc\x80\x80\x80\x80\x80"),
    ("6.20.1", "Single surrogate U+D800", b"\xed\xa0\x80"),
    ("6.20.2", "Single surrogate U+DB7F", b"\xed\xad\xbf"),
    ("6.20.3", "Single surrogate U+DB80", b"\xed\xae\x80"),
    ("6.20.4", "Single surrogate U+DBFF", b"\xed\xaf\xbf"),
    ("6.20.5", "Single surrogate U+DC00", b"\xed\xb0\x80"),
    ("6.20.6", "Single surrogate U+DF80", b"\xed\xbe\x80"),
    ("6.20.7", "Single surrogate U+DFFF", b"\xed\xbf\xbf"),
    ("6.21.1", "Surrogate pair U+D800 U+DC00", b"\xed\xa0\x80\xed\xb0\x80"),
    ("6.21.2", "Surrogate pair U+D800 U+DFFF", b"\xed\xa0\x80\xed\xbf\xbf"),
    ("6.21.3", "Surrogate pair U+DB7F U+DC00", b"\xed\xad\xbf\xed\xb0\x80"),
    ("6.21.4", "Surrogate pair U+DB7F U+DFFF", b"\xed\xad\xbf\xed\xbf\xbf"),
    ("6.21.5", "Surrogate pair U+DB80 U+DC00", b"\xed\xae\x80\xed\xb0\x80"),
    ("6.21.6", "Surrogate pair U+DB80 U+DFFF", b"\xed\xae\x80\xed\xbf\xbf"),
    ("6.21.7", "Surrogate pair U+DBFF U+DC00", b"\xed\xaf\xbf\xed\xb0\x80"),
    ("6.21.8", "Surrogate pair U+DBFF U+DFFF", b"\xed\xaf\xbf\xed\xbf\xbf"),
)

#: Invalid sequences that are also sent one byte per fragment.
_SPLIT_INVALID = ("6.3.1", "6.11.5", "6.16.2", "6.17.1", "6.19.2", "6.20.1", "6.14.3")


def _utf8(r: _Registry) -> None:
    c = "utf8"
    invalid = Fail((1007,))
    r.add("6.1.1", c, "Empty text message", [Frames((_f(TEXT),))], Echo(((TEXT, b""),)))
    r.add(
        "6.1.2",
        c,
        "Empty text message in 3 empty fragments",
        [Frames(_split(TEXT, b"", [0, 0]))],
        Echo(((TEXT, b""),)),
    )
    r.add(
        "6.1.3",
        c,
        "Text message: empty fragment, 'middle', empty fragment",
        [Frames(_split(TEXT, b"middle", [0, 6]))],
        Echo(((TEXT, b"middle"),)),
    )
    hello = "Hello-µ@ßöäüàá-UTF-8!!".encode()
    r.add(
        "6.2.1",
        c,
        "Valid UTF-8 text in 2 fragments split between code points",
        [Frames(_split(TEXT, hello, [8]))],
        Echo(((TEXT, hello),)),
    )
    r.add(
        "6.2.2",
        c,
        "Valid UTF-8 text in 1-byte fragments (code points split across frames)",
        [Frames(_bytewise(TEXT, hello))],
        Echo(((TEXT, hello),)),
    )
    r.add(
        "6.2.3",
        c,
        "Valid UTF-8 text written 1 byte at a time",
        [Chopped((_f(TEXT, hello),), chunk=1)],
        Echo(((TEXT, hello),)),
    )
    r.add(
        "6.5.2",
        c,
        "'κόσμε' in fragments of one code point",
        [Frames(_split(TEXT, _KOSME, [2, 5, 7, 9]))],
        Echo(((TEXT, _KOSME),)),
    )
    r.add(
        "6.5.3",
        c,
        "'κόσμε' in 1-byte fragments",
        [Frames(_bytewise(TEXT, _KOSME))],
        Echo(((TEXT, _KOSME),)),
    )
    for case_id, title, data in _VALID:
        r.add(
            case_id, c, f"Valid UTF-8: {title}", [Frames((_f(TEXT, data),))], Echo(((TEXT, data),))
        )
    for i in range(1, len(_KOSME) + 1):
        prefix = _KOSME[:i]
        whole = i in (2, 5, 7, 9, 11)
        r.add(
            f"6.6.{i}",
            c,
            f"First {i} byte{'s' if i > 1 else ''} of 'κόσμε'"
            + ("" if whole else " (ends inside a code point)"),
            [Frames((_f(TEXT, prefix),))],
            Echo(((TEXT, prefix),)) if whole else invalid,
        )
    emoji = "😀".encode()
    for cut in (1, 2, 3):
        r.add(
            f"6.25.{cut}",
            c,
            f"4-byte code point split across 2 fragments after byte {cut}",
            [Frames(_split(TEXT, b"smile " + emoji, [6 + cut]))],
            Echo(((TEXT, b"smile " + emoji),)),
        )
    for case_id, title, data in _INVALID:
        r.add(case_id, c, f"Invalid UTF-8: {title}", [Frames((_f(TEXT, data),))], invalid)
    for i, case_id in enumerate(_SPLIT_INVALID, 1):
        title, data = next((t, d) for k, t, d in _INVALID if k == case_id)
        r.add(
            f"6.24.{i}",
            c,
            f"Invalid UTF-8 in 1-byte fragments: {title}",
            [Frames(_bytewise(TEXT, data))],
            invalid,
        )
    r.add(
        "6.26.1",
        c,
        "Valid first fragment, invalid byte 0xFE in the second",
        [Frames(_split(TEXT, b"Hello, \xfe world", [7]))],
        invalid,
    )
    r.add(
        "6.26.2",
        c,
        "Invalid UTF-8 text inside a fragmented message with a ping between the fragments",
        [Frames((_f(TEXT, b"ok ", fin=False), _f(PING, b"p"), _f(CONT, b"\xed\xa0\x80")))],
        invalid,
    )
    # Fail fast (section 8.1 makes the check incremental): the verdict should come
    # when the offending bytes arrive, not when the message ends.
    part1, part2, part3 = _KOSME, b"\xf4\x90\x80\x80", b"edited"
    r.add(
        "6.4.1",
        c,
        "Fail fast: valid fragment, then U+110000 in a fragment, then the rest",
        [
            Frames((_f(TEXT, part1, fin=False),)),
            Sync(),
            Frames((_f(CONT, part2, fin=False),)),
            Sync(),
            Frames((_f(CONT, part3),)),
        ],
        Fail((1007,), by_phase=1),
    )
    r.add(
        "6.4.2",
        c,
        "Fail fast: code point split across fragments, invalid byte in the second",
        [
            Frames((_f(TEXT, part1 + b"\xf4", fin=False),)),
            Sync(),
            Frames((_f(CONT, b"\x90", fin=False),)),
            Sync(),
            Frames((_f(CONT, b"\x80\x80" + part3),)),
        ],
        Fail((1007,), by_phase=1),
    )
    frame = _f(TEXT, part1 + part2 + part3 + Blob(64).make())
    head = 6 + len(part1) + len(part2)  # 2-byte header, 4-byte key, payload up to U+110000
    r.add(
        "6.4.3",
        c,
        "Fail fast within one frame: the frame up to the invalid bytes, the rest 0.5 s later",
        [Chopped((frame,), upto=head), Pause(0.5), Chopped((frame,), start=head)],
        Fail((1007,), by_phase=0),
    )
    r.add(
        "6.4.4",
        c,
        "Fail fast: invalid first fragment of a message that never ends",
        [Frames((_f(TEXT, b"\xfe\xff", fin=False),)), Sync()],
        Fail((1007,), by_phase=0, ignore_ok=True),
    )


_VALID_CODES: tuple[int, ...] = (
    *(1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014),
    *(3000, 3999, 4000, 4999),
)
_INVALID_CODES = (0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535)


def _close_cases(r: _Registry) -> None:
    c = "close"
    for i, code in enumerate(_VALID_CODES, 1):
        r.add(
            f"7.7.{i}",
            c,
            f"Close with valid code {code}",
            [Frames((_f(CLOSE, _close(code)),))],
            CloseReply((code,), lenient=(1000, None) if code != 1000 else (None,)),
            expected=(
                f"A close frame echoing {code} (section 5.5.1: 'typically echos'); 1000 "
                "or no status code is non-strict; the server then closes TCP"
                if code != 1000
                else "A close frame with 1000 (no status code is non-strict); the server "
                "then closes TCP"
            ),
        )
    for i, code in enumerate(_INVALID_CODES, 1):
        r.add(
            f"7.9.{i}",
            c,
            f"Close with invalid code {code}",
            [Frames((_f(CLOSE, _close(code)),))],
            CloseReply((1002,), lenient=(None,), drop_ok=True),
            expected=f"Fail the connection: code {code} may not be sent (section 7.4), so a "
            "close frame with 1002; no status code, or a TCP drop, is non-strict",
        )
    r.add(
        "7.1.1",
        c,
        "Close with no payload",
        [Frames((_f(CLOSE),))],
        CloseReply((1000, None)),
        expected="A close frame with 1000 or with no payload (both allowed), then the server "
        "closes TCP",
    )
    r.add(
        "7.1.2",
        c,
        "Close with code 1000 and a reason",
        [Frames((_f(CLOSE, _close(1000, b"Goodbye, server")),))],
        CloseReply((1000,), lenient=(None,)),
    )
    r.add(
        "7.1.3",
        c,
        "Close, then a text message",
        [Frames((_f(CLOSE, _close(1000)), _f(TEXT, b"after close")))],
        CloseReply((1000,), lenient=(None,)),
        expected="A close frame with 1000; the text message after our close frame is "
        "ignored (never echoed)",
    )
    r.add(
        "7.1.4",
        c,
        "Close, then a ping",
        [Frames((_f(CLOSE, _close(1000)), _f(PING, b"after close")))],
        CloseReply((1000,), lenient=(None,), no_pongs=(b"after close",)),
    )
    r.add(
        "7.1.5",
        c,
        "Close, then a second close frame",
        [Frames((_f(CLOSE, _close(1000)), _f(CLOSE, _close(1001))))],
        CloseReply((1000,), lenient=(None,)),
    )
    r.add(
        "7.1.6",
        c,
        "Text message of 1 MiB, then a close at once",
        [Message(TEXT, Blob(MIB)), Frames((_f(CLOSE, _close(1000)),))],
        CloseReply((1000,), lenient=(None, 1009)),
        expected="A close frame with 1000 (1009 if the message is over the server's "
        "limit, or no status code: non-strict); echoing the message first is allowed",
    )
    r.add(
        "7.3.1",
        c,
        "Close with a 1-byte payload",
        [Frames((_f(CLOSE, b"\x03"),))],
        CloseReply((1002,), lenient=(None,), drop_ok=True),
        expected="Fail the connection: a close payload has 0 or at least 2 bytes, so a "
        "close frame with 1002; no status code, or a TCP drop, is non-strict",
    )
    r.add(
        "7.3.2",
        c,
        "Close with code 1000 and a 123-byte reason (125-byte payload)",
        [Frames((_f(CLOSE, _close(1000, b"r" * 123)),))],
        CloseReply((1000,), lenient=(None,)),
    )
    r.add(
        "7.3.3",
        c,
        "Close with code 1000 and a 124-byte reason (126-byte payload, too long)",
        [Frames((_f(CLOSE, _close(1000, b"r" * 124)),))],
        CloseReply((1002,), lenient=(None,), drop_ok=True),
        expected="Fail the connection: a control frame carries at most 125 bytes, so a "
        "close frame with 1002; no status code, or a TCP drop, is non-strict",
    )
    r.add(
        "7.5.1",
        c,
        "Close with code 1000 and a reason that is not UTF-8",
        [Frames((_f(CLOSE, _close(1000, b"bad \xce\xba\xe1\xbd\xb9\xcf\x83\xed\xa0\x80")),))],
        CloseReply((1007,), lenient=(1002, None), drop_ok=True),
        expected="Fail the connection with 1007 (the reason must be UTF-8); 1002, no "
        "status code, or a TCP drop, is non-strict",
    )
    r.add(
        "7.5.2",
        c,
        "Close with code 1000 and a reason in UTF-8 (multi-byte characters)",
        [Frames((_f(CLOSE, _close(1000, "au revoir, κόσμε 😀".encode())),))],
        CloseReply((1000,), lenient=(None,)),
    )


def _limits(r: _Registry) -> None:
    c = "limits"
    big_text = Blob(4 * MIB)
    r.add(
        "9.1.1",
        c,
        "Text message of 4 MiB in 64 KiB fragments",
        [Message(TEXT, big_text, fragment_size=64 * KIB)],
        Echo(((TEXT, big_text),), limit_ok=True),
    )
    big_binary = Blob(4 * MIB, text=False)
    r.add(
        "9.1.2",
        c,
        "Binary message of 4 MiB in 4 KiB fragments",
        [Message(BINARY, big_binary, fragment_size=4 * KIB)],
        Echo(((BINARY, big_binary),), limit_ok=True),
    )
    r.add(
        "9.1.3",
        c,
        "Binary message of 8 MiB in one frame",
        [Message(BINARY, Blob(8 * MIB, text=False))],
        Echo(((BINARY, Blob(8 * MIB, text=False)),), limit_ok=True),
    )
    r.add(
        "9.2.1",
        c,
        "Text message of 100 KB in 1000 fragments of 100 bytes",
        [Message(TEXT, Blob(100_000), fragment_size=100)],
        Echo(((TEXT, Blob(100_000)),), limit_ok=True),
    )
    r.add(
        "9.2.2",
        c,
        "Binary message of 10 KB in 10000 fragments of 1 byte",
        [Message(BINARY, Blob(10_000, text=False), fragment_size=1)],
        Echo(((BINARY, Blob(10_000, text=False)),), limit_ok=True),
    )
    small = tuple(_f(TEXT, f"message {i:04d}".encode()) for i in range(1000))
    r.add(
        "9.3.1",
        c,
        "1000 small text messages in one write",
        [Chopped(small, chunk=1 << 20)],
        Echo(tuple((TEXT, f.payload) for f in small)),
    )
    r.add(
        "9.3.2",
        c,
        "1000 binary messages of 1 KiB",
        [Frames(tuple(_f(BINARY, i.to_bytes(2, "big") * 512) for i in range(1000)))],
        Echo(tuple((BINARY, i.to_bytes(2, "big") * 512) for i in range(1000))),
    )
    pings = tuple(f"ping {i:03d}".encode() for i in range(100))
    r.add(
        "9.4.1",
        c,
        "100 pings in one write",
        [Chopped(tuple(_f(PING, p) for p in pings), chunk=1 << 20)],
        Echo(pongs=pings, some_pongs_ok=True),
    )
    r.add(
        "9.5.1",
        c,
        "Frame that declares 1 GiB and sends 16 bytes",
        [Frames((_f(BINARY, b"0123456789abcdef", declared_length=2**30),))],
        Observe(
            "No rule: a server may wait for the rest (answering nothing, as the ping that "
            "follows is read as payload), or refuse the frame as too big (1009)"
        ),
        wait=1.0,
    )


_DEFAULT_OFFER = ""


def _deflate(r: _Registry) -> None:
    c = "deflate"
    text = ("Hello, compressed world! " * 20).encode()
    r.add(
        "12.1.1",
        c,
        "Compressed text message",
        [Message(TEXT, text, compress=True)],
        Echo(((TEXT, text),)),
        deflate=_DEFAULT_OFFER,
    )
    data = Blob(4096, text=False).make()
    r.add(
        "12.1.2",
        c,
        "Compressed binary message of 4 KiB",
        [Message(BINARY, data, compress=True)],
        Echo(((BINARY, data),)),
        deflate=_DEFAULT_OFFER,
    )
    r.add(
        "12.1.3",
        c,
        "Compressed empty text message",
        [Message(TEXT, b"", compress=True)],
        Echo(((TEXT, b""),)),
        deflate=_DEFAULT_OFFER,
    )
    big = Blob(256 * KIB)
    r.add(
        "12.1.4",
        c,
        "Compressed text message of 256 KiB in 4 KiB fragments",
        [Message(TEXT, big, fragment_size=4 * KIB, compress=True)],
        Echo(((TEXT, big),)),
        deflate=_DEFAULT_OFFER,
    )
    r.add(
        "12.1.5",
        c,
        "Uncompressed text message on a compressed connection (RSV1 clear)",
        [Message(TEXT, text, compress=False)],
        Echo(((TEXT, text),)),
        deflate=_DEFAULT_OFFER,
    )
    msgs = [f"message {i}: {'abc' * i}".encode() for i in range(10)]
    r.add(
        "12.1.6",
        c,
        "10 compressed text messages in a row (context takeover)",
        [Message(TEXT, m, compress=True) for m in msgs],
        Echo(tuple((TEXT, m) for m in msgs)),
        deflate=_DEFAULT_OFFER,
    )
    r.add(
        "12.1.7",
        c,
        "Compressed and uncompressed messages alternating",
        [Message(TEXT, m, compress=i % 2 == 0) for i, m in enumerate(msgs[:6])],
        Echo(tuple((TEXT, m) for m in msgs[:6])),
        deflate=_DEFAULT_OFFER,
    )
    r.add(
        "12.2.1",
        c,
        "Compressed message split in 3 frames, RSV1 on the first only",
        [Deflated(TEXT, text, splits=(3, 10))],
        Echo(((TEXT, text),)),
        deflate=_DEFAULT_OFFER,
    )
    r.add(
        "12.2.2",
        c,
        "Compressed message whose continuation frame has RSV1 set",
        [Deflated(TEXT, text, splits=(5,), rsv1=(True, True))],
        Fail(),
        deflate=_DEFAULT_OFFER,
    )
    r.add(
        "12.2.3",
        c,
        "Compressed ping (RSV1 on a control frame)",
        [Deflated(PING, b"ping ping ping ping")],
        Fail(),
        deflate=_DEFAULT_OFFER,
    )
    r.add(
        "12.2.4",
        c,
        "Text frame with RSV1 whose payload is not DEFLATE data",
        [Frames((_f(TEXT, b"\xff\xff\xff\xff not deflate data", rsv=4),))],
        Fail((1007, 1002)),
        expected="Fail the connection (RFC 7692 §6.2): a close frame with 1007 or 1002; "
        "dropping TCP without a close frame is non-strict",
        deflate=_DEFAULT_OFFER,
    )
    r.add(
        "12.2.5",
        c,
        "Compressed text that inflates to invalid UTF-8",
        [Deflated(TEXT, b"not \xff UTF-8")],
        Fail((1007,)),
        deflate=_DEFAULT_OFFER,
    )
    offers = (
        ("client_no_context_takeover", "permessage-deflate; client_no_context_takeover"),
        ("server_no_context_takeover", "permessage-deflate; server_no_context_takeover"),
        (
            "both no_context_takeover",
            "permessage-deflate; client_no_context_takeover; server_no_context_takeover",
        ),
        ("server_max_window_bits=10", "permessage-deflate; server_max_window_bits=10"),
        ("client_max_window_bits=9", "permessage-deflate; client_max_window_bits=9"),
        (
            "server_max_window_bits=9 with no context takeover",
            "permessage-deflate; server_max_window_bits=9; server_no_context_takeover",
        ),
    )
    repeated = [("The same words again and again. " * 8).encode()] * 4
    for i, (name, offer) in enumerate(offers, 1):
        r.add(
            f"12.3.{i}",
            c,
            f"Offer {name}; 4 compressed text messages",
            [Message(TEXT, m, compress=True) for m in repeated],
            Echo(tuple((TEXT, m) for m in repeated)),
            expected=f"Accept the offer ({offer}) or decline it (info); if accepted, answer "
            "within RFC 7692 §7 and echo the 4 messages",
            deflate=offer,
        )


def _build() -> tuple[Case, ...]:
    r = _Registry()
    for make in (
        _framing,
        _pings,
        _reserved_bits,
        _opcodes,
        _fragmentation,
        _utf8,
        _close_cases,
        _limits,
        _deflate,
    ):
        make(r)
    return tuple(r.cases)


#: Every case, in battery order.
CASES: tuple[Case, ...] = _build()


def select_cases(
    categories: Iterable[str] | None = None, ids: Iterable[str] | None = None
) -> tuple[Case, ...]:
    """The cases of these categories (all if ``None``), narrowed to ids equal to or
    starting with one of ``ids`` ("6.4" selects 6.4.1 ... but not 6.40). Raises
    ``ValueError`` for an unknown category or an id that selects nothing."""
    chosen = CASES
    if categories is not None:
        wanted = list(dict.fromkeys(categories))
        unknown = [name for name in wanted if name not in CATEGORIES]
        if unknown:
            raise ValueError(
                f"unknown categor{'y' if len(unknown) == 1 else 'ies'} "
                f"{', '.join(map(repr, unknown))}; choose from {', '.join(CATEGORIES)}"
            )
        chosen = tuple(case for case in chosen if case.category in wanted)
    if ids is not None:
        prefixes = list(ids)
        for prefix in prefixes:
            if not any(_id_match(case.id, prefix) for case in CASES):
                raise ValueError(f"no case has the id {prefix!r}")
        chosen = tuple(c for c in chosen if any(_id_match(c.id, p) for p in prefixes))
    return chosen


def _id_match(case_id: str, prefix: str) -> bool:
    prefix = prefix.rstrip(".")
    return case_id == prefix or case_id.startswith(prefix + ".")
