"""Automation in the window: the GUI's adapter over :mod:`inspector.automation`.

:func:`start_replay` replays a capture in a session tab: the tab's controller
connects with the capture's handshake options (its own connection, captured and
journaled like any other), and a :class:`ReplayJob` sends the capture's steps on it
with the same code as ``ws-inspector replay`` (:func:`~inspector.automation.replay.send_steps`,
:func:`~inspector.automation.replay.listen_then_close`), then compares the server's
answers (:func:`~inspector.automation.compare.compare_sessions`).

:class:`ConnectionHooks` runs a user's script (:class:`~inspector.automation.hooks.HookRunner`)
on one live connection of a controller, until the connection ends or it is detached.

No other module of ``gui/automation`` reaches the engine or the automation code
that drives connections: what it needs is re-exported here.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from ...automation.compare import Difference, DifferenceKind, compare_sessions
from ...automation.hooks import (
    DEFAULT_SLOW_AFTER,
    HookReport,
    HookRunner,
    Reporter,
    ReportKind,
    Script,
    ScriptError,
)
from ...automation.replay import (
    ReplayError,
    ReplayPlan,
    listen_then_close,
    parse_timing,
    plan_replay,
    send_steps,
)
from ...capture.events import ConnectionState
from ...capture.store import CaptureStore
from ...engine.connection import Connection
from .controller import SessionController, spawn

__all__ = [
    "ANSWER_WAIT",
    "DEFAULT_SLOW_AFTER",
    "ConnectionHooks",
    "Difference",
    "DifferenceKind",
    "HookReport",
    "ReplayError",
    "ReplayJob",
    "ReplayOutcome",
    "ReplayPlan",
    "ReportKind",
    "Reporter",
    "Script",
    "ScriptError",
    "follow_replay",
    "live_connection",
    "parse_timing",
    "plan_replay",
    "replay_options",
    "start_replay",
]

log = logging.getLogger(__name__)

#: Seconds a replay listens after its last step before closing (as the CLI's --wait).
REPLAY_WAIT = 1.0
#: Seconds a close step waits for the answers the capture had before it.
ANSWER_WAIT = 5.0


def live_connection(controller: SessionController) -> Connection | None:
    """The controller's connection while it is connecting or open (None for a file,
    an empty tab or a connection that ended)."""
    # The adapter is the controller's own package: it may look at its connection.
    conn = controller._conn
    if conn is None or conn.state is ConnectionState.CLOSED:
        return None
    return conn


@dataclass(slots=True)
class ReplayOutcome:
    """How a replay went. ``reason``: why it did not open or did not end cleanly
    ("" when it did); ``differences`` only when ``compared``."""

    opened: bool
    sent: int
    steps: int
    stopped: bool = False
    compared: bool = False
    differences: list[Difference] = field(default_factory=list)
    reason: str = ""


class ReplayJob:
    """One replay running on a controller's connection. Not a QObject: it may
    outlive the tab that shows it (a closed tab aborts the connection and the job
    ends by itself); whoever shows it sets :attr:`on_done`."""

    def __init__(
        self,
        controller: SessionController,
        conn: Connection,
        captured: CaptureStore,
        plan: ReplayPlan,
        scale: float,
        *,
        compare: bool,
        wait: float = REPLAY_WAIT,
        answer_wait: float = ANSWER_WAIT,
    ) -> None:
        self.controller = controller
        self.conn = conn
        self.captured = captured
        self.plan = plan
        self.scale = scale
        self.compare = compare
        self.wait = wait
        self.answer_wait = answer_wait
        self.outcome: ReplayOutcome | None = None
        self.on_done: Callable[[ReplayOutcome], None] | None = None
        self._stopped = False
        self._sending: asyncio.Future[int] | None = None
        self.task: asyncio.Task[ReplayOutcome] | None = None

    @property
    def store(self) -> CaptureStore | None:
        """The replay's own capture."""
        return self.conn.store

    @property
    def running(self) -> bool:
        return self.task is not None and not self.task.done()

    def stop(self) -> None:
        """Send nothing more; the connection is then closed (1000) at once."""
        self._stopped = True
        if self._sending is not None and not self._sending.done():
            self._sending.cancel()

    async def run(self, attempt: asyncio.Task[None]) -> ReplayOutcome:
        conn = self.conn
        steps = len(self.plan.steps)
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.shield(attempt)
        if not conn.is_open or self._stopped:
            reason = conn.error.message if conn.error is not None else "the connection did not open"
            if conn.is_open:
                await listen_then_close(conn, 0.0)
            return self._done(ReplayOutcome(False, 0, steps, stopped=self._stopped, reason=reason))
        sent = 0
        self._sending = asyncio.ensure_future(
            send_steps(conn, self.plan.steps, self.scale, answer_wait=self.answer_wait)
        )
        try:
            sent = await self._sending
        except asyncio.CancelledError:
            if not self._stopped:
                raise  # we were cancelled, not stopped
        await listen_then_close(conn, 0.0 if self._stopped else self.wait)
        outcome = ReplayOutcome(True, sent, steps, stopped=self._stopped)
        last = conn.final_state
        if conn.error is not None:
            outcome.reason = conn.error.message
        elif last is None or not last.clean:
            outcome.reason = "the connection did not close cleanly"
        if self.compare and conn.store is not None:
            outcome.compared = True
            outcome.differences = compare_sessions(self.captured, conn.store)
        return self._done(outcome)

    def _done(self, outcome: ReplayOutcome) -> ReplayOutcome:
        self.outcome = outcome
        self.controller.drain()  # the tab shows the end before the result
        if self.on_done is not None:
            self.on_done(outcome)
        return outcome


def replay_options(controller: SessionController, plan: ReplayPlan) -> None:
    """Give ``controller`` the capture's handshake options, on top of its own
    (timeouts, TLS; its extra headers come last and win)."""
    base = controller.options
    controller.options = plan.connect_options(base, base.headers)


def follow_replay(
    controller: SessionController,
    attempt: asyncio.Task[None],
    captured: CaptureStore,
    plan: ReplayPlan,
    scale: float,
    *,
    compare: bool,
    wait: float = REPLAY_WAIT,
    answer_wait: float = ANSWER_WAIT,
) -> ReplayJob:
    """Replay ``plan`` on the connection ``controller`` just started (``attempt``:
    the task :meth:`SessionController.connect_to` returned); the job runs as a task
    (:attr:`ReplayJob.task`)."""
    conn = controller._conn
    if conn is None:
        raise ValueError("the controller has no connection to replay on")
    job = ReplayJob(
        controller, conn, captured, plan, scale, compare=compare, wait=wait, answer_wait=answer_wait
    )
    job.task = spawn(job.run(attempt), "replaying a capture")
    return job


def start_replay(
    controller: SessionController,
    url: str,
    captured: CaptureStore,
    plan: ReplayPlan,
    scale: float,
    *,
    compare: bool,
    wait: float = REPLAY_WAIT,
    answer_wait: float = ANSWER_WAIT,
) -> ReplayJob:
    """Connect ``controller`` to ``url`` with the capture's handshake options and
    replay ``plan`` there (a tab does the connecting itself, then
    :func:`follow_replay`)."""
    replay_options(controller, plan)
    attempt = controller.connect_to(url)
    return follow_replay(
        controller,
        attempt,
        captured,
        plan,
        scale,
        compare=compare,
        wait=wait,
        answer_wait=answer_wait,
    )


class ConnectionHooks:
    """A script's hooks on one connection, reported to ``report`` (called from the
    GUI thread, and from the watchdog's thread for a hook still running). Ends by
    itself when the connection does; :meth:`detach` ends it sooner."""

    def __init__(
        self,
        script: Script,
        conn: Connection,
        report: Reporter,
        *,
        slow_after: float = DEFAULT_SLOW_AFTER,
        label: str = "",
    ) -> None:
        self.script = script
        self.conn = conn
        self.runner = HookRunner(script, report, slow_after=slow_after, watchdog=True)
        self.hconn = self.runner.attach(conn, label)
        self.ended = False
        self._closing: asyncio.Task[None] | None = None
        self.on_end: Callable[[ConnectionHooks], None] | None = None
        conn.closed.add_done_callback(lambda _f: self._end())

    @property
    def errors(self) -> int:
        return sum(self.runner.errors.values())

    @property
    def slow(self) -> int:
        return sum(self.runner.slow.values())

    def detach(self) -> None:
        """No more hooks on the connection, which goes on."""
        self.runner.detach(self.hconn)
        self._end()

    def _end(self) -> None:
        if self.ended:
            return
        self.ended = True
        try:
            self._closing = spawn(self.runner.aclose(), "ending a script")
        except RuntimeError:  # no running loop (the app is going away)
            self.runner.close()
        if self.on_end is not None:
            self.on_end(self)

    async def aclose(self, timeout: float = 1.0) -> None:
        """Detach and wait (bounded) for the script's pending ``async`` hooks."""
        self.detach()
        if self._closing is not None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(self._closing), timeout * 2)
