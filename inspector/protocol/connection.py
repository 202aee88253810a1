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
import dataclasses
import os
import struct
from collections.abc import Callable
from itertools import compress
from typing import TYPE_CHECKING

from .constants import (
    DEFAULT_MAX_FRAME_SIZE,
    DEFAULT_MAX_MESSAGE_SIZE,
    CloseCode,
    ConnectionState,
    Opcode,
    Role,
    opcode_name,
)
from .crafting import split_payload
from .events import Failure, Message
from .frames import (
    Frame,
    FrameBatch,
    FrameParser,
    FrameSpec,
    apply_mask,
    encode_frame,
    encode_header,
    parse_close_payload,
)
from .frames import _unmask as _mask
from .outgoing import OutgoingChecks
from .violations import LocalProtocolError, Rule, Violation

if TYPE_CHECKING:
    from .deflate import PerMessageDeflate

__all__ = ["DEFAULT_MAX_MESSAGE_SIZE", "Event", "Protocol"]


Event = FrameBatch | Message | Failure

_tuple_new = tuple.__new__
_pack_BB = struct.Struct("!BB").pack
#: Random bytes fetched at once for mask keys: one getrandom call per 1,024 frames
#: instead of one per frame (section 5.3 asks for unpredictable keys, not a syscall).
_KEY_POOL = 4096
#: First bytes of a whole, uncompressed text or binary message that breaks no rule.
_PLAIN_B0 = frozenset({0x81, 0x82})
_IS_TEXT = bytes(1 if b == 0x81 else 0 for b in range(256))
_utf8_decoder: Callable[[], codecs.IncrementalDecoder] = codecs.getincrementaldecoder("utf-8")


class Protocol:
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
        self._key_at = _KEY_POOL
        self.record_plain_messages = True
        self.record_plain_sent = True
        #: When set, fail() leaves the close frame to send_failure_close(), so that a
        #: caller acting on the messages before the failure (an echo server) can answer
        #: them first, in stream order.
        self.defer_failure_close = defer_failure_close
        self._parser = FrameParser(
            role.peer, max_frame_size=max_frame_size, rsv_allowed=0x40 if deflate else 0
        )
        self.state = ConnectionState.OPEN
        self._events: list[Event] = []
        self._after: list[Event] = self._events  # where message/failure events go now
        self._out: list[bytes] = []
        self._sent: list[Frame | Message] = []
        self._out_seq = 0
        self._out_offset = 0
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
        if not batch:
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

    # ----------------------------------------------------------------- output
    def data_to_send(self) -> list[bytes]:
        """Bytes to write to the transport, in order, since the last call."""
        out, self._out = self._out, []
        return out

    def events_sent(self) -> list[Frame | Message]:
        """Records of the frames queued since the last call (and of each whole message
        composed with :meth:`send_message`), in the order they went out."""
        sent, self._sent = self._sent, []
        return sent

    @property
    def bytes_sent(self) -> int:
        return self._out_offset

    def _key(self) -> bytes | None:
        if self.role is not Role.CLIENT:
            return None
        if self._mask_key_source is not None:
            return self._mask_key_source()
        at = self._key_at
        if at >= _KEY_POOL:
            self._keys = os.urandom(_KEY_POOL)
            at = 0
        self._key_at = at + 4
        return self._keys[at : at + 4]

    def _queue(
        self, header: bytes, wire: bytes, payload: bytes, violations: tuple[Violation, ...] = ()
    ) -> Frame:
        frame = _tuple_new(Frame, (self._out_seq, self._out_offset, header, payload, violations))
        if self._outgoing.raw_pending:
            self._outgoing.forget_raw()
        self._out_seq += 1
        self._out_offset += len(header) + len(wire)
        self._out.append(header)
        if wire:
            self._out.append(wire)
        self._sent.append(frame)
        return frame

    def _send_plain(self, b0: int, payload: bytes, violations: tuple[Violation, ...] = ()) -> Frame:
        key = self._key()
        header = encode_header(b0, len(payload), key)
        wire = apply_mask(payload, key) if key is not None else payload
        return self._queue(header, wire, payload, violations)

    def _check_can_send(self) -> None:
        if self.close_sent is not None:
            raise LocalProtocolError(
                "a close frame was already sent; use send_frame() to send past it on purpose"
            )
        if self.state is ConnectionState.CLOSED:
            raise LocalProtocolError("the connection is closed")

    def send_message(
        self,
        opcode: int,
        payload: bytes,
        *,
        fragments: int = 1,
        compress: bool | None = None,
    ) -> list[Frame]:
        """Send a text or binary message, split into ``fragments`` frames (section
        5.4), compressed when permessage-deflate is on unless ``compress`` is False."""
        return self._send_message(opcode, payload, None, fragments, compress)

    def _send_message(
        self,
        opcode: int,
        payload: bytes,
        text: str | None,
        fragments: int,
        compress: bool | None,
    ) -> list[Frame]:
        self._check_can_send()
        if opcode != Opcode.TEXT and opcode != Opcode.BINARY:
            raise LocalProtocolError("messages are TEXT or BINARY; use send_frame() otherwise")
        if fragments < 1:
            raise LocalProtocolError("a message has at least one fragment")
        do_compress = self.deflate is not None and compress is not False
        wire_payload = self.deflate.compress(payload) if do_compress and self.deflate else payload
        n = len(wire_payload)
        # A crafted fragmented message of ours still open: this one breaks it off.
        broken = (
            self._outgoing.interrupts(opcode, self._out_offset)
            if self._outgoing.open_message is not None
            else ()
        )
        first_seq = self._out_seq
        if fragments == 1:
            b0 = (0xC0 if do_compress else 0x80) | opcode
            frames = [self._send_plain(b0, wire_payload, broken)]
            if not do_compress and not self.record_plain_sent:
                return frames  # one plain frame: its record says everything
        else:
            chunks = split_payload(wire_payload, fragments)
            fragments = len(chunks)
            last = fragments - 1
            frames = []
            for i, chunk in enumerate(chunks):
                b0 = (0x80 if i == last else 0) | (opcode if i == 0 else 0)
                if i == 0 and do_compress:
                    b0 |= 0x40
                frames.append(self._send_plain(b0, chunk, broken if i == 0 else ()))
        if opcode == Opcode.TEXT and text is None:
            text = payload.decode("utf-8", "replace")
        self._sent.append(
            _tuple_new(
                Message,
                (
                    opcode,
                    payload,
                    text,
                    first_seq,
                    self._out_seq - 1,
                    n,
                    do_compress,
                    False,
                    fragments,
                ),
            )
        )
        return frames

    def send_text(
        self, text: str, *, fragments: int = 1, compress: bool | None = None
    ) -> list[Frame]:
        if fragments == 1 and self._plain_send_ok():
            return [self._send_fast(0x81, text.encode("utf-8"), text)]
        return self._send_message(Opcode.TEXT, text.encode("utf-8"), text, fragments, compress)

    def send_binary(
        self, data: bytes, *, fragments: int = 1, compress: bool | None = None
    ) -> list[Frame]:
        if fragments == 1 and self._plain_send_ok():
            return [self._send_fast(0x82, bytes(data), None)]
        return self._send_message(Opcode.BINARY, bytes(data), None, fragments, compress)

    def _plain_send_ok(self) -> bool:
        """A message can go by :meth:`_send_fast`: no compression, no crafted message
        of ours open, no raw frame unfinished, no key source, the state allows it."""
        return (
            self.deflate is None
            and self._mask_key_source is None
            and self.close_sent is None
            and self.state is not ConnectionState.CLOSED
            and self._outgoing.open_message is None
            and not self._outgoing.raw_pending
        )

    def _send_fast(self, b0: int, payload: bytes, text: str | None) -> Frame:
        """One plain frame of a whole message: :meth:`_send_message`'s work for the
        common case, inlined (a flood of small sends spends its time here)."""
        n = len(payload)
        if self.role is Role.CLIENT:
            at = self._key_at
            if at >= _KEY_POOL:
                self._keys = os.urandom(_KEY_POOL)
                at = 0
            self._key_at = at + 4
            key = self._keys[at : at + 4]
            header = _pack_BB(b0, 0x80 | n) + key if n < 126 else encode_header(b0, n, key)
            wire = _mask(payload, key)
        else:
            header = _pack_BB(b0, n) if n < 126 else encode_header(b0, n, None)
            wire = payload
        seq = self._out_seq
        frame: Frame = _tuple_new(Frame, (seq, self._out_offset, header, payload, ()))
        self._out_seq = seq + 1
        self._out_offset += len(header) + n
        out = self._out
        out.append(header)
        if n:
            out.append(wire)
        self._sent.append(frame)
        if self.record_plain_sent:
            if b0 == 0x81 and text is None:
                text = payload.decode("utf-8", "replace")
            self._sent.append(
                _tuple_new(Message, (b0 & 0x0F, payload, text, seq, seq, n, False, False, 1))
            )
        return frame

    def send_ping(self, payload: bytes = b"") -> Frame:
        self._check_can_send()
        if len(payload) > 125:
            raise LocalProtocolError("a ping payload is at most 125 bytes; use send_frame()")
        return self._send_plain(0x89, bytes(payload))

    def send_pong(self, payload: bytes = b"") -> Frame:
        self._check_can_send()
        if len(payload) > 125:
            raise LocalProtocolError("a pong payload is at most 125 bytes; use send_frame()")
        return self._send_plain(0x8A, bytes(payload))

    def send_close(self, code: int | None = CloseCode.NORMAL_CLOSURE, reason: str = "") -> Frame:
        """Start (or answer) the closing handshake (section 7.1.2). ``code=None`` sends a
        close frame with no payload."""
        self._check_can_send()
        if code is None:
            if reason:
                raise LocalProtocolError("a close reason needs a close code")
            payload = b""
        else:
            payload = code.to_bytes(2, "big") + reason.encode("utf-8")
        if len(payload) > 125:
            raise LocalProtocolError("close code and reason exceed 125 bytes; use send_frame()")
        # A code that may not be sent (999, 1005...) is the caller's choice: recorded.
        broken = self._outgoing.close_payload(payload, self._out_offset)
        frame = self._send_plain(0x88, payload, broken)
        self._after_close_sent(frame)
        return frame

    def _after_close_sent(self, frame: Frame) -> None:
        if self.close_sent is None:
            self.close_sent = frame
            if self.close_received is None:
                self.closing_started_by = self.role
        if self.state is ConnectionState.OPEN:
            self.state = ConnectionState.CLOSING

    def send_frame(self, spec: FrameSpec) -> Frame:
        """Send one hand-crafted frame exactly as described, valid or not, regardless of
        the connection's state (an inspector must be able to break the rules). The
        rules it breaks for our role are on its record, marked deliberate."""
        if spec.mask is None and spec.mask_key is None and self._mask_key_source is not None:
            key = self._key()
            spec = dataclasses.replace(spec, mask_key=key)
        header, wire = encode_frame(spec, self.role)
        declared = len(spec.payload) if spec.declared_length is None else spec.declared_length
        close_seq = self.close_sent.seq if self.close_sent is not None else None
        found = self._outgoing.check(header, spec.payload, declared, self._out_offset, close_seq)
        frame = self._queue(header, wire, spec.payload, found)
        if spec.opcode == Opcode.CLOSE:
            self._after_close_sent(frame)
        return frame

    def send_raw(self, data: bytes) -> list[Frame]:
        """Queue bytes verbatim (no framing at all). The frames they complete, as the
        peer will read them, are recorded like sent frames, with the rules they break
        marked deliberate; a frame may span several raw sends."""
        data = bytes(data)
        close_seq = self.close_sent.seq if self.close_sent is not None else None
        found = self._outgoing.raw(data, self._out_offset, self._out_seq, close_seq)
        self._out.append(data)
        self._out_offset += len(data)
        frames: list[Frame] = []
        for raw in found:
            frame = _tuple_new(
                Frame, (self._out_seq, raw.offset, raw.header, raw.payload, raw.violations)
            )
            self._out_seq += 1
            self._sent.append(frame)
            frames.append(frame)
            if raw.header[0] & 0x0F == Opcode.CLOSE:
                self._after_close_sent(frame)
        return frames
