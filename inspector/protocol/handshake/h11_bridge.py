"""Reading a handshake message with h11 while keeping every byte that came in.

HTTP/1.1 itself is parsed by ``h11``; this module keeps, next to what h11 parsed, the
exact bytes: the header block (``raw``) and whatever followed it in the same reads
(``trailing``), which is already WebSocket frame data when the handshake succeeded,
since servers often send the first frame in the same segment as the 101.

A peer's mistake never raises: bytes that are not HTTP at all, a header block over the
size limit, or a connection that closed (or a caller that gave up waiting) too early
give a :class:`ParseFailure` that keeps the bytes received and says why. Only the
caller's own misuse raises (``ValueError`` for bad arguments,
:class:`~inspector.protocol.violations.LocalProtocolError` for feeding a finished
parser).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Generic, TypeVar

import h11

from ..headers import TCHARS
from ..violations import LocalProtocolError, Rule, Violation
from .client import ClientRequest, HandshakeResponse, review_response
from .fields import HeaderList
from .server import HandshakeRequest, review_request

__all__ = [
    "DEFAULT_MAX_HEADER_SIZE",
    "FailureKind",
    "ParseFailure",
    "RequestParser",
    "RequestResult",
    "ResponseParser",
    "ResponseResult",
    "parse_request",
    "parse_response",
]

#: Largest header block a parser buffers before giving up (RFC 7230 section 3.2.5
#: lets a recipient refuse header sections larger than it wishes to process).
DEFAULT_MAX_HEADER_SIZE = 64 * 1024

_S41 = "RFC 6455 §4.1"
_S421 = "RFC 6455 §4.2.1"


class FailureKind(enum.Enum):
    """Why a handshake message could not be parsed at all."""

    NOT_HTTP = "not-http"
    MALFORMED = "malformed"
    TOO_LARGE = "too-large"
    EOF = "eof"
    TIMEOUT = "timeout"  # the caller stopped waiting for the end of the header block


@dataclass(frozen=True, slots=True)
class ParseFailure:
    """A request or response that could not be parsed: the bytes received and why.

    ``reason`` is the whole sentence with its references; ``violation`` the same as a
    record. It has ``problems`` and ``ok`` like the parsed results, so a caller can show
    any outcome the same way.
    """

    kind: FailureKind
    reason: str
    raw: bytes
    violation: Violation

    @property
    def problems(self) -> tuple[Violation, ...]:
        return (self.violation,)

    @property
    def ok(self) -> bool:
        return False


#: What :meth:`ResponseParser.feed` finally gives.
ResponseResult = HandshakeResponse | ParseFailure
#: What :meth:`RequestParser.feed` finally gives.
RequestResult = HandshakeRequest | ParseFailure

_Head = h11.Request | h11.Response | h11.InformationalResponse
_R = TypeVar("_R", HandshakeRequest, HandshakeResponse)


def _decode_headers(event: _Head) -> HeaderList:
    return tuple(
        (name.decode("latin-1"), value.decode("latin-1"))
        for name, value in event.headers.raw_items()
    )


def _preview(data: bytes) -> str:
    text = repr(bytes(data[:16]))
    return text if len(data) <= 16 else text + "..."


class _HeadParser(Generic[_R]):
    """Buffers bytes until h11 has a whole header block, keeping every byte."""

    _side = ""  # "request" or "response", for messages
    _section = ""  # where RFC 6455 says what this side must check

    def __init__(self, max_header_size: int) -> None:
        if max_header_size < 1:
            raise ValueError("max_header_size must be positive")
        self.max_header_size = max_header_size
        self._buffer = bytearray()
        self._sniffed = False
        self._conn = self._make_connection()
        self._result: _R | ParseFailure | None = None

    def _make_connection(self) -> h11.Connection:
        raise NotImplementedError

    def _sniff(self, head: bytes) -> tuple[str, str] | bool:
        """Why ``head`` cannot start this message (and the references), True once it is
        known to start right, False while too few bytes have come to tell."""
        raise NotImplementedError

    def _finish(self, event: _Head, raw: bytes, trailing: bytes) -> _R:
        raise NotImplementedError

    def _malformed(self, message: str) -> tuple[str, Rule]:
        """The references and the rule for an h11 complaint."""
        return f"RFC 7230 §3; {self._section}", Rule.HANDSHAKE_MALFORMED

    @property
    def buffered(self) -> int:
        """How many bytes have been fed so far."""
        return len(self._buffer)

    @property
    def result(self) -> _R | ParseFailure | None:
        """The outcome once there is one, else ``None``."""
        return self._result

    def feed(self, data: bytes | bytearray | memoryview) -> _R | ParseFailure | None:
        """Add received bytes. Returns ``None`` until the header block is complete,
        then the parsed message or a :class:`ParseFailure`.

        Raises :class:`LocalProtocolError` once there is a result: later bytes belong
        to the frame parser, like the result's ``trailing``.
        """
        if self._result is not None:
            raise LocalProtocolError(
                f"the {self._side} is already parsed; bytes after it belong to the frame parser"
            )
        # h11 takes b"" as end of file; here EOF is feed_eof(), so an empty read is
        # simply nothing new.
        if not data:
            return None
        chunk = bytes(data)
        self._buffer += chunk
        if not self._sniffed:
            verdict = self._sniff(bytes(self._buffer[:64]))
            if isinstance(verdict, tuple):
                message, refs = verdict
                return self._fail(FailureKind.NOT_HTTP, message, refs, Rule.HANDSHAKE_NOT_HTTP, 0)
            self._sniffed = verdict
        self._conn.receive_data(chunk)
        try:
            event = self._conn.next_event()
        except h11.ProtocolError as exc:
            if len(self._buffer) > self.max_header_size:
                return self._too_large()
            refs, rule = self._malformed(str(exc))
            return self._fail(
                FailureKind.MALFORMED, f"malformed HTTP {self._side}: {exc}", refs, rule
            )
        if event is h11.NEED_DATA:
            return self._too_large() if len(self._buffer) > self.max_header_size else None
        if not isinstance(event, h11.Request | h11.Response | h11.InformationalResponse):
            # Unreachable with the states set up here; kept so that no h11 surprise
            # can escape as an exception.
            return self._fail(
                FailureKind.MALFORMED,
                f"unexpected HTTP event {event!r}",
                self._section,
                Rule.HANDSHAKE_MALFORMED,
            )
        trailing = self._conn.trailing_data[0]
        head_size = len(self._buffer) - len(trailing)
        if head_size > self.max_header_size:
            # Checked on the complete block too, so that the outcome does not depend
            # on how the bytes were split into reads.
            return self._too_large()
        result = self._finish(event, bytes(self._buffer[:head_size]), trailing)
        self._result = result
        return result

    def feed_eof(self) -> _R | ParseFailure:
        """The connection closed: a :class:`ParseFailure` unless a result came already."""
        if self._result is not None:
            return self._result
        if not self._buffer:
            message = f"the connection closed before any {self._side} byte arrived"
        else:
            message = (
                f"the connection closed after {len(self._buffer)} bytes, before the end of "
                f"the {self._side} header block (the blank line)"
            )
        return self._fail(FailureKind.EOF, message, self._section, Rule.HANDSHAKE_INCOMPLETE)

    def feed_timeout(self, seconds: float) -> _R | ParseFailure:
        """The caller stopped waiting after ``seconds``: a :class:`ParseFailure` that
        keeps the partial header block, unless a result came already."""
        if self._result is not None:
            return self._result
        # Measured times (2.49407) are shown as a person reads them: 2.5 s.
        waited = f"{seconds:.2g}" if seconds < 10 else f"{seconds:.0f}"
        if not self._buffer:
            message = f"no {self._side} byte arrived within {waited} s"
        else:
            message = (
                f"{len(self._buffer)} bytes of the {self._side} arrived within {waited} s, "
                "but not the end of its header block (the blank line)"
            )
        return self._fail(FailureKind.TIMEOUT, message, self._section, Rule.HANDSHAKE_INCOMPLETE)

    def _fail(
        self, kind: FailureKind, message: str, refs: str, rule: Rule, offset: int | None = None
    ) -> ParseFailure:
        failure = ParseFailure(
            kind=kind,
            reason=f"{message} ({refs})",
            raw=bytes(self._buffer),
            violation=Violation(rule, message, offset),
        )
        self._result = failure
        return failure

    def _too_large(self) -> ParseFailure:
        return self._fail(
            FailureKind.TOO_LARGE,
            f"the {self._side} header block is over {self.max_header_size} bytes",
            "max_header_size; RFC 7230 §3.2.5",
            Rule.HEADERS_TOO_LARGE,
        )


class ResponseParser(_HeadParser[HandshakeResponse]):
    """Reads the server's answer to ``request``, a byte at a time or all at once.

    :meth:`feed` returns ``None`` until the header block is complete, then a
    :class:`HandshakeResponse` checked against ``request`` (see its ``problems``), or
    a :class:`ParseFailure`. ``request`` may be a :class:`HandshakeRequest` parsed
    from a capture. Feeding after the result raises :class:`LocalProtocolError`.
    https://www.rfc-editor.org/rfc/rfc6455#section-4.1
    """

    _side = "response"
    _section = _S41

    def __init__(
        self,
        request: ClientRequest | HandshakeRequest,
        *,
        max_header_size: int = DEFAULT_MAX_HEADER_SIZE,
    ) -> None:
        self.request = request
        super().__init__(max_header_size)

    def _make_connection(self) -> h11.Connection:
        conn = h11.Connection(h11.CLIENT, max_incomplete_event_size=self.max_header_size)
        # h11 accepts a 101 only after a request that asked for an upgrade. The real
        # request went out as our own bytes, so h11 is shown a stand-in, whose output
        # is discarded.
        conn.send(
            h11.Request(
                method="GET",
                target="/",
                headers=[("Host", "stand-in"), ("Upgrade", "websocket"), ("Connection", "Upgrade")],
            )
        )
        conn.send(h11.EndOfMessage())
        return conn

    def _sniff(self, head: bytes) -> tuple[str, str] | bool:
        expected = b"HTTP/"
        if head[: len(expected)] == expected[: len(head)]:
            return len(head) >= len(expected)
        reason = f"the server's reply is not HTTP: it starts with {_preview(head)}, not 'HTTP/'"
        if head[:2] in (b"\x15\x03", b"\x16\x03"):
            reason += "; it looks like TLS, so the server expects wss://"
        return reason, _S41

    def _finish(self, event: _Head, raw: bytes, trailing: bytes) -> HandshakeResponse:
        assert not isinstance(event, h11.Request)  # a client's h11 reads responses only
        headers = _decode_headers(event)
        http_version = event.http_version.decode("ascii")
        reason = event.reason.decode("latin-1")
        review = review_response(
            self.request, raw, event.status_code, reason, http_version, headers
        )
        return HandshakeResponse(
            raw=raw,
            http_version=http_version,
            status_code=event.status_code,
            reason=reason,
            headers=headers,
            trailing=trailing,
            accept_check=review.accept_check,
            subprotocol=review.subprotocol,
            extensions=review.extensions,
            problems=review.problems,
        )


class RequestParser(_HeadParser[HandshakeRequest]):
    """Reads a client's opening handshake, a byte at a time or all at once.

    :meth:`feed` returns ``None`` until the header block is complete, then a
    :class:`HandshakeRequest` (see its ``problems``) or a :class:`ParseFailure`.
    Feeding after the result raises :class:`LocalProtocolError`.
    https://www.rfc-editor.org/rfc/rfc6455#section-4.2.1
    """

    _side = "request"
    _section = _S421

    def __init__(self, *, max_header_size: int = DEFAULT_MAX_HEADER_SIZE) -> None:
        super().__init__(max_header_size)

    def _make_connection(self) -> h11.Connection:
        return h11.Connection(h11.SERVER, max_incomplete_event_size=self.max_header_size)

    def _sniff(self, head: bytes) -> tuple[str, str] | bool:
        # A request starts with a method token and a space (RFC 7230 section 3.1.1).
        for index, byte in enumerate(head):
            if byte == 0x20 and index > 0:
                return True
            if chr(byte) not in TCHARS:
                reason = (
                    f"the client's bytes are not an HTTP request: they start with "
                    f"{_preview(head)}, not a method such as 'GET '"
                )
                if head[:2] == b"\x16\x03":
                    reason += "; it looks like a TLS ClientHello, so the client expects wss://"
                return reason, f"RFC 7230 §3.1.1; {_S421}"
        return False

    def _malformed(self, message: str) -> tuple[str, Rule]:
        if "Host" in message:
            return f"RFC 7230 §5.4; {_S421}", Rule.REQUEST_NO_HOST
        return super()._malformed(message)

    def _finish(self, event: _Head, raw: bytes, trailing: bytes) -> HandshakeRequest:
        assert isinstance(event, h11.Request)  # a server's h11 reads requests only
        return review_request(
            raw,
            trailing,
            event.method.decode("latin-1"),
            event.target.decode("latin-1"),
            event.http_version.decode("ascii"),
            _decode_headers(event),
        )


def parse_response(
    request: ClientRequest | HandshakeRequest,
    data: bytes,
    *,
    max_header_size: int = DEFAULT_MAX_HEADER_SIZE,
) -> ResponseResult:
    """Parse a whole captured response at once; ``data`` ending early is an EOF failure."""
    parser = ResponseParser(request, max_header_size=max_header_size)
    return parser.feed(data) or parser.feed_eof()


def parse_request(data: bytes, *, max_header_size: int = DEFAULT_MAX_HEADER_SIZE) -> RequestResult:
    """Parse a whole captured request at once; ``data`` ending early is an EOF failure."""
    parser = RequestParser(max_header_size=max_header_size)
    return parser.feed(data) or parser.feed_eof()
