"""Running the probe: one fresh connection per case, bounded in time, graded in words.

How a case runs: connect (offering permessage-deflate only when the case is about
it), perform the steps, then send a *sync ping*. Its pong says the server has
processed everything before it, so a case need not wait for a timeout to learn that
the server ignored a frame: a server that fails the connection does so before the
pong (or, for servers that check a message lazily, within a short grace after it).
Then we close (unless the server or the case already did) and grade what was seen
(:mod:`.grading`): echoed messages, pongs, the server's close frame and code, or a
TCP drop.

When new connections fail (refused, timed out, no route), or the server stopped
answering altogether, the cases not yet started are graded failed at once (see
:mod:`.gate`).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import datetime
import itertools
import logging
import select
from collections.abc import Callable, Iterable, Sequence

from ..capture.events import Direction, HandshakeCaptured
from ..engine.client import connect, new_client_connection
from ..engine.connection import Connection
from ..engine.options import ConnectError, ConnectOptions
from ..protocol.connection import Protocol
from ..protocol.constants import Opcode, Role
from ..protocol.deflate import DeflateError, DeflateOffer, PerMessageDeflate, negotiate_client
from ..protocol.frames import FrameSpec, encode_frame
from ..protocol.headers import HeaderParseError, parse_extensions
from ..protocol.violations import LocalProtocolError
from .case import Case
from .cases import select_cases
from .gate import UNREACHABLE_STEPS, Gate
from .grading import grade
from .keep import CASE_CAPTURE_BYTES, case_capture
from .model import (
    Chopped,
    CloseReply,
    Deflated,
    Echo,
    Frames,
    Grade,
    Observe,
    Pause,
    SendMessage,
    Sync,
    materialize,
)
from .observer import SYNC_PREFIX, Observer
from .results import CaseResult, ProbeReport

__all__ = [
    "DEFAULT_CONCURRENCY",
    "DEFAULT_TIMEOUT",
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
#: Below this many buffered bytes, sending goes on without waiting to drain.
_WRITE_LOW = 64 * 1024
#: With this much unsent after the server's close frame, abort rather than wait.
_STUCK = 2**20
#: How many times a write waits for the reads before it (a server that streams
#: without pause keeps the socket readable: then write anyway).
_READ_FIRST_ROUNDS = 20
#: The probe's frames and messages may be as large as the largest case needs.
_CASE_LIMIT = 64 * 2**20
_PING = int(Opcode.PING)
_CLOSE = int(Opcode.CLOSE)


def _unread_input(conn: Connection) -> bool:
    """Bytes (or the end of the stream) wait in the connection's socket, unread."""
    transport = conn.transport
    sock = transport.get_extra_info("socket") if transport is not None else None
    if sock is None:
        return False
    try:
        readable, _, _ = select.select([sock], [], [], 0)
    except (OSError, ValueError):  # closed under us: nothing more to read
        return False
    return bool(readable)


class ProbeUnreachable(ConnectError):
    """The server could not be reached at all: no case was run."""


# ------------------------------------------------------------------------------ running
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
        max_message_size=max(base.max_message_size or 0, _CASE_LIMIT),
        max_frame_size=max(base.max_frame_size or 0, _CASE_LIMIT),
    )


@dataclasses.dataclass(frozen=True, slots=True)
class _Keep:
    """What each case's capture keeps: nothing, or its frames within ``limit``
    payload bytes (None: no limit)."""

    captures: bool = True
    limit: int | None = CASE_CAPTURE_BYTES


class _CaseRun:
    def __init__(
        self,
        case: Case,
        url: str,
        options: ConnectOptions,
        timeout: float,
        gate: Gate,
        keep: _Keep,
    ) -> None:
        self.case = case
        self.keep = keep
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
        #: The case's time limit while its steps run (moved on by its own pacing).
        self._limit: asyncio.Timeout | None = None

    def result(
        self,
        verdict: Grade,
        observed: str,
        t0: float,
        conn: Connection | None = None,
        obs: Observer | None = None,
    ) -> CaseResult:
        close = obs.close if obs is not None else None
        return CaseResult(
            id=self.case.id,
            category=self.case.category,
            title=self.case.title,
            grade=verdict,
            expected=self.case.expected,
            observed=observed,
            close_code=close.code if close is not None else None,
            close_reason=close.reason if close is not None else None,
            duration=self.loop.time() - t0,
            store=conn.store if conn is not None else None,
        )

    async def run(self) -> CaseResult:
        await self.gate.settle()
        t0 = self.loop.time()
        if self.gate.down is not None:
            return self.result(Grade.FAILED, f"not run: {self.gate.down}", t0)
        deadline = t0 + self.budget
        for attempt in (1, 2):
            conn = new_client_connection(self.url, self.options)
            self._capture(conn)
            obs = Observer()
            conn.subscribe(obs)
            try:
                await connect(self.url, self.options, connection=conn)
            except ConnectError as exc:
                if exc.step not in UNREACHABLE_STEPS:
                    words = f"the opening handshake failed: {exc.message}"
                    return self.result(Grade.FAILED, words, t0, conn, obs)
                if attempt == 1 and self.gate.down is None:
                    continue  # one failed connection is not yet an unreachable server
                self.gate.unreachable(f"new connections fail: {exc.step}: {exc.message}")
                words = f"server unreachable: {exc.step}: {exc.message}"
                return self.result(Grade.FAILED, words, t0, conn, obs)
            except Exception as exc:  # a bug must not stop the battery
                log.exception("case %s could not connect", self.case.id)
                conn.abort()
                words = f"the probe could not connect: {exc}"
                return self.result(Grade.FAILED, words, t0, conn, obs)
            break
        try:
            if self.case.deflate is not None:
                problem = self._setup_deflate(conn, obs)
                if problem is not None:
                    verdict, words = problem
                    await self._finish(conn, obs)
                    return self.result(verdict, words, t0, conn, obs)
            try:
                async with asyncio.timeout_at(deadline) as limit:
                    self._limit = limit
                    await self._steps(conn, obs)
                    await self._final_wait(conn, obs, self._deadline())
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
        self.gate.after(self.case, obs)
        verdict, words = grade(self.case, obs, self.waited)
        if self.negotiated is not None and self.case.deflate:
            words = f"negotiated '{self.negotiated}'; {words}"
        return self.result(verdict, words, t0, conn, obs)

    def _capture(self, conn: Connection) -> None:
        """Replace the connection's capture with the case's (bounded, or none)."""
        if conn.store is not None:
            conn.unsubscribe(conn.store.add)
            conn.store = None
        if self.keep.captures:
            conn.store, listener = case_capture(conn.session, self.keep.limit)
            conn.subscribe(listener, messages="composite")

    # -- permessage-deflate
    def _setup_deflate(self, conn: Connection, obs: Observer) -> tuple[Grade, str] | None:
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
            if not conn.deflate_negotiated:
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
    def _server_ended(self, conn: Connection, obs: Observer) -> bool:
        return obs.ended or conn.is_closing

    async def _drain(self, conn: Connection, obs: Observer) -> None:
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

    async def _may_write(self, conn: Connection, obs: Observer) -> bool:
        """Read what the server already sent before writing more; False once it has
        ended the connection (then nothing more is written).

        A server that failed the connection may reset TCP as soon as more of our
        bytes reach it; a write after the reset fails, and the event loop then drops
        the connection without reading what is still in the socket: the server's
        close frame. The loop always resumes a task before the reads of the same
        iteration, so yielding alone cannot guarantee the read: ask the socket."""
        await self._read_pending(conn, obs)
        return not self._server_ended(conn, obs)

    async def _read_pending(self, conn: Connection, obs: Observer) -> None:
        """Let the event loop read what waits in the socket (bounded)."""
        for _ in range(_READ_FIRST_ROUNDS):
            if self._server_ended(conn, obs) or not _unread_input(conn):
                return
            await asyncio.sleep(0)  # the read queued behind us runs now

    async def _send(self, conn: Connection, obs: Observer, specs: Iterable[FrameSpec]) -> None:
        """Send frames back to back in one write: the server reads them together, as
        one step of the case, however the two processes are scheduled (frames written
        one by one reach a server that already failed the connection on an earlier
        one, and its TCP reset can take its close frame with it)."""
        proto = conn.protocol
        assert proto is not None
        if not await self._may_write(conn, obs):
            return
        for spec in specs:
            if spec.opcode == _CLOSE and not obs.we_closed:
                obs.we_closed = True
            elif spec.fin and spec.opcode in (0, 1, 2) and not obs.we_closed:
                obs.messages_before_our_close += 1
            proto.send_frame(spec)
        conn.flush()
        await self._drain(conn, obs)

    def _deadline(self) -> float:
        when = self._limit.when() if self._limit is not None else None
        assert when is not None
        return when

    async def _pace(self, seconds: float) -> None:
        """Sleep ``seconds`` of the case's own pacing (a pause, a byte at a time), and
        move the case's time limit on by as long as the sleep really took: on a loaded
        machine 256 sleeps of 1 ms can take seconds, and that is our time, not the
        server's (case 1.6.1 was graded failed under load)."""
        start = self.loop.time()
        await asyncio.sleep(seconds)
        if self._limit is not None:
            self._limit.reschedule(self._deadline() + self.loop.time() - start)

    async def _steps(self, conn: Connection, obs: Observer) -> None:
        for step in self.case.steps:
            if self._server_ended(conn, obs):
                return
            if isinstance(step, Frames):
                await self._send(conn, obs, step.frames)
            elif isinstance(step, SendMessage):
                await self._message(conn, obs, step)
            elif isinstance(step, Chopped):
                await self._chopped(conn, obs, step)
            elif isinstance(step, Pause):
                await self._pace(step.seconds)
                obs.phase += 1
            elif isinstance(step, Sync):
                await self._sync(conn, obs, self._deadline())
                obs.phase += 1
            elif isinstance(step, Deflated):
                await self._send(conn, obs, self._deflated(conn, step))

    async def _message(self, conn: Connection, obs: Observer, step: SendMessage) -> None:
        proto = conn.protocol
        assert proto is not None
        if not await self._may_write(conn, obs):
            return
        data = materialize(step.payload)
        n = len(data)
        fragments = max(1, -(-n // step.fragment_size)) if step.fragment_size else 1
        proto.send_message(step.opcode, data, fragments=fragments, compress=step.compress)
        if not obs.we_closed:
            obs.messages_before_our_close += 1
        conn.flush()
        await self._drain(conn, obs)

    async def _chopped(self, conn: Connection, obs: Observer, step: Chopped) -> None:
        if any(spec.opcode == _CLOSE for spec in step.frames):
            obs.we_closed = True
        data = b"".join(b"".join(encode_frame(spec, Role.CLIENT)) for spec in step.frames)
        data = data[step.start : step.upto]
        for i in range(0, len(data), step.chunk):
            if not await self._may_write(conn, obs):
                return
            conn.send_raw(data[i : i + step.chunk])
            await self._drain(conn, obs)
            await self._pace(step.delay)
        if step.upto is None:
            obs.messages_before_our_close += sum(
                1 for spec in step.frames if spec.fin and spec.opcode in (0, 1, 2)
            )

    def _deflated(self, conn: Connection, step: Deflated) -> list[FrameSpec]:
        proto = conn.protocol
        assert proto is not None and proto.deflate is not None
        data = proto.deflate.compress(step.payload)
        bounds = [0, *step.splits, len(data)]
        chunks = [data[a:b] for a, b in itertools.pairwise(bounds)]
        rsv1 = step.rsv1 or tuple(i == 0 for i in range(len(chunks)))
        last = len(chunks) - 1
        return [
            FrameSpec(
                step.opcode if i == 0 else 0,
                chunk,
                fin=i == last,
                rsv1=rsv1[i] if i < len(rsv1) else False,
            )
            for i, chunk in enumerate(chunks)
        ]

    async def _sync_ping(self, conn: Connection, obs: Observer) -> bytes | None:
        if obs.we_closed or not await self._may_write(conn, obs):
            return None
        self.syncs += 1
        payload = SYNC_PREFIX + str(self.syncs).encode()
        conn.send_frame(FrameSpec(_PING, payload))
        return payload

    async def _sync(self, conn: Connection, obs: Observer, deadline: float) -> None:
        sent = self.loop.time()
        payload = await self._sync_ping(conn, obs)
        if payload is None:
            return
        await obs.until(lambda: payload in obs.sync_pongs or obs.ended, deadline)
        if payload in obs.sync_pongs:
            obs.rtt = max(obs.rtt, obs.sync_pongs[payload] - sent)
        grace = self.loop.time() + _FAIL_GRACE + 4 * obs.rtt
        await obs.until(lambda: obs.ended, min(grace, deadline))
        # A loop busy elsewhere (a neighbour case's megabytes) may have kept the
        # server's answer unread past the grace: it belongs to this phase.
        await self._read_pending(conn, obs)

    async def _final_wait(self, conn: Connection, obs: Observer, deadline: float) -> None:
        expect = self.case.expect
        if self.case.wait is not None:
            deadline = min(deadline, self.loop.time() + self.case.wait)
        self.waited = self.timeout if self.case.wait is None else self.case.wait
        if obs.we_closed or isinstance(expect, CloseReply):
            await obs.until(lambda: obs.tcp_closed, deadline)
            return
        sent = self.loop.time()
        payload = await self._sync_ping(conn, obs)
        loop = self.loop

        def synced() -> float | None:
            if payload is None or payload not in obs.sync_pongs:
                return None
            at = obs.sync_pongs[payload]
            obs.rtt = max(obs.rtt, at - sent)
            return at

        def closed_enough() -> bool:
            # Once the server's close frame is in, wait a little for TCP to end.
            if obs.tcp_closed:
                return True
            return (
                obs.close is not None
                and loop.time() - obs.close_at > _CLOSE_WAIT
                and not _unread_input(conn)
            )

        if isinstance(expect, Echo) or (isinstance(expect, Observe) and expect.messages):
            wanted = expect.messages
            pongs = expect.pongs if isinstance(expect, Echo) else ()

            def done() -> bool:
                if obs.ended:
                    return True
                at = synced()
                if at is None:
                    return False
                if len(obs.messages) >= len(wanted) and all(p in obs.pongs for p in pongs):
                    return True
                # Time alone says nothing while bytes wait unread (the loop was busy).
                idle = loop.time() - max(at, obs.last_rx) > _ECHO_IDLE + 4 * obs.rtt
                return idle and not _unread_input(conn)

        else:

            def done() -> bool:
                if obs.ended:
                    return closed_enough()
                at = synced()
                if at is None or loop.time() - at <= _FAIL_GRACE + 4 * obs.rtt:
                    return False
                return not _unread_input(conn)

        await obs.until(done, deadline)

    async def _finish(self, conn: Connection, obs: Observer) -> None:
        """Close (if nobody did), bounded; abort if the server does not cooperate."""
        if not obs.tcp_closed and self._stuck(conn, obs):
            conn.abort()
        if not obs.tcp_closed:
            may_write = await self._may_write(conn, obs)
            if may_write and not conn.close_sent and not obs.we_closed:
                obs.we_closed = True
                obs.final_close = True
                with contextlib.suppress(LocalProtocolError):
                    conn.send_close(1000)
            await obs.until(lambda: obs.tcp_closed, self.loop.time() + self.close_wait)
        if not obs.tcp_closed:
            obs.aborted = True
            conn.abort()
            await obs.until(lambda: obs.tcp_closed, self.loop.time() + 0.5)

    def _stuck(self, conn: Connection, obs: Observer) -> bool:
        """The server closed while megabytes of ours wait to be written: it will not
        read them, so our reply to its close frame would never get through."""
        transport = conn.transport
        return (
            obs.close is not None
            and transport is not None
            and transport.get_write_buffer_size() > _STUCK
        )


async def run_case(
    case: Case,
    url: str,
    *,
    timeout: float = DEFAULT_TIMEOUT,
    options: ConnectOptions | None = None,
    max_capture_bytes: int | None = CASE_CAPTURE_BYTES,
) -> CaseResult:
    """Run one case on a fresh connection to ``url``; never raises for the server's
    behaviour (an unreachable server is a failed case). The capture in the result
    keeps ``max_capture_bytes`` of payload whole (see :mod:`.keep`)."""
    options = options or ConnectOptions()
    gate = Gate(url, options, timeout)
    keep = _Keep(True, max_capture_bytes)
    try:
        return await _CaseRun(case, url, options, timeout, gate, keep).run()
    finally:
        await gate.close()


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
    max_capture_bytes: int | None = CASE_CAPTURE_BYTES,
) -> ProbeReport:
    """Run the battery (or the cases of ``categories``/``ids``, or ``cases``) against
    ``url``, ``concurrency`` connections at a time, ``timeout`` seconds per case (more
    for large payloads). ``on_result`` is called with each result as it is graded
    (completion order); the report lists them in case order.

    Raises :class:`ProbeUnreachable` when the server cannot be reached at all, and
    ``ValueError`` for an unknown category or case id. ``options`` supplies headers,
    TLS settings and the like; the probe sets the rest per case. Each result keeps
    its case's capture (``keep_captures``), ``max_capture_bytes`` of payload whole
    (see :mod:`.keep`; None: everything).
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
    gate = Gate(url, base, timeout)
    semaphore = asyncio.Semaphore(concurrency)
    keep = _Keep(keep_captures, max_capture_bytes)

    async def one(case: Case) -> CaseResult:
        async with semaphore:
            result = await _CaseRun(case, url, base, timeout, gate, keep).run()
        if on_result is not None:
            try:
                on_result(result)
            except Exception:  # the caller's problem must not stop the battery
                log.exception("on_result callback failed for case %s", case.id)
        return result

    try:
        results = await asyncio.gather(*(one(case) for case in chosen))
    finally:
        await gate.close()
    return ProbeReport(
        url=url,
        results=tuple(results),
        started_at=started,
        duration=loop.time() - t0,
        server=server,
        extensions=extensions,
        unreachable=gate.down,
    )
