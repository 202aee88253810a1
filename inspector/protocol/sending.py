"""What a :class:`~inspector.protocol.connection.Protocol` sends: data and control
frames, crafted frames and raw bytes, queued for :meth:`SendingSide.data_to_send` with
a record of each frame in :meth:`SendingSide.events_sent`.

Everything we send on purpose against the rules (a crafted frame, raw bytes) is
checked against our role by :class:`~inspector.protocol.outgoing.OutgoingChecks` and
its violations are marked deliberate. Section 5.3: a client masks every frame with a
fresh key from a strong source (pooled, one getrandom call per 1,024 frames).
"""

from __future__ import annotations

import dataclasses
import os
import struct
from array import array
from typing import TYPE_CHECKING

from .constants import CloseCode, ConnectionState, Opcode, Role
from .crafting import split_payload
from .events import Message
from .frames import Frame, FrameSpec, apply_mask, encode_frame, encode_header
from .frames import _unmask as _mask
from .outgoing import OutgoingChecks
from .violations import LocalProtocolError, Violation

if TYPE_CHECKING:
    from collections.abc import Callable

    from .deflate import PerMessageDeflate

__all__ = ["SendingSide", "SentColumns"]

_tuple_new = tuple.__new__
_pack_BB = struct.Struct("!BB").pack
#: Random bytes fetched at once for mask keys: one getrandom call per 1,024 frames
#: instead of one per frame (section 5.3 asks for unpredictable keys, not a syscall).
KEY_POOL = 4096
# Enum members looked up once: ``Role.CLIENT`` costs ~60 ns on 3.11, a global ~10.
_CLIENT = Role.CLIENT
#: The first two header bytes of a masked frame with a 7-bit length, by FIN + opcode
#: (0x81 text, 0x82 binary) and length: a lookup, not a pack, on every small send.
_MASKED_HEAD = {b0: tuple(bytes((b0, 0x80 | n)) for n in range(126)) for b0 in (0x81, 0x82)}


class SentColumns:
    """Records of whole plain frames we sent, as columns, for a caller that stores
    them in bulk (the engine's sends of one event-loop turn): frame ``i`` is number
    ``seq0 + i`` in the stream, at ``offsets[i]``, with ``headers[i]``, the unmasked
    ``payloads[i]``, no violations, sent at the caller's time ``t[i]``. A frame's
    record without a :class:`Frame` tuple taken apart again."""

    __slots__ = ("headers", "offsets", "payloads", "seq0", "t")

    def __init__(self) -> None:
        self.t: array[float] = array("d")
        self.seq0 = 0
        self.offsets: array[int] = array("q")
        self.headers: list[bytes] = []
        self.payloads: list[bytes] = []

    def __len__(self) -> int:
        return len(self.headers)

    def append(self, frame: Frame, t: float) -> None:
        """Keep ``frame``, a whole plain message without violations numbered right
        after those kept."""
        if not self.headers:
            self.seq0 = frame.seq
        self.headers.append(frame.header)
        self.payloads.append(frame.payload)
        self.offsets.append(frame.offset)
        self.t.append(t)


class SendingSide:
    """The sending half of :class:`~inspector.protocol.connection.Protocol` (which
    owns these attributes and the state machine)."""

    role: Role
    _state: ConnectionState
    deflate: PerMessageDeflate | None
    _record_plain_sent: bool
    close_sent: Frame | None
    close_received: Frame | None
    closing_started_by: Role | None
    _mask_key_source: Callable[[], bytes] | None
    _keys: bytes
    _key_at: int
    _out: list[bytes]
    _sent: list[Frame | Message]
    _out_seq: int
    #: Bytes queued to send so far (read only): the offset of the next frame.
    bytes_sent: int
    _outgoing: OutgoingChecks
    #: :meth:`send_plain_into` may frame a message: what it needs, worked out by
    #: :meth:`_refresh_plain` when one of them may have changed instead of checked on
    #: every send (nine checks, a flood's largest cost after the framing itself).
    #: Only _refresh_plain sets it; whatever may make it false clears it.
    _plain_ready: bool

    @property
    def state(self) -> ConnectionState:
        return self._state

    @state.setter
    def state(self, state: ConnectionState) -> None:
        self._state = state
        self._refresh_plain()

    @property
    def record_plain_sent(self) -> bool:
        """Make a :class:`Message` record of every one-frame plain message sent too
        (see :class:`~inspector.protocol.connection.Protocol`)."""
        return self._record_plain_sent

    @record_plain_sent.setter
    def record_plain_sent(self, record: bool) -> None:
        self._record_plain_sent = record
        self._refresh_plain()

    def _refresh_plain(self) -> None:
        """Work out :attr:`_plain_ready`: nothing queued and not yet taken (it goes
        first), no messages recorded, no compression, no key source, no crafted
        message or raw frame of ours unfinished, no close frame sent, not closed."""
        self._plain_ready = (
            not (self._out or self._sent or self._record_plain_sent) and self._plain_send_ok()
        )

    def data_to_send(self) -> list[bytes]:
        """Bytes to write to the transport, in order, since the last call."""
        out, self._out = self._out, []
        if not self._plain_ready:
            self._refresh_plain()
        return out

    def events_sent(self) -> list[Frame | Message]:
        """Records of the frames queued since the last call (and of each whole message
        composed with :meth:`send_message`), in the order they went out."""
        sent, self._sent = self._sent, []
        if not self._plain_ready:
            self._refresh_plain()
        return sent

    def _key(self) -> bytes | None:
        if self.role is not Role.CLIENT:
            return None
        if self._mask_key_source is not None:
            return self._mask_key_source()
        at = self._key_at
        if at >= KEY_POOL:
            self._keys = os.urandom(KEY_POOL)
            at = 0
        self._key_at = at + 4
        return self._keys[at : at + 4]

    def _queue(
        self, header: bytes, wire: bytes, payload: bytes, violations: tuple[Violation, ...] = ()
    ) -> Frame:
        frame = _tuple_new(Frame, (self._out_seq, self.bytes_sent, header, payload, violations))
        if self._outgoing.raw_pending:
            self._outgoing.forget_raw()
        self._out_seq += 1
        self.bytes_sent += len(header) + len(wire)
        self._out.append(header)
        if wire:
            self._out.append(wire)
        self._sent.append(frame)
        self._plain_ready = False
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
        if self._state is ConnectionState.CLOSED:
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
            self._outgoing.interrupts(opcode, self.bytes_sent)
            if self._outgoing.open_message is not None
            else ()
        )
        first_seq = self._out_seq
        if fragments == 1:
            b0 = (0xC0 if do_compress else 0x80) | opcode
            frames = [self._send_plain(b0, wire_payload, broken)]
            if not do_compress and not self._record_plain_sent:
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
        self._plain_ready = False
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
            and self._state is not ConnectionState.CLOSED
            and self._outgoing.open_message is None
            and not self._outgoing.raw_pending
        )

    def send_plain_into(
        self, b0: int, payload: bytes, out: list[bytes], sent: SentColumns | None, t: float
    ) -> Frame | None:
        """Frame one whole plain message (``b0`` 0x81 text or 0x82 binary) with its
        bytes appended to ``out``, the caller's write buffer, instead of
        :meth:`data_to_send`, and its record to ``sent`` at time ``t`` (if given: the
        caller may record the frame returned itself), not to :meth:`events_sent`
        (``sent`` holds only frames sent this way, in order, and the caller takes
        them before what :meth:`events_sent` returns). For a caller
        that writes and records frames itself: the engine's send path, where a flood
        of small sends spends its time. Returns the frame, or None, and nothing done,
        when it cannot go this way (:attr:`_plain_ready` says why not); then
        :meth:`send_text` or :meth:`send_binary`."""
        if not self._plain_ready:
            return None
        n = len(payload)
        seq = self._out_seq
        offset = self.bytes_sent
        self._out_seq = seq + 1
        if self.role is _CLIENT:
            at = self._key_at
            if at >= KEY_POOL:
                self._keys = os.urandom(KEY_POOL)
                at = 0
            self._key_at = at + 4
            key = self._keys[at : at + 4]
            header = _MASKED_HEAD[b0][n] + key if n < 126 else encode_header(b0, n, key)
            out.append(header)
            if n:
                out.append(_mask(payload, key))
        else:
            header = _pack_BB(b0, n) if n < 126 else encode_header(b0, n, None)
            out.append(header)
            if n:
                out.append(payload)
        self.bytes_sent = offset + len(header) + n
        if sent is not None:  # SentColumns.append, inlined: one call less per send
            headers = sent.headers
            if not headers:
                sent.seq0 = seq
            headers.append(header)
            sent.payloads.append(payload)
            sent.offsets.append(offset)
            sent.t.append(t)
        frame: Frame = _tuple_new(Frame, (seq, offset, header, payload, ()))
        return frame

    def _send_fast(self, b0: int, payload: bytes, text: str | None) -> Frame:
        """One plain frame of a whole message: :meth:`_send_message`'s work for the
        common case, inlined (a flood of small sends spends its time here)."""
        n = len(payload)
        if self.role is Role.CLIENT:
            at = self._key_at
            if at >= KEY_POOL:
                self._keys = os.urandom(KEY_POOL)
                at = 0
            self._key_at = at + 4
            key = self._keys[at : at + 4]
            header = _pack_BB(b0, 0x80 | n) + key if n < 126 else encode_header(b0, n, key)
            wire = _mask(payload, key)
        else:
            header = _pack_BB(b0, n) if n < 126 else encode_header(b0, n, None)
            wire = payload
        seq = self._out_seq
        frame: Frame = _tuple_new(Frame, (seq, self.bytes_sent, header, payload, ()))
        self._out_seq = seq + 1
        self.bytes_sent += len(header) + n
        out = self._out
        out.append(header)
        if n:
            out.append(wire)
        self._sent.append(frame)
        self._plain_ready = False
        if self._record_plain_sent:
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
        broken = self._outgoing.close_payload(payload, self.bytes_sent)
        frame = self._send_plain(0x88, payload, broken)
        self._after_close_sent(frame)
        return frame

    def _after_close_sent(self, frame: Frame) -> None:
        self._plain_ready = False  # for good: close_sent is set
        if self.close_sent is None:
            self.close_sent = frame
            if self.close_received is None:
                self.closing_started_by = self.role
        if self._state is ConnectionState.OPEN:
            self._state = ConnectionState.CLOSING

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
        found = self._outgoing.check(header, spec.payload, declared, self.bytes_sent, close_seq)
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
        found = self._outgoing.raw(data, self.bytes_sent, self._out_seq, close_seq)
        self._out.append(data)
        self._plain_ready = False
        self.bytes_sent += len(data)
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
