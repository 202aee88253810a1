"""Running the probe: one fresh connection per case, bounded in time, graded in words.

How a case runs: connect (offering permessage-deflate only when the case is about
it), perform the steps, then send a *sync ping*. Its pong says the server has
processed everything before it, so a case need not wait for a timeout to learn that
the server ignored a frame: a server that fails the connection does so before the
pong (or, for servers that check a message lazily, within a short grace after it).
Then we close (unless the server or the case already did) and grade what was seen:
echoed messages, pongs, the server's close frame and code, or a TCP drop.

Once a connection cannot be made (refused, timed out, no route), the server is
marked unreachable and the cases not yet started are graded failed at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import datetime
import itertools
import logging
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..capture.events import (
    CaptureEvent,
    ConnectionState,
    Direction,
    ErrorCaptured,
    FramesCaptured,
    HandshakeCaptured,
    MessageCaptured,
    StateChanged,
)
from ..capture.store import CaptureStore
from ..engine.client import connect, new_client_connection
from ..engine.connection import Connection
from ..engine.options import ConnectError, ConnectOptions
from ..protocol.connection import Protocol
from ..protocol.constants import Opcode, Role
from ..protocol.deflate import DeflateError, DeflateOffer, PerMessageDeflate, negotiate_client
from ..protocol.events import Message as ReceivedMessage
from ..protocol.frames import Frame, FrameSpec, encode_frame
from ..protocol.headers import HeaderParseError, parse_extensions
from ..protocol.violations import LocalProtocolError
from .cases import (
    Case,
    Chopped,
    CloseReply,
    Deflated,
    Echo,
    Fail,
    Frames,
    Grade,
    Message,
    Observe,
    Pause,
    Payload,
    Sync,
    code_words,
    describe_messages,
    materialize,
    payload_size,
    select_cases,
)

__all__ = [
    "DEFAULT_CONCURRENCY",
    "DEFAULT_TIMEOUT",
    "CaseResult",
    "ProbeReport",
    "ProbeUnreachable",
    "run_case",
    "run_probe",
]

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT = 3.0
DEFAULT_CONCURRENCY = 8
#: Bytes per second a case may assume, to stretch its time limit for large payloads.
_THROUGHPUT = 4_000_000
#: How long to wait for the closing handshake we start at the end of a case.
_CLOSE_WAIT = 1.5
#: After the sync pong: how long a lazy server may take to fail the connection.
_FAIL_GRACE = 0.25
#: After the sync pong: how long without incoming bytes before an echo is given up.
_ECHO_IDLE = 0.5
_SYNC = b"probe-sync-"
#: Below this many buffered bytes, sending goes on without waiting to drain.
_WRITE_LOW = 64 * 1024
#: With this much unsent after the server's close frame, abort rather than wait.
_STUCK = 2**20
_ERROR_CODES = frozenset({1002, 1003, 1007, 1008, 1009, 1010, 1011})
#: After this many cases in a row without a single frame back, the server is down.
_SILENT_CASES = 5
_UNREACHABLE_STEPS = frozenset({"url", "dns", "tcp", "tls", "timeout"})
_PING = int(Opcode.PING)
_PONG = int(Opcode.PONG)
_CLOSE = int(Opcode.CLOSE)


class ProbeUnreachable(ConnectError):
    """The server could not be reached at all: no case was run."""


@dataclass(frozen=True, slots=True)
class CaseResult:
    """The verdict on one case, with what was expected and what was seen, in words.

    ``close_code`` is the code of the server's close frame, if it sent one;
    ``store`` is the capture of the case's connection (every frame both ways)."""

    id: str
    category: str
    title: str
    grade: Grade
    expected: str
    observed: str
    close_code: int | None = None
    close_reason: str | None = None
    duration: float = 0.0
    store: CaptureStore | None = field(default=None, compare=False, repr=False)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "category": self.category,
            "title": self.title,
            "grade": self.grade.value,
            "expected": self.expected,
            "observed": self.observed,
            "close_code": self.close_code,
            "close_reason": self.close_reason,
            "duration": round(self.duration, 4),
        }


@dataclass(frozen=True, slots=True)
class ProbeReport:
    """A finished battery: the results in case order, and what the server is."""

    url: str
    results: tuple[CaseResult, ...]
    started_at: str
    duration: float
    #: The server's Server header and negotiated extensions (first connection).
    server: str | None = None
    extensions: str | None = None
    #: Set when the server became unreachable during the battery: why.
    unreachable: str | None = None

    def __iter__(self) -> Iterator[CaseResult]:
        return iter(self.results)

    def __len__(self) -> int:
        return len(self.results)

    def __getitem__(self, index: int) -> CaseResult:
        return self.results[index]

    def by_id(self, case_id: str) -> CaseResult:
        for result in self.results:
            if result.id == case_id:
                return result
        raise KeyError(case_id)

    def counts(self) -> dict[Grade, int]:
        counts = dict.fromkeys(Grade, 0)
        for result in self.results:
            counts[result.grade] += 1
        return counts

    def summary(self) -> str:
        """``"214 cases: 190 passed, 10 non-strict, 8 failed, 6 info"``."""
        counts = self.counts()
        n = len(self.results)
        parts = ", ".join(f"{counts[g]} {g.value}" for g in Grade)
        return f"{n} case{'' if n == 1 else 's'}: {parts}"


# ------------------------------------------------------------------------- observation
class _Observer:
    """Listens to one case's connection and keeps what grading needs."""

    def __init__(self) -> None:
        self.loop = asyncio.get_running_loop()
        self.changed = asyncio.Event()
        self.messages: list[ReceivedMessage] = []
        self.pongs: list[bytes] = []  # pongs to our own pings, not the sync ones
        self.sync_pongs: dict[bytes, float] = {}
        self.close_frame: Frame | None = None
        self.close_at = 0.0
        self.close_phase = 0
        self.close_first = False  # the server's close frame came before any of ours
        self.final: StateChanged | None = None
        self.end_phase = 0
        self.phase = 0
        self.we_closed = False  # a close frame of ours is on the wire
        self.final_close = False  # ... the one sent at the end, not by the case
        self.messages_before_our_close = 0
        self.handshake: HandshakeCaptured | None = None
        self.errors: list[ErrorCaptured] = []
        self.server_problems: list[str] = []
        self.last_rx = self.loop.time()
        self.frames_in = 0
        self.timed_out = False
        self.cut_short = False  # the server ended the connection before all steps ran
        self.rtt = 0.0

    def __call__(self, event: CaptureEvent) -> None:
        now = self.loop.time()
        if isinstance(event, FramesCaptured):
            if event.dir is not Direction.IN:
                return
            self.last_rx = now
            self.frames_in += len(event.frames)
            for frame in event.frames:
                op = frame.opcode
                if op == _PONG:
                    if frame.payload.startswith(_SYNC):
                        self.sync_pongs.setdefault(frame.payload, now)
                    else:
                        self.pongs.append(frame.payload)
                elif op == _CLOSE and self.close_frame is None:
                    self.close_frame = frame
                    self.close_at = now
                    self.close_phase = self.phase
                    self.close_first = not self.we_closed
                for violation in frame.violations:
                    text = violation.message
                    if len(self.server_problems) < 3 and text not in self.server_problems:
                        self.server_problems.append(text)
        elif isinstance(event, MessageCaptured):
            if event.dir is Direction.IN:
                self.messages.append(event.message)
                self.last_rx = now
        elif isinstance(event, StateChanged):
            if event.state is ConnectionState.CLOSED and self.final is None:
                self.final = event
                self.end_phase = self.phase
        elif isinstance(event, HandshakeCaptured):
            if event.dir is Direction.IN:
                self.handshake = event
        elif isinstance(event, ErrorCaptured):
            self.errors.append(event)
        self.changed.set()

    @property
    def ended(self) -> bool:
        """The server sent a close frame, or the connection is gone."""
        return self.close_frame is not None or self.final is not None

    @property
    def dropped(self) -> bool:
        """TCP closed with no close frame from the server."""
        return self.final is not None and self.close_frame is None

    @property
    def tcp_left_open(self) -> bool:
        return any(e.step == "close" for e in self.errors)

    async def until(self, condition: Callable[[], bool], deadline: float) -> bool:
        while not condition():
            remaining = deadline - self.loop.time()
            if remaining <= 0:
                return False
            self.changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.changed.wait(), min(remaining, 0.05))
        return True


# ------------------------------------------------------------------------------ running
class _Gate:
    """Shared by the cases of one battery: once the server cannot be reached, or has
    stopped answering, it is not tried again."""

    def __init__(self) -> None:
        self.down: str | None = None
        self.silent = 0  # cases in a row that got no frame at all, not even a pong

    def count_silence(self, case: Case, obs: _Observer, waited: float) -> None:
        server_acted = obs.frames_in > 0 or (obs.final is not None and not obs.we_closed)
        if case.wait is not None or server_acted:
            self.silent = 0  # a frame, a drop, or a case that expects silence
            return
        self.silent += 1
        if self.silent >= _SILENT_CASES and self.down is None:
            self.down = (
                f"the server stopped answering: {self.silent} cases in a row got no frame "
                f"at all within {waited:g} s, not even a pong"
            )


def _case_options(case: Case, base: ConnectOptions, budget: float) -> ConnectOptions:
    headers = [(n, v) for n, v in base.headers if n.lower() != "sec-websocket-extensions"]
    if case.deflate:
        headers.append(("Sec-WebSocket-Extensions", case.deflate))
    return dataclasses.replace(
        base,
        headers=headers,
        deflate=case.deflate == "",
        open_timeout=min(base.open_timeout, budget),
        close_timeout=min(_CLOSE_WAIT, budget),
        auto_pong=True,
        strict=False,
        keepalive_interval=None,
        max_message_size=max(base.max_message_size or 0, 64 * 2**20),
        max_frame_size=max(base.max_frame_size or 0, 64 * 2**20),
    )


class _CaseRun:
    def __init__(
        self, case: Case, url: str, options: ConnectOptions, timeout: float, gate: _Gate
    ) -> None:
        self.case = case
        self.url = url
        self.timeout = timeout
        self.budget = timeout + 2 * case.weight / _THROUGHPUT
        self.options = _case_options(case, options, self.budget)
        self.gate = gate
        self.loop = asyncio.get_running_loop()
        self.syncs = 0
        self.negotiated: str | None = None
        self.waited = timeout
        self.close_wait = min(_CLOSE_WAIT, timeout)

    def result(
        self,
        grade: Grade,
        observed: str,
        t0: float,
        conn: Connection | None = None,
        obs: _Observer | None = None,
    ) -> CaseResult:
        obs_close = obs.close_frame if obs is not None else None
        return CaseResult(
            id=self.case.id,
            category=self.case.category,
            title=self.case.title,
            grade=grade,
            expected=self.case.expected,
            observed=observed,
            close_code=obs_close.close_code if obs_close is not None else None,
            close_reason=obs_close.close_reason if obs_close is not None else None,
            duration=self.loop.time() - t0,
            store=conn.store if conn is not None else None,
        )

    async def run(self) -> CaseResult:
        t0 = self.loop.time()
        if self.gate.down is not None:
            return self.result(Grade.FAILED, f"server unreachable: {self.gate.down}", t0)
        deadline = t0 + self.budget
        conn = new_client_connection(self.url, self.options)
        obs = _Observer()
        conn.subscribe(obs)
        try:
            await connect(self.url, self.options, connection=conn)
        except ConnectError as exc:
            if exc.step in _UNREACHABLE_STEPS:
                if self.gate.down is None:
                    self.gate.down = f"{exc.step}: {exc.message}"
                return self.result(
                    Grade.FAILED, f"server unreachable: {exc.step}: {exc.message}", t0, conn, obs
                )
            return self.result(
                Grade.FAILED, f"the opening handshake failed: {exc.message}", t0, conn, obs
            )
        except Exception as exc:  # a bug must not stop the battery
            log.exception("case %s could not connect", self.case.id)
            conn.abort()
            return self.result(Grade.FAILED, f"the probe could not connect: {exc}", t0, conn, obs)
        try:
            if self.case.deflate is not None:
                problem = self._setup_deflate(conn, obs)
                if problem is not None:
                    grade, words = problem
                    await self._finish(conn, obs)
                    return self.result(grade, words, t0, conn, obs)
            try:
                async with asyncio.timeout_at(deadline):
                    await self._steps(conn, obs, deadline)
                    await self._final_wait(conn, obs, deadline)
            except TimeoutError:
                obs.timed_out = True
            await self._finish(conn, obs)
        except asyncio.CancelledError:
            conn.abort()
            raise
        except Exception as exc:  # a probe bug must not stop the battery
            log.exception("case %s failed to run", self.case.id)
            conn.abort()
            return self.result(
                Grade.FAILED, f"the probe could not run this case: {exc}", t0, conn, obs
            )
        self.gate.count_silence(self.case, obs, self.waited)
        grade, words = _grade(self.case, obs, self.waited)
        if self.negotiated is not None and self.case.deflate:
            words = f"negotiated '{self.negotiated}'; {words}"
        return self.result(grade, words, t0, conn, obs)

    # -- permessage-deflate
    def _setup_deflate(self, conn: Connection, obs: _Observer) -> tuple[Grade, str] | None:
        """Check the negotiation; with a custom offer, set up compression ourselves.
        Returns a verdict when there is nothing to test."""
        handshake = obs.handshake
        answer = handshake.extensions if handshake is not None else None
        offer_text = self.case.deflate or "permessage-deflate; client_max_window_bits"
        try:
            accepted = [e for e in parse_extensions(answer or "") if e[0] == "permessage-deflate"]
        except HeaderParseError as exc:
            return Grade.FAILED, f"the server's Sec-WebSocket-Extensions does not parse: {exc}"
        if not accepted:
            return (
                Grade.INFO,
                f"the server did not negotiate permessage-deflate (offered '{offer_text}'); "
                "nothing to test",
            )
        self.negotiated = answer
        if self.case.deflate == "":
            if conn.protocol is None or conn.protocol.deflate is None:
                return Grade.FAILED, "permessage-deflate was answered but not set up"
            return None
        # A custom offer went out as a plain header: set compression up here, before
        # any frame is exchanged (connect() returned without yielding to the loop).
        try:
            offer = DeflateOffer.from_extension(parse_extensions(offer_text)[0])
            params = negotiate_client(offer, accepted[0])
        except DeflateError as exc:
            return (
                Grade.FAILED,
                f"the server answered '{answer}' to the offer '{offer_text}', which RFC 7692 "
                f"does not allow: {exc}",
            )
        old = conn.protocol
        assert old is not None
        conn.protocol = Protocol(
            Role.CLIENT,
            strict=False,
            max_frame_size=self.options.max_frame_size,
            max_message_size=self.options.max_message_size,
            deflate=PerMessageDeflate(
                params, Role.CLIENT, max_inflated_size=self.options.max_message_size
            ),
            auto_pong=True,
        )
        return None

    # -- sending
    def _server_ended(self, conn: Connection, obs: _Observer) -> bool:
        transport = conn.transport
        return obs.ended or transport is None or transport.is_closing()

    async def _drain(self, conn: Connection, obs: _Observer) -> None:
        """Wait for the write buffer to go down, but not past the server's close: a
        server that refuses a large message stops reading, and our reply to its close
        frame would wait behind the megabytes it will never read."""
        transport = conn.transport
        if transport is None or transport.get_write_buffer_size() < _WRITE_LOW:
            return
        drain = asyncio.ensure_future(conn.drain())
        try:
            while not drain.done() and not obs.ended:
                obs.changed.clear()
                changed = asyncio.ensure_future(obs.changed.wait())
                try:
                    await asyncio.wait((drain, changed), return_when=asyncio.FIRST_COMPLETED)
                finally:
                    changed.cancel()
        finally:
            if not drain.done():
                drain.cancel()

    def _send(self, conn: Connection, obs: _Observer, spec: FrameSpec) -> None:
        if spec.opcode == _CLOSE and not obs.we_closed:
            obs.we_closed = True
        elif spec.fin and spec.opcode in (0, 1, 2) and not obs.we_closed:
            obs.messages_before_our_close += 1
        conn.send_frame(spec)

    async def _steps(self, conn: Connection, obs: _Observer, deadline: float) -> None:
        for step in self.case.steps:
            if self._server_ended(conn, obs):
                obs.cut_short = True
                return
            if isinstance(step, Frames):
                for spec in step.frames:
                    self._send(conn, obs, spec)
                    await self._drain(conn, obs)
            elif isinstance(step, Message):
                await self._message(conn, obs, step)
            elif isinstance(step, Chopped):
                await self._chopped(conn, obs, step)
            elif isinstance(step, Pause):
                await asyncio.sleep(step.seconds)
                obs.phase += 1
            elif isinstance(step, Sync):
                await self._sync(conn, obs, deadline)
                obs.phase += 1
            elif isinstance(step, Deflated):
                self._deflated(conn, obs, step)
                await self._drain(conn, obs)

    async def _message(self, conn: Connection, obs: _Observer, step: Message) -> None:
        proto = conn.protocol
        assert proto is not None
        data = materialize(step.payload)
        n = len(data)
        fragments = max(1, -(-n // step.fragment_size)) if step.fragment_size else 1
        proto.send_message(step.opcode, data, fragments=fragments, compress=step.compress)
        if not obs.we_closed:
            obs.messages_before_our_close += 1
        conn.flush()
        await self._drain(conn, obs)

    async def _chopped(self, conn: Connection, obs: _Observer, step: Chopped) -> None:
        if any(spec.opcode == _CLOSE for spec in step.frames):
            obs.we_closed = True
        data = b"".join(b"".join(encode_frame(spec, Role.CLIENT)) for spec in step.frames)
        data = data[step.start : step.upto]
        for i in range(0, len(data), step.chunk):
            if self._server_ended(conn, obs):
                obs.cut_short = True
                return
            conn.send_raw(data[i : i + step.chunk])
            await self._drain(conn, obs)
            await asyncio.sleep(step.delay)
        if step.upto is None:
            obs.messages_before_our_close += sum(
                1 for spec in step.frames if spec.fin and spec.opcode in (0, 1, 2)
            )

    def _deflated(self, conn: Connection, obs: _Observer, step: Deflated) -> None:
        proto = conn.protocol
        assert proto is not None and proto.deflate is not None
        data = proto.deflate.compress(step.payload)
        bounds = [0, *step.splits, len(data)]
        chunks = [data[a:b] for a, b in itertools.pairwise(bounds)]
        rsv1 = step.rsv1 or tuple(i == 0 for i in range(len(chunks)))
        last = len(chunks) - 1
        for i, chunk in enumerate(chunks):
            spec = FrameSpec(
                step.opcode if i == 0 else 0,
                chunk,
                fin=i == last,
                rsv1=rsv1[i] if i < len(rsv1) else False,
            )
            self._send(conn, obs, spec)

    def _sync_ping(self, conn: Connection, obs: _Observer) -> bytes | None:
        if self._server_ended(conn, obs) or obs.we_closed:
            return None
        self.syncs += 1
        payload = _SYNC + str(self.syncs).encode()
        conn.send_frame(FrameSpec(_PING, payload))
        return payload

    async def _sync(self, conn: Connection, obs: _Observer, deadline: float) -> None:
        sent = self.loop.time()
        payload = self._sync_ping(conn, obs)
        if payload is None:
            return
        await obs.until(lambda: payload in obs.sync_pongs or obs.ended, deadline)
        if payload in obs.sync_pongs:
            obs.rtt = max(obs.rtt, obs.sync_pongs[payload] - sent)
        grace = self.loop.time() + _FAIL_GRACE + 4 * obs.rtt
        await obs.until(lambda: obs.ended, min(grace, deadline))

    async def _final_wait(self, conn: Connection, obs: _Observer, deadline: float) -> None:
        expect = self.case.expect
        if self.case.wait is not None:
            deadline = min(deadline, self.loop.time() + self.case.wait)
        self.waited = self.timeout if self.case.wait is None else self.case.wait
        if obs.we_closed or isinstance(expect, CloseReply):
            await obs.until(lambda: obs.final is not None, deadline)
            return
        sent = self.loop.time()
        payload = self._sync_ping(conn, obs)
        loop = self.loop

        def synced() -> float | None:
            if payload is None or payload not in obs.sync_pongs:
                return None
            at = obs.sync_pongs[payload]
            obs.rtt = max(obs.rtt, at - sent)
            return at

        def closed_enough() -> bool:
            # Once the server's close frame is in, wait a little for TCP to end.
            if obs.final is not None:
                return True
            return obs.close_frame is not None and loop.time() - obs.close_at > _CLOSE_WAIT

        if isinstance(expect, Echo) or (isinstance(expect, Observe) and expect.messages):
            wanted = expect.messages
            pongs = expect.pongs if isinstance(expect, Echo) else ()

            def done() -> bool:
                if obs.close_frame is not None or obs.final is not None:
                    return True
                at = synced()
                if at is None:
                    return False
                if len(obs.messages) >= len(wanted) and all(p in obs.pongs for p in pongs):
                    return True
                return loop.time() - max(at, obs.last_rx) > _ECHO_IDLE + 4 * obs.rtt

        else:

            def done() -> bool:
                if obs.close_frame is not None or obs.final is not None:
                    return closed_enough()
                at = synced()
                return at is not None and loop.time() - at > _FAIL_GRACE + 4 * obs.rtt

        await obs.until(done, deadline)

    async def _finish(self, conn: Connection, obs: _Observer) -> None:
        """Close (if nobody did), bounded; abort if the server does not cooperate."""
        if obs.final is None and self._stuck(conn, obs):
            conn.abort()
        if obs.final is None:
            proto = conn.protocol
            if (
                proto is not None
                and proto.close_sent is None
                and not obs.we_closed
                and conn.transport is not None
                and not conn.transport.is_closing()
            ):
                obs.we_closed = True
                obs.final_close = True
                with contextlib.suppress(LocalProtocolError):
                    conn.send_close(1000)
            await obs.until(lambda: obs.final is not None, self.loop.time() + self.close_wait)
        if obs.final is None:
            conn.abort()
            await obs.until(lambda: obs.final is not None, self.loop.time() + 0.5)

    def _stuck(self, conn: Connection, obs: _Observer) -> bool:
        """The server closed while megabytes of ours wait to be written: it will not
        read them, so our reply to its close frame would never get through."""
        transport = conn.transport
        return (
            obs.close_frame is not None
            and transport is not None
            and transport.get_write_buffer_size() > _STUCK
        )


async def run_case(
    case: Case,
    url: str,
    *,
    timeout: float = DEFAULT_TIMEOUT,
    options: ConnectOptions | None = None,
    _gate: _Gate | None = None,
) -> CaseResult:
    """Run one case on a fresh connection to ``url``; never raises for the server's
    behaviour (an unreachable server is a failed case)."""
    return await _CaseRun(case, url, options or ConnectOptions(), timeout, _gate or _Gate()).run()


async def _preflight(url: str, options: ConnectOptions) -> tuple[str | None, str | None]:
    """One plain connection: is the server there, and what does it say it is."""
    opts = dataclasses.replace(
        options, deflate=True, strict=False, keepalive_interval=None, close_timeout=_CLOSE_WAIT
    )
    conn = new_client_connection(url, opts)
    handshakes: list[HandshakeCaptured] = []
    conn.subscribe(
        lambda e: (
            handshakes.append(e)
            if isinstance(e, HandshakeCaptured) and e.dir is Direction.IN
            else None
        )
    )
    try:
        await connect(url, opts, connection=conn)
    except ConnectError as exc:
        raise ProbeUnreachable(exc.step, exc.message) from None
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(conn.close(1000), _CLOSE_WAIT * 2)
    conn.abort()
    if not handshakes:
        return None, None
    response = handshakes[-1]
    server = next((v for n, v in response.headers if n.lower() == "server"), None)
    return server, response.extensions


async def run_probe(
    url: str,
    categories: Iterable[str] | None = None,
    *,
    ids: Iterable[str] | None = None,
    cases: Sequence[Case] | None = None,
    on_result: Callable[[CaseResult], None] | None = None,
    concurrency: int = DEFAULT_CONCURRENCY,
    timeout: float = DEFAULT_TIMEOUT,
    options: ConnectOptions | None = None,
    keep_captures: bool = True,
) -> ProbeReport:
    """Run the battery (or the cases of ``categories``/``ids``, or ``cases``) against
    ``url``, ``concurrency`` connections at a time, ``timeout`` seconds per case (more
    for large payloads). ``on_result`` is called with each result as it is graded
    (completion order); the report lists them in case order.

    Raises :class:`ProbeUnreachable` when the server cannot be reached at all, and
    ``ValueError`` for an unknown category or case id. ``options`` supplies headers,
    TLS settings and the like; the probe sets the rest per case.
    """
    if concurrency < 1:
        raise ValueError("concurrency must be at least 1")
    if timeout <= 0:
        raise ValueError("the timeout must be positive")
    chosen = tuple(cases) if cases is not None else select_cases(categories, ids)
    base = options or ConnectOptions(open_timeout=max(timeout, 1.0))
    loop = asyncio.get_running_loop()
    t0 = loop.time()
    started = datetime.datetime.now(datetime.UTC).astimezone().isoformat(timespec="seconds")
    server, extensions = await _preflight(url, base)
    gate = _Gate()
    semaphore = asyncio.Semaphore(concurrency)

    async def one(case: Case) -> CaseResult:
        async with semaphore:
            result = await _CaseRun(case, url, base, timeout, gate).run()
        if not keep_captures:
            result = dataclasses.replace(result, store=None)
        if on_result is not None:
            try:
                on_result(result)
            except Exception:  # the caller's problem must not stop the battery
                log.exception("on_result callback failed for case %s", case.id)
        return result

    results = await asyncio.gather(*(one(case) for case in chosen))
    return ProbeReport(
        url=url,
        results=tuple(results),
        started_at=started,
        duration=loop.time() - t0,
        server=server,
        extensions=extensions,
        unreachable=gate.down,
    )


# ------------------------------------------------------------------------------ grading
def _close_words(frame: Frame) -> str:
    code = frame.close_code
    reason = frame.close_reason
    text = code_words(code)
    if reason:
        shown = reason if len(reason) <= 60 else reason[:57] + "..."
        text += f" and reason {shown!r}"
    if not frame.payload and code is None:
        text = "no status code (empty close frame)"
    return text


def _ending(obs: _Observer) -> str:
    """How the connection ended, in words."""
    frame = obs.close_frame
    if frame is not None:
        who = "closed on its own with" if obs.close_first else "answered our close frame with"
        text = f"the server {who} {_close_words(frame)}"
        if obs.final is None or obs.tcp_left_open:
            text += ", but did not close TCP"
        return text
    if obs.final is not None:
        if obs.we_closed:
            return "the server dropped TCP without answering our close frame"
        return "the server dropped TCP without a close frame"
    return "the connection was still open (aborted)"


def _kind(opcode: int) -> str:
    return {1: "text", 2: "binary"}.get(opcode, f"opcode {opcode}")


def _compare(expected: Sequence[tuple[int, Payload]], got: Sequence[ReceivedMessage]) -> str | None:
    """``None`` if ``got`` echoes ``expected``; else what differs."""
    for i, (opcode, payload) in enumerate(expected):
        if i >= len(got):
            n = len(got)
            if len(expected) == 1:
                return "no echo"
            return f"echoed {n} of the {len(expected)} messages"
        message = got[i]
        where = f"message {i + 1}" if len(expected) > 1 else "the echo"
        if message.opcode != opcode:
            return f"{where} came back as {_kind(message.opcode)} instead of {_kind(opcode)}"
        size = payload_size(payload)
        if len(message.data) != size:
            return f"{where} has {len(message.data)} bytes instead of {size}"
        data = materialize(payload)
        if message.data != data:
            at = next(j for j in range(size) if message.data[j] != data[j])
            return f"{where} differs from what was sent at byte {at}"
    if len(got) > len(expected):
        extra = len(got) - len(expected)
        return f"{extra} unexpected message{'s' if extra > 1 else ''} came back"
    return None


def _extra_words(obs: _Observer) -> str:
    if obs.server_problems:
        return "; its own frames broke rules: " + "; ".join(obs.server_problems)
    return ""


def _grade(case: Case, obs: _Observer, timeout: float) -> tuple[Grade, str]:
    expect = case.expect
    if isinstance(expect, Echo):
        grade, words = _grade_echo(expect, obs)
    elif isinstance(expect, Fail):
        grade, words = _grade_fail(expect, obs, timeout)
    elif isinstance(expect, CloseReply):
        grade, words = _grade_close(expect, obs, timeout)
    else:
        grade, words = _grade_observe(expect, obs)
    return grade, words + _extra_words(obs)


def _pong_words(expected: Sequence[bytes], got: Sequence[bytes]) -> tuple[str, str]:
    """("all" | "last" | "missing", words)."""
    if not expected:
        return "all", ""
    answered = [p for p in expected if p in got]
    n, m = len(answered), len(expected)
    if n == m:
        return "all", "answered the ping" if m == 1 else f"answered all {m} pings"
    if n and expected[-1] in got:
        return "last", f"answered {n} of the {m} pings, the last one included"
    if m == 1:
        return "missing", "did not answer the ping"
    return "missing", f"answered {n} of the {m} pings"


def _grade_echo(expect: Echo, obs: _Observer) -> tuple[Grade, str]:
    server_closed = obs.close_frame is not None and obs.close_first
    got = obs.messages
    diff = _compare(expect.messages, got)
    pong_state, pong_text = _pong_words(expect.pongs, obs.pongs)
    parts: list[str] = []
    if expect.messages:
        parts.append("echoed " + describe_messages(expect.messages) if diff is None else diff)
    if pong_text:
        parts.append(pong_text)
    if not parts:
        parts.append("ignored it and stayed usable")
    if diff is None and pong_state != "missing":
        if server_closed:
            return Grade.FAILED, "; ".join(parts) + f"; then {_ending(obs)}"
        grade = Grade.PASSED if pong_state == "all" else Grade.NON_STRICT
        if obs.close_frame is not None and obs.close_frame.close_code in (1000, None):
            closing = "closed cleanly"
            if obs.final is None or obs.tcp_left_open:
                closing += " (but the server left TCP open)"
                grade = Grade.NON_STRICT
        else:
            closing = _ending(obs)
            grade = Grade.NON_STRICT
        return grade, "; ".join(parts) + f"; {closing}"
    if (
        expect.limit_ok
        and server_closed
        and obs.close_frame is not None
        and obs.close_frame.close_code == 1009
    ):
        return Grade.INFO, f"the server refused the message as too big: {_ending(obs)}"
    if obs.timed_out and not obs.ended:
        parts.append(f"nothing more within the time limit ({_ending(obs)})")
    else:
        parts.append(_ending(obs))
    return Grade.FAILED, "; ".join(parts)


def _grade_fail(expect: Fail, obs: _Observer, timeout: float) -> tuple[Grade, str]:
    before = list(obs.messages[: len(expect.before)])
    extra = obs.messages[len(expect.before) :]
    echoed = ""
    if extra:
        n = len(extra)
        echoed = f"echoed {'the offending message' if n == 1 else f'{n} offending messages'}"
    on_its_own = (obs.close_frame is not None and obs.close_first) or (
        obs.dropped and not obs.final_close
    )
    if on_its_own:
        ending = _ending(obs)
        if echoed:
            return Grade.FAILED, f"{echoed}, then {ending}"
        frame = obs.close_frame
        if frame is None:
            grade, words = Grade.NON_STRICT, ending
        else:
            code = frame.close_code
            if code in expect.codes:
                grade, words = Grade.PASSED, ending
            elif code is None:
                grade, words = Grade.NON_STRICT, ending
            elif code in _ERROR_CODES:
                want = " or ".join(str(c) for c in expect.codes)
                grade, words = Grade.NON_STRICT, f"{ending}: an error, but {want} fits better"
            else:
                return Grade.FAILED, f"{ending}, a code that does not say anything was wrong"
        if expect.before and _compare(expect.before, before) is not None:
            if grade is Grade.PASSED:
                grade = Grade.NON_STRICT
            words = (
                f"{words}, without echoing {describe_messages(expect.before)} that came "
                "before the offending frame"
            )
        elif expect.before:
            words = f"echoed {describe_messages(expect.before)}; then {words}"
        if expect.by_phase is not None:
            phase = obs.close_phase if frame is not None else obs.end_phase
            if phase > expect.by_phase:
                if grade is Grade.PASSED:
                    grade = Grade.NON_STRICT
                words += " only after the rest of the message, not as soon as the bad bytes came"
            else:
                words += " as soon as the bad bytes came"
        return grade, words
    if echoed:
        return Grade.FAILED, f"{echoed} instead of failing the connection; {_ending(obs)}"
    if obs.sync_pongs:
        words = "ignored it: kept the connection open and answered our ping"
        if expect.ignore_ok:
            return Grade.NON_STRICT, f"{words} (it waits for the rest of the message)"
        return Grade.FAILED, f"{words}; {_ending(obs)} when we closed"
    return Grade.FAILED, f"no reaction within {timeout:g} s (no close, no pong); {_ending(obs)}"


def _grade_close(expect: CloseReply, obs: _Observer, timeout: float) -> tuple[Grade, str]:
    extra = len(obs.messages) - obs.messages_before_our_close
    if extra > 0:
        return Grade.FAILED, f"echoed data sent after our close frame; {_ending(obs)}"
    late = [p for p in expect.no_pongs if p in obs.pongs]
    if late:
        return Grade.FAILED, f"answered a ping sent after our close frame; {_ending(obs)}"
    frame = obs.close_frame
    if frame is not None:
        code = frame.close_code
        words = _ending(obs)
        if code in expect.codes:
            grade = Grade.PASSED
        elif code in expect.lenient:
            grade = Grade.NON_STRICT
        else:
            want = " or ".join(code_words(c) for c in expect.codes)
            return Grade.FAILED, f"{words}; {want} is expected"
        if grade is Grade.PASSED and (obs.final is None or obs.tcp_left_open):
            grade = Grade.NON_STRICT
        return grade, words
    if obs.final is not None:
        return (Grade.NON_STRICT if expect.drop_ok else Grade.FAILED), _ending(obs)
    return Grade.FAILED, f"no answer to our close frame within {timeout:g} s"


def _grade_observe(expect: Observe, obs: _Observer) -> tuple[Grade, str]:
    parts: list[str] = []
    if expect.messages:
        diff = _compare(expect.messages, obs.messages)
        parts.append("echoed " + describe_messages(expect.messages) if diff is None else diff)
    elif obs.messages:
        parts.append(f"sent {len(obs.messages)} message(s) back")
    if obs.pongs:
        parts.append("answered with a pong")
    if (obs.close_frame is not None and obs.close_first) or (obs.dropped and not obs.final_close):
        parts.append(_ending(obs))
    elif obs.sync_pongs:
        parts.append("answered our ping afterwards")
        parts.append(_ending(obs))
    else:
        parts.append("no reaction (a ping sent after it got no answer)")
        parts.append(_ending(obs))
    return Grade.INFO, "; ".join(parts)
