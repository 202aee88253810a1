"""The sans-I/O WebSocket connection: one object owns the state machine.

Bytes go in through :meth:`Protocol.receive_data`; frames, messages and failures
come out of :meth:`Protocol.events_received`. What to send is queued by the
``send_*`` methods (and by automatic replies: pongs and the closing handshake) and
handed out by :meth:`Protocol.data_to_send`, with a record of each frame sent in
:meth:`Protocol.events_sent`. Nothing here does I/O or keeps time.

Observe mode (the default) records every violation of RFC 6455 on the frame that
carried it and carries on, the way an inspector must. Strict mode fails the
connection on the first violation with the close code section 7.4.1 prescribes.
"""

from __future__ import annotations

import codecs
import struct
from collections.abc import Callable
from itertools import compress
from typing import TYPE_CHECKING

from .constants import (
    DEFAULT_MAX_FRAME_SIZE,
    DEFAULT_MAX_MESSAGE_SIZE,
    ConnectionState,
    Opcode,
    Role,
    opcode_name,
)
from .events import Failure, Message
from .frames import Frame, FrameBatch, parse_close_payload
from .outgoing import OutgoingChecks
from .parser import FrameParser
from .sending import KEY_POOL, SendingSide
from .violations import Rule, Violation

if TYPE_CHECKING:
    from .deflate import PerMessageDeflate

__all__ = ["DEFAULT_MAX_MESSAGE_SIZE", "Event", "Protocol"]


Event = FrameBatch | Message | Failure

_tuple_new = tuple.__new__
_pack_BB = struct.Struct("!BB").pack
#: First bytes of a whole, uncompressed text or binary message that breaks no rule.
_PLAIN_B0 = frozenset({0x81, 0x82})
_IS_TEXT = bytes(1 if b == 0x81 else 0 for b in range(256))
_utf8_decoder: Callable[[], codecs.IncrementalDecoder] = codecs.getincrementaldecoder("utf-8")


class Protocol(SendingSide):
    """One WebSocket connection after the opening handshake, as ``role`` sees it.

    ``deflate`` is the negotiated permessage-deflate state (RFC 7692), if any.
    ``auto_pong`` answers each ping with a pong carrying the same payload (section
    5.5.2); switch it off to test a server's ping timeout. ``auto_close`` answers a
    close frame with one echoing its code (section 5.5.1).

    ``record_plain_messages`` (default True) makes a :class:`Message` for every data
    message received, ``record_plain_sent`` for every one sent. With one off, a
    message that is one plain frame (not fragmented, compressed or truncated) gets
    none in that direction: its frame says everything, and a connection nobody asks
    for messages saves the object (and the garbage collections it triggers) per
    message. Composite messages always get one.
    """

    def __init__(
        self,
        role: Role,
        *,
        strict: bool = False,
        max_frame_size: int | None = DEFAULT_MAX_FRAME_SIZE,
        max_message_size: int | None = DEFAULT_MAX_MESSAGE_SIZE,
        deflate: PerMessageDeflate | None = None,
        auto_pong: bool = True,
        auto_close: bool = True,
        mask_key_source: Callable[[], bytes] | None = None,
        defer_failure_close: bool = False,
    ) -> None:
        self.role = role
        self.strict = strict
        self.deflate = deflate
        self.auto_pong = auto_pong
        self.auto_close = auto_close
        self.max_message_size = max_message_size if max_message_size is not None else 2**64
        self._mask_key_source = mask_key_source
        self._keys = b""
        self._key_at = KEY_POOL
        self.record_plain_messages = True
        self._record_plain_sent = True
        #: When set, fail() leaves the close frame to send_failure_close(), so that a
        #: caller acting on the messages before the failure (an echo server) can answer
        #: them first, in stream order.
        self.defer_failure_close = defer_failure_close
        self._parser = FrameParser(
            role.peer, max_frame_size=max_frame_size, rsv_allowed=0x40 if deflate else 0
        )
        self._state = ConnectionState.OPEN
        self._events: list[Event] = []
        self._after: list[Event] = self._events  # where message/failure events go now
        self._out: list[bytes] = []
        self._sent: list[Frame | Message] = []
        self._out_seq = 0
        self.bytes_sent = 0
        #: Rules our crafted frames break, and the state those rules need.
        self._outgoing = OutgoingChecks(role, deflate=deflate is not None)
        # The data message being received, if it is fragmented.
        self._msg_opcode: int | None = None
        self._msg_parts: list[bytes] = []
        self._msg_text: list[str] = []
        self._msg_first = 0
        self._msg_count = 0
        self._msg_size = 0
        self._msg_wire = 0
        self._msg_compressed = False
        self._msg_truncated = False
        self._msg_decoder: codecs.IncrementalDecoder | None = None
        self._msg_utf8_ok = True
        #: The close frames of the closing handshake, once seen.
        self.close_received: Frame | None = None
        self.close_sent: Frame | None = None
        #: Which side's close frame came first: who started the closing handshake.
        self.closing_started_by: Role | None = None
        #: Set when the connection was failed (strict mode or a hard limit).
        self.failure: Failure | None = None
        self.eof_received = False
        #: Bytes of a frame that was still incomplete when the stream ended.
        self.incomplete_bytes = 0
        self.violation_count = 0
        self._refresh_plain()

    # ------------------------------------------------------------------ input
    def receive_data(self, data: bytes | bytearray | memoryview) -> None:
        """Feed bytes received from the peer; any chunking works."""
        self._receive_batch(self._parser.feed(data))

    def receive_buffer(self) -> memoryview | None:
        """Where the next bytes from the peer may be received in place, or None.

        While a large frame is coming in, this is the rest of the buffer that will
        hold it: a reader receives into it and calls :meth:`receive_into` instead of
        :meth:`receive_data`, and each byte of the frame is copied once less."""
        return self._parser.receive_buffer()

    def receive_into(self, nbytes: int) -> None:
        """``nbytes`` were received at the start of :meth:`receive_buffer`."""
        self._receive_batch(self._parser.received(nbytes))

    def _receive_batch(self, batch: FrameBatch) -> None:
        payloads = batch.payloads
        if len(payloads) == 1:
            if self._receive_one(batch):
                return
        elif not payloads:
            return
        if not self.record_plain_messages and self._all_plain(batch):
            # A flood of plain messages nobody wants as objects: the batch is all.
            self._events.append(batch)
            return
        after: list[Event] = []
        self._after = after
        src = batch.src
        offsets = batch.offsets
        payloads = batch.payloads
        irregular = batch.violations
        max_msg = self.max_message_size
        add = after.append
        seq0 = batch.seq0
        record = self.record_plain_messages
        for i in range(len(payloads)):
            # Fast path: an unfragmented, uncompressed data frame that broke no rule,
            # while no fragmented message is open. Everything else: _receive_frame.
            b0 = src[offsets[i]]
            if (
                (b0 == 0x81 or b0 == 0x82)
                and self._msg_opcode is None
                and self.close_received is None
                and not (irregular and i in irregular)
                and len(payloads[i]) <= max_msg
            ):
                payload = payloads[i]
                text: str | None = None
                if b0 == 0x81 and (record or not payload.isascii()):
                    try:
                        text = str(payload, "utf-8")
                    except UnicodeDecodeError:
                        self._receive_frame(batch, i)
                        continue
                if record:
                    seq = seq0 + i
                    add(
                        _tuple_new(
                            Message,
                            (b0 & 0x0F, payload, text, seq, seq, len(payload), False, False, 1),
                        )
                    )
            else:
                self._receive_frame(batch, i)
        self._events.append(batch)
        self._events.extend(after)
        # Outside receive_data (e.g. fail() called by the engine) events go straight out.
        self._after = self._events

    def _receive_one(self, batch: FrameBatch) -> bool:
        """:meth:`_receive_batch` of a batch of one plain data frame (a round trip's
        read), without the loop's set-up; False, with nothing done, for any other."""
        payload = batch.payloads[0]
        b0 = batch.src[batch.offsets[0]]
        if (
            (b0 != 0x81 and b0 != 0x82)
            or batch.violations
            or self._msg_opcode is not None
            or self.close_received is not None
            or len(payload) > self.max_message_size
        ):
            return False
        record = self.record_plain_messages
        text: str | None = None
        if b0 == 0x81 and (record or not payload.isascii()):
            try:
                text = str(payload, "utf-8")
            except UnicodeDecodeError:
                return False
        events = self._events
        events.append(batch)
        if record:
            seq = batch.seq0
            n = len(payload)
            events.append(
                _tuple_new(Message, (b0 & 0x0F, payload, text, seq, seq, n, False, False, 1))
            )
        return True

    def _all_plain(self, batch: FrameBatch) -> bool:
        """Every frame of ``batch`` is a whole, valid, uncompressed data message that
        fits the limit, with no fragmented message open and no close frame seen: then
        nothing needs doing frame by frame (checked in C: no Python step per frame)."""
        if batch.violations or self._msg_opcode is not None or self.close_received is not None:
            return False
        payloads = batch.payloads
        if max(map(len, payloads)) > self.max_message_size:
            return False
        b0s = bytes(map(batch.src.__getitem__, batch.offsets))
        if not _PLAIN_B0.issuperset(b0s):
            return False
        if 0x81 not in b0s:
            return True  # binary only: nothing to decode
        # ASCII is valid UTF-8: text payloads need no decoding. Otherwise the
        # frame-by-frame path decodes them.
        texts = payloads if 0x82 not in b0s else compress(payloads, b0s.translate(_IS_TEXT))
        return all(map(bytes.isascii, texts))

    def receive_eof(self) -> None:
        """The peer closed its side of the TCP connection."""
        self.eof_received = True
        self.incomplete_bytes = self._parser.incomplete
        self.state = ConnectionState.CLOSED

    def events_received(self) -> list[Event]:
        """What was received since the last call: each :class:`FrameBatch` of frames,
        followed by the messages that its frames completed and any failure."""
        events, self._events = self._events, []
        self._after = self._events
        return events

    @property
    def bytes_received(self) -> int:
        return self._parser.offset + self._parser.pending

    @property
    def frames_received(self) -> int:
        return self._parser.frames_parsed

    @property
    def close_code(self) -> int | None:
        """The code of the peer's close frame (None: no close frame, or one with no code)."""
        return self.close_received.close_code if self.close_received is not None else None

    @property
    def close_reason(self) -> str | None:
        return self.close_received.close_reason if self.close_received is not None else None

    @property
    def close_handshake_done(self) -> bool:
        return self.close_received is not None and self.close_sent is not None

    def _receive_frame(self, batch: FrameBatch, index: int) -> None:
        frame = batch[index]
        extra: list[Violation] = []
        b0 = frame.header[0]
        op = b0 & 0x0F
        offset = frame.offset
        message: Message | None = None
        if self.close_received is not None:
            extra.append(
                Violation(
                    Rule.FRAME_AFTER_CLOSE,
                    f"{opcode_name(op)} frame after the peer's close frame "
                    f"#{self.close_received.seq}",
                    offset,
                )
            )
        if op >= 8:
            if b0 & 0x40 and self.deflate is not None:
                extra.append(
                    Violation(Rule.COMPRESSED_CONTROL_FRAME, "control frame with RSV1 set", offset)
                )
            if op == Opcode.CLOSE:
                _, _, problems = parse_close_payload(frame.payload)
                extra.extend(Violation(rule, msg, offset) for rule, msg in problems)
        elif op == Opcode.TEXT or op == Opcode.BINARY:
            if self._msg_opcode is not None:
                extra.append(
                    Violation(
                        Rule.EXPECTED_CONTINUATION,
                        f"{opcode_name(op)} frame while the {opcode_name(self._msg_opcode)} "
                        f"message begun at frame #{self._msg_first} is unfinished; "
                        "that message is dropped",
                        offset,
                    )
                )
            self._start_message(op, frame)
            message = self._add_fragment(frame, extra)
        elif op == Opcode.CONT:
            if self._msg_opcode is None:
                extra.append(
                    Violation(
                        Rule.UNEXPECTED_CONTINUATION,
                        "continuation frame with no fragmented message to continue",
                        offset,
                    )
                )
            else:
                if b0 & 0x40 and self.deflate is not None:
                    extra.append(
                        Violation(
                            Rule.COMPRESSED_CONTINUATION,
                            "RSV1 set on a continuation frame",
                            offset,
                        )
                    )
                message = self._add_fragment(frame, extra)
        if extra:
            batch.add_violations(index, extra)
            frame = frame.with_violations(*extra)
        if frame.violations:
            self.violation_count += len(frame.violations)
            # Once the peer's close frame is in, the closing handshake decides the end:
            # what the peer sends after it is recorded and discarded (section 5.5.1),
            # not a reason to fail a connection that is already closing.
            if self.strict and self.failure is None and self.close_received is None:
                self.fail(frame.violations[0])
        if message is not None:
            # After the failure its own frame caused: a caller stops acting on messages
            # at the Failure event, and must not act on the offending one.
            self._after.append(message)
        if op == Opcode.CLOSE:
            self._on_close(frame)
        elif (
            op == Opcode.PING
            and self.auto_pong
            and self.close_sent is None
            and self.failure is None
            and self.close_received is None
        ):
            self.send_pong(frame.payload[:125])

    def _start_message(self, op: int, frame: Frame) -> None:
        self._msg_opcode = op
        self._msg_parts = []
        self._msg_text = []
        self._msg_first = frame.seq
        self._msg_count = 0
        self._msg_size = 0
        self._msg_wire = 0
        self._msg_compressed = bool(frame.header[0] & 0x40) and self.deflate is not None
        self._msg_truncated = False
        self._msg_decoder = _utf8_decoder() if op == Opcode.TEXT else None
        self._msg_utf8_ok = True

    def _add_fragment(self, frame: Frame, extra: list[Violation]) -> Message | None:
        payload = frame.payload
        fin = bool(frame.header[0] & 0x80)
        before = self._msg_size
        self._msg_count += 1
        self._msg_size = before + len(payload)
        self._msg_wire += frame.length
        if not self._msg_truncated:
            limit = self.max_message_size
            if self._msg_compressed:
                # Kept compressed until its last frame, then inflated (and checked
                # against the limit). Past the most that ``limit`` bytes deflate to
                # (zlib's bound is ~0.03% more), it cannot fit the limit: stop keeping
                # it, or a peer that never ends a message could fill our memory.
                limit += (limit >> 10) + 1024
            if self._msg_size > limit:
                self._msg_truncated = True
                # Its data is kept up to the limit, but it gets no text: let go of the
                # text so far (the UTF-8 check goes on below, keeping none), or a
                # message that never ends fills memory with its text.
                self._msg_text = []
                what = "compressed message" if self._msg_compressed else "message"
                extra.append(
                    Violation(
                        Rule.MESSAGE_TOO_LARGE,
                        f"{what} reaches {self._msg_size} bytes; the limit is "
                        f"{limit}; the rest is not kept",
                        frame.offset,
                    )
                )
            elif frame.truncated:
                self._msg_truncated = True
            else:
                self._msg_parts.append(payload)
        if frame.truncated:
            # The skipped bytes cannot be checked, so neither can any that follow them.
            self._msg_decoder = None
        decoder = self._msg_decoder
        if decoder is not None and self._msg_utf8_ok and not self._msg_compressed:
            pending = len(decoder.getstate()[0])
            try:
                text = decoder.decode(payload, fin)
                if not self._msg_truncated:
                    self._msg_text.append(text)
            except UnicodeDecodeError as exc:
                self._msg_utf8_ok = False
                at = before - pending + exc.start
                inside = at - before
                where = (
                    f"byte {inside} of this frame"
                    if inside >= 0
                    else f"a code point begun {-inside} byte(s) before this frame"
                )
                reason = (
                    "truncated code point"
                    if exc.reason.startswith("unexpected end")
                    else (exc.reason)
                )
                extra.append(
                    Violation(
                        Rule.INVALID_UTF8,
                        f"invalid UTF-8 at byte {at} of the message ({where}): {reason}",
                        frame.offset + len(frame.header) + max(inside, 0),
                    )
                )
        if not fin:
            return None
        return self._finish_message(frame, extra)

    def _finish_message(self, frame: Frame, extra: list[Violation]) -> Message:
        op = self._msg_opcode
        assert op is not None
        data = b"".join(self._msg_parts)
        text: str | None = None
        if self._msg_compressed and self.deflate is not None and not self._msg_truncated:
            from .deflate import DeflateError, InflateTooLarge

            try:
                data = self.deflate.decompress(data)
            except InflateTooLarge as exc:
                extra.append(Violation(Rule.INFLATE_TOO_LARGE, str(exc), frame.offset))
                self._msg_truncated = True
                data = b""
                self.deflate.reset_inflater()
            except DeflateError as exc:
                extra.append(Violation(Rule.INFLATE_ERROR, str(exc), frame.offset))
                # Nothing of the message could be recovered: say so, don't pass it on
                # as an empty message.
                self._msg_truncated = True
                data = b""
                self.deflate.reset_inflater()
            else:
                if op == Opcode.TEXT:
                    try:
                        text = data.decode("utf-8")
                    except UnicodeDecodeError as exc:
                        extra.append(
                            Violation(
                                Rule.INVALID_UTF8,
                                f"inflated message is not UTF-8 at byte {exc.start}: {exc.reason}",
                                frame.offset,
                            )
                        )
        elif self._msg_compressed and self.deflate is not None:
            # Not inflated (truncated): the peer's window now holds data ours never
            # saw. Start from an empty one, so that later messages referring to it
            # fail to inflate, and say so, instead of inflating to wrong bytes.
            self.deflate.reset_inflater()
        elif op == Opcode.TEXT and self._msg_utf8_ok and not self._msg_truncated:
            text = "".join(self._msg_text)
        message = Message(
            op,
            data,
            text,
            self._msg_first,
            frame.seq,
            self._msg_wire,
            self._msg_compressed,
            self._msg_truncated,
            self._msg_count,
        )
        self._msg_opcode = None
        self._msg_parts = []
        self._msg_text = []
        self._msg_decoder = None
        return message

    def _on_close(self, frame: Frame) -> None:
        if self.close_received is not None:
            return
        self.close_received = frame
        if self.close_sent is None:
            self.closing_started_by = self.role.peer
        if self.close_sent is None and self.auto_close and self.failure is None:
            code, _, problems = parse_close_payload(frame.payload)
            if problems:
                reply_code: int | None = problems[0][0].close_code
            else:
                reply_code = code
            self.send_close(reply_code, "")
        self.state = ConnectionState.CLOSING

    def fail(self, violation: Violation) -> Failure:
        """Fail the connection (section 7.1.7): queue a close frame with the code the
        violated rule prescribes. The caller then closes the TCP connection."""
        failure = Failure(violation, violation.rule.close_code)
        if self.failure is None:
            self.failure = failure
        self._after.append(failure)
        if not self.defer_failure_close:
            self.send_failure_close()
        return failure

    def send_failure_close(self) -> Frame | None:
        """Queue the close frame of the failure, unless a close frame went out already."""
        if self.failure is None or self.close_sent is not None:
            return None
        violation = self.failure.violation
        reason = violation.rule.summary.encode("utf-8")[:123].decode("utf-8", "ignore")
        return self.send_close(self.failure.close_code, reason)
