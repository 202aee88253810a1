"""The interception pipeline: breakpoints, rules and hooks on a proxied connection.

With nothing on, the relay forwards bytes as they arrive (:mod:`.relay`). Once a
control is on (:attr:`Controls.active`), each direction of a connection goes through
a :class:`Pipe`: bytes are cut into whole frames (never a frame cut in two), data
frames are gathered into messages, and each *unit* (a data message, a control
frame, or frames that cannot be gathered) goes, in arrival order, through the rules,
the hook, then the breakpoints, and on to the other side (after the rule's delay).
A unit that arrives unchanged leaves as the very bytes that came; a changed one is
encoded again as its sender would (masked from a client, with a fresh key).

A unit that matches a breakpoint is *held* (:class:`HeldItem`): later units of that
direction queue behind it, in order, until the user forwards, edits, drops or
answers it. The queue is bounded (:attr:`Controls.limit_bytes`,
:attr:`Controls.limit_count`); when it is full the proxy says so (a note in the
capture, :attr:`Pipe.full`) and, by default (:attr:`QueueFull.PAUSE`), stops reading
from that sender: TCP pushes back, nothing is lost, nothing grows. With
:attr:`QueueFull.FORWARD` it forwards the oldest held unit unchanged instead.

Control frames are units of their own: a ping sent between two fragments of a
message overtakes that message (allowed by RFC 6455 section 5.4), nothing else is
ever reordered. Compressed messages (a connection that negotiated permessage-deflate
before the controls were on) pass rules and hooks unchanged and can only be
forwarded when held: any other change would break the receiver's inflate context.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Iterable
from typing import TYPE_CHECKING

from ...capture.events import Direction, Intervention, InterventionCaptured
from ...protocol.constants import CloseCode, Opcode, Role
from ...protocol.frames import Frame, FrameSpec, apply_mask, encode_frame, header_length
from .controls import Controls, HeldItem, QueueFull, Unit, UnitKind, sender_role
from .rules import side_name

if TYPE_CHECKING:
    from .legs import Leg
    from .session import ProxiedConnection

__all__ = ["Interceptor", "Pipe"]


class Pipe:
    """One direction of one connection in the pipeline (see the module's text)."""

    def __init__(self, icpt: Interceptor, side: Direction, source: Leg, dest: Leg) -> None:
        self.icpt = icpt
        self.conn = icpt.conn
        self.controls = icpt.controls
        self.side = side
        self.role = sender_role(side)
        self.source = source
        self.dest = dest
        #: False: the relay's fast path (bytes as they come); True: this pipeline.
        self.engaged = False
        #: Engaged in the middle of a frame: bytes pass raw until a frame boundary.
        self.syncing = False
        self._buf = bytearray()
        self._raw_left = 0  # bytes of a frame too large to gather, still to pass raw
        self._raw_message = False  # the message in progress passes frame by frame
        self._partial: list[tuple[bytes, Frame]] = []
        self._partial_bytes = 0
        self._seq = 0
        self.held: HeldItem | None = None
        self.queue: deque[Unit] = deque()
        self.queued_bytes = 0
        #: The queue reached its limit (and reading from the sender is paused).
        self.full = False
        self._delayed: deque[tuple[float, bytes]] = deque()
        self._timer: asyncio.TimerHandle | None = None
        self._injects: list[bytes] = []
        #: While a read (or a release) is being worked through, what goes out.
        self._batch: list[bytes] | None = None

    # --------------------------------------------------------------- state
    @property
    def idle(self) -> bool:
        return not (
            self._buf
            or self._raw_left
            or self._raw_message
            or self._partial
            or self.held
            or self.queue
            or self._delayed
            or self._injects
        )

    def engage(self) -> None:
        if self.engaged:
            return
        self.engaged = True
        parser = self.conn.parser(self.side)
        self.syncing = parser is not None and parser.incomplete_bytes > 0

    # --------------------------------------------------------------- input
    def feed(self, data: bytes) -> None:
        """Bytes from the sender (the relay calls this while :attr:`engaged`)."""
        if self.syncing:
            self._emit(data)
            parser = self.conn.parser(self.side)
            if parser is None or parser.incomplete_bytes == 0:
                self.syncing = False
                self._flush_injects()
            return
        self._buf += data
        self._batch = []
        try:
            self._split()
            self._check_full()
        finally:
            self._flush_batch()
        self.icpt.settle()

    def _split(self) -> None:
        buf = self._buf
        pos = 0
        n = len(buf)
        limit = self.controls.limit_bytes
        while pos < n:
            if self._raw_left:
                take = min(self._raw_left, n - pos)
                if self.held is not None:
                    break  # the frame's start is queued: the rest waits behind it
                self._emit(bytes(buf[pos : pos + take]))
                self._raw_left -= take
                pos += take
                continue
            if n - pos < 2:
                break
            b1 = buf[pos + 1]
            hlen = header_length(b1)
            if n - pos < hlen:
                break
            length = b1 & 0x7F
            if length == 126:
                length = int.from_bytes(buf[pos + 2 : pos + 4], "big")
            elif length == 127:
                length = int.from_bytes(buf[pos + 2 : pos + 10], "big")
            total = hlen + length
            if total > limit:
                if self.held is not None or self.queue:
                    break  # it cannot be queued whole: it waits in the buffer (full)
                # Too large to gather: it passes raw, as does the rest of its message.
                self._flush_partial()
                self._note_once(
                    "large",
                    f"a {length}-byte frame from the {side_name(self.side)} is larger than "
                    f"the queue limit ({limit} bytes): relayed as it came, not examined",
                )
                header = bytes(buf[pos : pos + hlen])
                if not header[0] & 0x80 or (header[0] & 0x0F) == Opcode.CONT:
                    self._raw_message = not header[0] & 0x80
                self._raw_left = total
                continue
            if n - pos < total:
                break
            raw = bytes(buf[pos : pos + total])
            pos += total
            self._frame(raw, hlen)
        if pos:
            del buf[:pos]

    def _frame(self, raw: bytes, hlen: int) -> None:
        header = raw[:hlen]
        b0 = header[0]
        payload = raw[hlen:]
        if header[1] & 0x80:
            payload = apply_mask(payload, header[hlen - 4 : hlen])
        frame = Frame(self._seq, 0, header, payload)
        self._seq += 1
        opcode = b0 & 0x0F
        fin = bool(b0 & 0x80)
        if opcode >= 8:
            self._unit(Unit(self.side, UnitKind.CONTROL, [frame], raw, raw, opcode, payload))
            return
        if self._raw_message:
            self._unit(Unit(self.side, UnitKind.FRAMES, [frame], raw, raw, opcode, payload))
            if fin:
                self._raw_message = False
            return
        if opcode in (Opcode.TEXT, Opcode.BINARY):
            self._flush_partial()  # a new message while one was open: the sender's fault
            self._partial.append((raw, frame))
            self._partial_bytes = len(raw)
        elif opcode == Opcode.CONT and self._partial:
            self._partial.append((raw, frame))
            self._partial_bytes += len(raw)
        else:  # a continuation out of place, or a reserved opcode
            self._unit(Unit(self.side, UnitKind.FRAMES, [frame], raw, raw, opcode, payload))
            return
        if fin:
            parts, self._partial, self._partial_bytes = self._partial, [], 0
            frames = [f for _, f in parts]
            arrived = raw if len(parts) == 1 else b"".join(r for r, _ in parts)
            first = frames[0]
            compressed = bool(first.header[0] & 0x40) and self.conn.deflated
            data = payload if len(frames) == 1 else b"".join(f.payload for f in frames)
            self._unit(
                Unit(
                    self.side,
                    UnitKind.MESSAGE,
                    frames,
                    arrived,
                    arrived,
                    first.opcode,
                    data,
                    compressed,
                )
            )
        elif self._partial_bytes > self.controls.limit_bytes:
            self._flush_partial()
            self._raw_message = True

    def _flush_partial(self) -> None:
        """The frames of an unfinished message go on as frames, unexamined."""
        if not self._partial:
            return
        parts, self._partial, self._partial_bytes = self._partial, [], 0
        raw = b"".join(r for r, _ in parts)
        frames = [f for _, f in parts]
        self._unit(
            Unit(self.side, UnitKind.FRAMES, frames, raw, raw, frames[0].opcode, frames[0].payload)
        )

    # ---------------------------------------------------------- processing
    def _unit(self, unit: Unit) -> None:
        if self.held is not None or self.queue:
            self.queue.append(unit)
            self.queued_bytes += len(unit.arrived)
            return
        self._process(unit)

    def _process(self, unit: Unit) -> None:
        controls = self.controls
        if unit.kind is UnitKind.MESSAGE and not unit.compressed:
            rules = controls.rules
            text = unit.text
            if text is not None and rules.touches(self.side):
                new, used = rules.apply(self.side, text)
                if new is None:
                    self._dropped(unit, used[0])
                    return
                if used:
                    unit.replace([FrameSpec(Opcode.TEXT, new.encode("utf-8"))], ", ".join(used))
            hook = controls.hook
            if hook is not None:
                before = unit.message()
                result = hook(self.conn, self.side, before)
                if result is None:
                    self._dropped(unit, "script")
                    return
                if result is not before and (
                    result.opcode != before.opcode or result.data != before.data
                ):
                    unit.replace([FrameSpec(result.opcode, result.data)], "script")
        if unit.kind is UnitKind.CONTROL and self.icpt.swallow_close(unit):
            self._dropped(unit, f"rule close after {controls.rules.close_after}")
            return
        reason = controls.break_reason(unit)
        if reason:
            self.held = HeldItem(
                self.controls.next_id(), self.conn.conn_id, unit, time.monotonic(), reason, self
            )
            controls._held_now(self.held)
            return
        self._send(unit)

    def _dropped(self, unit: Unit, by: str) -> None:
        self.conn.publish(
            InterventionCaptured(
                self.conn.now(), self.side, Intervention.DROPPED, unit.arrived, b"", by
            )
        )

    def _send(self, unit: Unit) -> None:
        if unit.changed:
            self.conn.publish(
                InterventionCaptured(
                    self.conn.now(),
                    self.side,
                    Intervention.EDITED,
                    unit.arrived,
                    unit.wire,
                    ", ".join(unit.by),
                )
            )
        if unit.wire:
            self._out(unit.wire)
        if unit.kind is UnitKind.MESSAGE:
            self.icpt.counted()

    def _out(self, wire: bytes) -> None:
        delay = self.controls.rules.delay(self.side)
        if delay <= 0 and not self._delayed:
            self._emit(wire)
            return
        loop = asyncio.get_running_loop()
        self._delayed.append((loop.time() + delay, wire))
        if self._timer is None:
            self._timer = loop.call_at(self._delayed[0][0], self._due)

    def _due(self) -> None:
        self._timer = None
        loop = asyncio.get_running_loop()
        now = loop.time()
        while self._delayed and self._delayed[0][0] <= now:
            self._emit(self._delayed.popleft()[1])
        if self._delayed:
            self._timer = loop.call_at(self._delayed[0][0], self._due)
        self.icpt.settle()

    def _emit(self, wire: bytes) -> None:
        batch = self._batch
        if batch is not None:
            batch.append(wire)
            return
        self._write(wire)

    def _write(self, wire: bytes) -> None:
        if not self.dest.gone:
            self.dest.write(wire)
        self.conn.observe(self.side, wire)

    def _flush_batch(self) -> None:
        # One write (and one parse) per socket read, not one per frame: per-frame
        # writes cost a system call each and made the pipeline 4x slower.
        batch, self._batch = self._batch, None
        if batch:
            self._write(batch[0] if len(batch) == 1 else b"".join(batch))

    # ----------------------------------------------------------- the user
    def release(
        self, item: HeldItem, *, drop: str = "", answer: list[FrameSpec] | None = None
    ) -> None:
        """The held ``item`` is dealt with: sent (as it now is), dropped or answered;
        then what queued behind it goes on, until the next breakpoint."""
        if self.held is not item:
            raise KeyError(f"item {item.item_id} is not held any more")
        if self._batch is None:
            self._batch = []
            try:
                self._release(item, drop, answer)
            finally:
                self._flush_batch()
        else:
            self._release(item, drop, answer)
        self.icpt.settle()

    def _release(self, item: HeldItem, drop: str, answer: list[FrameSpec] | None) -> None:
        self.held = None
        self.controls._released(item)
        unit = item.unit
        if answer is not None:
            back = self.icpt.pipe(_other(self.side))
            wire = back.inject(answer)
            self.conn.publish(
                InterventionCaptured(
                    self.conn.now(), self.side, Intervention.ANSWERED, unit.arrived, wire, "user"
                )
            )
        elif drop:
            self._dropped(unit, drop)
        else:
            self._send(unit)
        self._drain()

    def _drain(self) -> None:
        while self.queue and self.held is None:
            unit = self.queue.popleft()
            self.queued_bytes -= len(unit.arrived)
            self._process(unit)
        if self.held is None:
            self._split()  # what waited in the buffer (a frame too large to queue)
        self._check_full()
        self.icpt.settle()

    def _check_full(self) -> None:
        controls = self.controls
        over = self.held is not None and (
            self.queued_bytes + len(self._buf) >= controls.limit_bytes
            or len(self.queue) >= controls.limit_count
        )
        if over and controls.on_full is QueueFull.FORWARD:
            held = self.held
            assert held is not None
            self.conn.publish(
                InterventionCaptured(
                    self.conn.now(),
                    self.side,
                    Intervention.NOTE,
                    by="queue limit",
                    detail=self._limit_words() + f"; held item {held.item_id} was forwarded "
                    "unchanged",
                )
            )
            self.release(held)
            return
        if over and not self.full:
            self.full = True
            self.source.hold_reading(True)
            self.controls.version += 1
            self.conn.publish(
                InterventionCaptured(
                    self.conn.now(),
                    self.side,
                    Intervention.NOTE,
                    by="queue limit",
                    detail=self._limit_words()
                    + f"; reading from the {side_name(self.side)} is paused until the held "
                    "item is dealt with",
                )
            )
        elif not over and self.full:
            self.full = False
            self.source.hold_reading(False)
            self.controls.version += 1

    def _limit_words(self) -> str:
        c = self.controls
        return (
            f"the {side_name(self.side)}'s queue is full ({len(self.queue)} frames/messages, "
            f"{self.queued_bytes + len(self._buf)} bytes; the limit is {c.limit_count} or "
            f"{c.limit_bytes} bytes)"
        )

    def _note_once(self, key: str, text: str) -> None:
        if key in self.icpt.noted:
            return
        self.icpt.noted.add(key)
        self.conn.publish(
            InterventionCaptured(self.conn.now(), self.side, Intervention.NOTE, detail=text)
        )

    # ----------------------------------------------------------- injection
    def inject(
        self, specs: Iterable[FrameSpec], *, record: bool = False, by: str = "user"
    ) -> bytes:
        """Frames of ours toward this pipe's receiver, encoded as this pipe's sender
        would (masked toward the server unless a spec says otherwise), sent at once
        between two whole frames: never inside a frame of the sender's."""
        parts: list[bytes] = []
        for spec in specs:
            header, wire = encode_frame(spec, self.role)
            parts += (header, wire)
        wire = b"".join(parts)
        if record:
            self.conn.publish(
                InterventionCaptured(
                    self.conn.now(), self.side, Intervention.INJECTED, b"", wire, by
                )
            )
        parser = self.conn.parser(self.side)
        mid_frame = parser is not None and parser.incomplete_bytes > 0
        if (not self.engaged or self.syncing) and mid_frame:
            # The fast path stopped inside a frame: wait for its end.
            self._injects.append(wire)
            self.engage()
            self.syncing = True
        else:
            self._emit(wire)
        return wire

    def _flush_injects(self) -> None:
        injects, self._injects = self._injects, []
        for wire in injects:
            self._emit(wire)

    # ---------------------------------------------------------------- end
    def flush(self) -> None:
        """The sender is gone: what is held and queued goes on unchanged (so that its
        close frame, if it sent one, reaches the other side), delays included."""
        if self.held is not None:
            item = self.held
            self.held = None
            self.controls._released(item)
            self.queue.appendleft(item.unit)
            self.queued_bytes += len(item.unit.arrived)
        self._flush_partial()
        for unit in self.queue:
            if unit.wire:
                self._emit(unit.wire)
        self.queue.clear()
        self.queued_bytes = 0
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        for _, wire in self._delayed:
            self._emit(wire)
        self._delayed.clear()
        self._flush_injects()

    def drop_pending(self) -> None:
        """The receiver is gone: nothing more can reach it."""
        if self.held is not None:
            self.controls._released(self.held)
            self.held = None
        self.queue.clear()
        self.queued_bytes = 0
        self._delayed.clear()
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None


def _other(side: Direction) -> Direction:
    return Direction.IN if side is Direction.OUT else Direction.OUT


class Interceptor:
    """The pipeline of one connection: a :class:`Pipe` per direction."""

    def __init__(
        self, conn: ProxiedConnection, controls: Controls, client: Leg, upstream: Leg
    ) -> None:
        self.conn = conn
        self.controls = controls
        self.pipes = (
            Pipe(self, Direction.OUT, client, upstream),
            Pipe(self, Direction.IN, upstream, client),
        )
        self.messages = 0
        #: The close-after rule closed toward the server; the client's close is due.
        self.closing = False
        self._closed_by_rule = False
        self.noted: set[str] = set()
        controls._interceptors.add(self)
        if controls.armed:
            self.engage()

    def pipe(self, side: Direction) -> Pipe:
        return self.pipes[0 if side is Direction.OUT else 1]

    def engage(self) -> None:
        for pipe in self.pipes:
            pipe.engage()
        if self.conn.deflated and "deflate" not in self.noted:
            self.noted.add("deflate")
            self.conn.publish(
                InterventionCaptured(
                    self.conn.now(),
                    Direction.OUT,
                    Intervention.NOTE,
                    detail="permessage-deflate was negotiated before the controls were on: "
                    "compressed messages pass unchanged (they can only be forwarded)",
                )
            )

    def settle(self) -> None:
        """Back to the fast path where nothing is on and nothing is pending."""
        if self.controls.armed:
            return
        for pipe in self.pipes:
            if pipe.engaged and not pipe.syncing and pipe.idle:
                pipe.engaged = False

    def counted(self) -> None:
        """A data message went through: the close-after rule may end the connection.

        The proxy then starts the closing handshake toward the server as the client
        would (1000); the server's answer reaches the client as usual, and the
        client's own answer to that is dropped (the server has had its close)."""
        self.messages += 1
        limit = self.controls.rules.close_after
        if limit is not None and self.messages >= limit and not self._closed_by_rule:
            self._closed_by_rule = True
            self.closing = True
            reason = f"closed by the proxy after {limit} messages"
            payload = int(CloseCode.NORMAL_CLOSURE).to_bytes(2, "big") + reason.encode()
            pipe = self.pipes[0]
            spec = FrameSpec(Opcode.CLOSE, payload)
            if pipe.engaged and not pipe.syncing:
                wire = b"".join(encode_frame(spec, pipe.role))
                pipe._out(wire)  # after what a delay still holds back
            else:
                wire = pipe.inject([spec])
            self.conn.publish(
                InterventionCaptured(
                    self.conn.now(),
                    Direction.OUT,
                    Intervention.INJECTED,
                    b"",
                    wire,
                    by=f"rule close after {limit}",
                    detail=f"the server was sent a close frame 1000 ({reason})",
                )
            )

    def swallow_close(self, unit: Unit) -> bool:
        """The client's answer to a close the proxy started for it: not relayed."""
        if self.closing and unit.side is Direction.OUT and unit.opcode == Opcode.CLOSE:
            self.closing = False
            return True
        return False

    def inject(self, toward: Role, specs: Iterable[FrameSpec], by: str = "user") -> bytes:
        """Frames toward the server (``Role.SERVER``: sent as the client would, masked)
        or toward the client; returns the bytes sent."""
        side = Direction.OUT if toward is Role.SERVER else Direction.IN
        return self.pipe(side).inject(list(specs), record=True, by=by)

    def ended(self, side: Direction) -> None:
        """``side``'s sender is gone."""
        self.pipe(side).flush()

    def finished(self) -> None:
        for pipe in self.pipes:
            pipe.drop_pending()
        self.controls._interceptors.discard(self)
