"""Replaying a capture: its handshake options and the client's messages (or exact
frames), sent again to a URL with the original spacing, as fast as possible, or
scaled.

:func:`load_capture` reads a capture file (JSON Lines or HAR), :func:`plan_replay`
turns its session into a :class:`ReplayPlan` (what to offer in the handshake, and
timed :class:`Step` s), and :func:`send_steps` sends them on an open connection.
"""

from __future__ import annotations

import asyncio
import bisect
import contextlib
import dataclasses
import math
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from ..capture.events import (
    CaptureEvent,
    ConnectionState,
    Direction,
    MessageCaptured,
    StateChanged,
)
from ..capture.formats.har import WITHHELD, is_message_level
from ..capture.store import CaptureStore
from ..engine.connection import Connection
from ..engine.options import ConnectOptions
from ..protocol.constants import Opcode, Role
from ..protocol.frames import FrameSpec
from ..protocol.headers import parse_extensions, parse_token_list
from ..protocol.violations import LocalProtocolError
from .messages import close_of, direction_of, messages_of, request_of

__all__ = [
    "FAST",
    "HandshakeOptions",
    "ReplayError",
    "ReplayPlan",
    "Step",
    "listen_then_close",
    "load_capture",
    "parse_timing",
    "plan_replay",
    "send_steps",
]

#: ``--timing fast``: no waiting between steps.
FAST: Final = 0.0

#: Request headers the engine writes itself, from the options the plan gives it.
_GENERATED: Final = frozenset(
    {
        "host",
        "upgrade",
        "connection",
        "sec-websocket-key",
        "sec-websocket-version",
        "sec-websocket-extensions",
        "sec-websocket-protocol",
        "origin",
        "content-length",
    }
)


class ReplayError(ValueError):
    """A capture that cannot be replayed: one sentence saying why."""


@dataclass(frozen=True, slots=True)
class HandshakeOptions:
    """What the captured client offered: extra headers in their order, subprotocols,
    permessage-deflate, Origin."""

    headers: tuple[tuple[str, str], ...] = ()
    subprotocols: tuple[str, ...] = ()
    deflate: bool = True
    origin: str | None = None


@dataclass(frozen=True, slots=True)
class Step:
    """One thing to send, ``t`` seconds after the captured session opened.

    ``kind`` is ``text`` (value: str), ``binary`` or ``ping`` (bytes), ``close``
    (``(code, reason)``) or ``frame`` (a :class:`FrameSpec`). A close waits for the
    ``answers`` server messages the capture had received before it (bounded), so that
    a fast replay does not close before the answers it compares."""

    t: float
    kind: str
    value: Any
    answers: int = 0

    @property
    def is_close(self) -> bool:
        return self.kind == "close" or (self.kind == "frame" and self.value.opcode == Opcode.CLOSE)


@dataclass(slots=True)
class ReplayPlan:
    handshake: HandshakeOptions
    steps: list[Step]
    #: What the replay leaves out or cannot send as captured, one sentence each.
    notes: list[str] = field(default_factory=list)

    def connect_options(
        self, base: ConnectOptions | None = None, extra_headers: Sequence[tuple[str, str]] = ()
    ) -> ConnectOptions:
        """``base`` (timeouts, TLS, budget) with the captured handshake's options;
        ``extra_headers`` come after the captured ones, and a same-named one replaces
        the captured value. Subprotocols and Origin already in ``base`` win."""
        base = base or ConnectOptions()
        hs = self.handshake
        names = {name.lower() for name, _ in extra_headers}
        headers = [(n, v) for n, v in hs.headers if n.lower() not in names]
        return dataclasses.replace(
            base,
            headers=[*headers, *extra_headers],
            subprotocols=base.subprotocols or hs.subprotocols,
            deflate=hs.deflate,
            origin=base.origin if base.origin is not None else hs.origin,
        )


def parse_timing(text: str) -> float:
    """``original`` (1), ``fast`` (0) or a factor on the captured gaps (0.5: twice as
    fast); ValueError for anything else."""
    word = text.strip().lower()
    if word == "original":
        return 1.0
    if word == "fast":
        return FAST
    try:
        scale = float(word)
    except ValueError:
        raise ValueError(
            f"{text!r} is not original, fast or a number (a factor on the captured gaps)"
        ) from None
    if not math.isfinite(scale) or scale < 0:
        raise ValueError(f"{text!r}: the factor is a number, 0 or more")
    return scale


def load_capture(path: str, session: int = 1) -> tuple[CaptureStore, list[str]]:
    """The session in a capture file (``.har``: its ``session``-th WebSocket entry,
    from 1), and the reader's problems. ReplayError when it cannot be read."""
    from ..capture.formats.har import HarFormatError, read_har
    from ..capture.formats.jsonl import CaptureFormatError, read_jsonl

    try:
        if os.path.splitext(path)[1].lower() == ".har":
            sessions = read_har(path)
            if not 1 <= session <= len(sessions):
                raise ReplayError(
                    f"{path}: there is no WebSocket session {session}: the file has {len(sessions)}"
                )
            chosen = sessions[session - 1]
            return chosen.store, list(chosen.problems)
        result = read_jsonl(path, max_payload_bytes=None)
    except (CaptureFormatError, HarFormatError) as exc:
        raise ReplayError(f"{path}: {exc}") from None
    except OSError as exc:
        raise ReplayError(f"cannot read {path}: {exc.strerror or exc}") from None
    if session != 1:
        raise ReplayError(f"{path}: a capture file holds one session; --session is for HAR")
    return result.store, list(result.problems)


def _handshake_options(store: CaptureStore, notes: list[str]) -> HandshakeOptions:
    request = request_of(store)
    if request is None:
        notes.append("the capture has no opening handshake: replayed with default options")
        return HandshakeOptions()
    headers: list[tuple[str, str]] = []
    subprotocols: list[str] = []
    deflate = False
    origin = None
    for name, value in request.headers:
        lower = name.lower()
        if lower == "sec-websocket-protocol":
            with contextlib.suppress(ValueError):
                subprotocols.extend(parse_token_list(value))
        elif lower == "sec-websocket-extensions":
            try:
                offers = parse_extensions(value)
            except ValueError:
                notes.append(f"the captured extension offer {value!r} does not parse: left out")
                continue
            for ext, _ in offers:
                if ext == "permessage-deflate":
                    deflate = True
                else:
                    notes.append(f"extension {ext!r} is not offered: the engine has no support")
        elif lower == "origin":
            origin = value
        elif lower in _GENERATED:
            continue
        elif value == WITHHELD:
            notes.append(f"{name} was withheld from the capture: not sent")
        else:
            headers.append((name, value))
    return HandshakeOptions(tuple(headers), tuple(dict.fromkeys(subprotocols)), deflate, origin)


def _opened_at(store: CaptureStore) -> float:
    for event in store.events:
        if isinstance(event, StateChanged) and event.state is ConnectionState.OPEN:
            return event.t
    return store.t[0] if len(store) else 0.0


def _first_close_row(store: CaptureStore, d: int) -> int | None:
    for row in range(len(store)):
        if store.dir[row] == d and store.b0[row] & 0x0F == Opcode.CLOSE:
            return row
    return None


def _frame_steps(store: CaptureStore, d: int, t0: float, notes: list[str]) -> list[Step]:
    steps: list[Step] = []
    for row in range(len(store)):
        if store.dir[row] != d:
            continue
        b0, b1 = store.b0[row], store.b1[row]
        payload = store.payloads[row]
        declared = store.length[row]
        if len(payload) < declared:
            notes.append(
                f"frame {store.seq[row]}: the capture kept {len(payload)} of its {declared} "
                "payload bytes: those are sent"
            )
            declared = len(payload)
        masked = bool(b1 & 0x80)
        low = b1 & 0x7F
        spec = FrameSpec(
            opcode=b0 & 0x0F,
            payload=payload,
            fin=bool(b0 & 0x80),
            rsv1=bool(b0 & 0x40),
            rsv2=bool(b0 & 0x20),
            rsv3=bool(b0 & 0x10),
            mask=masked,
            mask_key=store.mask_key[row].to_bytes(4, "big") if masked else None,
            length_form=7 if low < 126 else 16 if low == 126 else 64,
        )
        steps.append(Step(store.t[row] - t0, "frame", spec))
    return steps


def _message_steps(store: CaptureStore, d: int, t0: float, notes: list[str]) -> list[Step]:
    steps: list[Step] = []
    for n, message in enumerate(messages_of(store, Role.CLIENT), 1):
        if message.truncated:
            notes.append(
                f"message {n} was not kept whole in the capture: its {len(message.data)} "
                "kept bytes are sent"
            )
        if message.opcode == Opcode.TEXT:
            steps.append(Step(message.t - t0, "text", message.data.decode("utf-8", "replace")))
        else:
            steps.append(Step(message.t - t0, "binary", message.data))
    for row in range(len(store)):
        if store.dir[row] == d and store.b0[row] & 0x0F == Opcode.PING:
            steps.append(Step(store.t[row] - t0, "ping", store.payloads[row][:125]))
    ours = _first_close_row(store, d)
    theirs = _first_close_row(store, 1 - d)
    # The client's close is sent only when the client started the closing handshake;
    # a reply to the server's close is the engine's to send.
    if ours is not None and (theirs is None or ours < theirs):
        close = close_of(store, Role.CLIENT)
        assert close is not None
        code, reason = close
        steps.append(Step(store.t[ours] - t0, "close", (code, reason or "")))
    steps.sort(key=lambda s: s.t)
    return steps


def plan_replay(store: CaptureStore, *, frames: bool = False) -> ReplayPlan:
    """What to offer and send to replay ``store``'s client side: its messages, pings
    and close (when the client started it), or with ``frames`` every frame the client
    sent, header bits, masks and length forms as captured."""
    notes: list[str] = []
    handshake = _handshake_options(store, notes)
    d = 0 if direction_of(store, Role.CLIENT) is Direction.OUT else 1
    t0 = _opened_at(store)
    if frames and is_message_level(store.session):
        # Its frames are made up, one unmasked frame per message: not the client's.
        notes.append("the capture holds messages, not frames (HAR): its messages are sent")
        frames = False
    steps = (_frame_steps if frames else _message_steps)(store, d, t0, notes)
    answered = [m.t - t0 for m in messages_of(store, Role.SERVER)]
    steps = [
        dataclasses.replace(s, answers=bisect.bisect_left(answered, s.t)) if s.is_close else s
        for s in steps
    ]
    return ReplayPlan(handshake, steps, notes)


def _perform(conn: Connection, step: Step) -> None:
    kind, value = step.kind, step.value
    if kind == "text":
        conn.send_text(value)
    elif kind == "binary":
        conn.send_binary(value)
    elif kind == "ping":
        conn.send_ping(value)
    elif kind == "close":
        conn.send_close(*value)
    elif kind == "frame":
        conn.send_frame(value)
    else:
        raise ValueError(f"unknown step kind {kind!r}")


class _Answers:
    """Counts the peer's data messages; :meth:`wait` until there are ``n``."""

    def __init__(self) -> None:
        self.count = 0
        self._wanted = 0
        self._reached: asyncio.Future[None] | None = None

    def __call__(self, event: CaptureEvent) -> None:
        if type(event) is MessageCaptured and event.dir is Direction.IN:
            self.count += 1
            reached = self._reached
            if reached is not None and self.count >= self._wanted and not reached.done():
                reached.set_result(None)

    async def wait(self, conn: Connection, n: int, timeout: float) -> None:
        if self.count >= n:
            return
        self._wanted = n
        self._reached = asyncio.get_running_loop().create_future()
        closed = asyncio.ensure_future(conn.wait_closed())
        try:
            await asyncio.wait(
                [self._reached, closed], timeout=timeout, return_when="FIRST_COMPLETED"
            )
        finally:
            closed.cancel()
            self._reached = None


async def send_steps(
    conn: Connection, steps: list[Step], scale: float, *, answer_wait: float = 5.0
) -> int:
    """Send ``steps`` on the open ``conn``, each ``scale`` times its captured delay
    after the start (0: at once); a close first waits (at most ``answer_wait``
    seconds) for the answers the capture had before it. Stops when the connection
    ends or a close frame went out. Returns how many were sent."""
    loop = asyncio.get_running_loop()
    start = loop.time()
    sent = 0
    answers = _Answers()
    conn.subscribe(answers)
    try:
        for step in steps:
            if not await _step(conn, step, start, scale, answers, answer_wait):
                break
            sent += 1
    finally:
        conn.unsubscribe(answers)
    return sent


async def _step(
    conn: Connection, step: Step, start: float, scale: float, answers: _Answers, answer_wait: float
) -> bool:
    loop = asyncio.get_running_loop()
    if scale > 0:
        delay = start + max(step.t, 0.0) * scale - loop.time()
        if delay > 0:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(conn.wait_closed(), delay)
    if step.answers:
        await answers.wait(conn, step.answers, answer_wait)
    return await _send(conn, step)


async def _send(conn: Connection, step: Step) -> bool:
    # Crafted frames may follow a close frame on purpose; messages may not.
    if not conn.is_open or (conn.close_sent and step.kind != "frame"):
        return False
    try:
        _perform(conn, step)
    except LocalProtocolError:
        return False  # the peer ended the connection meanwhile
    await conn.drain()
    await asyncio.sleep(0)
    return True


async def listen_then_close(conn: Connection, wait: float) -> None:
    """Listen ``wait`` seconds (less if the connection ends), then close it if nobody
    did; bounded by the connection's close timeout."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(conn.wait_closed(), wait)
    if conn.closed.done():
        return
    if not conn.close_sent:
        await conn.close(1000)
        return
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(conn.wait_closed(), conn.close_timeout * 2)
    conn.abort()
