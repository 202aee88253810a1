"""Running the check-up from the window: the probe battery on the qasync loop, its
results handed to the view in batches.

:class:`ProbeController` is, with the probe pane's other modules, the only GUI code
that calls the probe. The probe calls ``on_result`` once per graded case; the
controller only appends it to a pending list, and a single-shot Qt timer
(:attr:`ProbeController.TICK_MS`) hands the view a batch: one ``rowsInserted`` per
tick, never one model reset per result.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import logging
from collections.abc import Sequence

from PySide6.QtCore import QObject, QTimer, Signal

from ...probe import (
    DEFAULT_CONCURRENCY,
    DEFAULT_TIMEOUT,
    Case,
    CaseResult,
    ProbeReport,
    ProbeUnreachable,
    run_probe,
    select_cases,
)
from ..session.controller import ConnectOptions
from ..session.support import check_url, spawn
from . import export

__all__ = ["ProbeController", "probe_options"]

log = logging.getLogger(__name__)


def probe_options(options: ConnectOptions | None, timeout: float) -> ConnectOptions:
    """What the probe takes from a tab's options: headers, subprotocols, origin, TLS.
    The probe sets compression, limits and the rest per case."""
    o = options or ConnectOptions()
    return ConnectOptions(
        headers=tuple(o.headers),
        subprotocols=tuple(o.subprotocols),
        origin=o.origin,
        open_timeout=max(timeout, 1.0),
        tls=o.tls,
    )


class ProbeController(QObject):
    """Runs the probe battery and hands the results over in batches.

    Signals: ``started(int)`` with the number of cases; ``resultsAdded(list)`` with
    the results graded since the last tick (a few per second at most);
    ``finished(str)`` with ``"done"``, ``"stopped"`` or ``"error"`` (then
    :attr:`message` says what went wrong, in words).
    """

    TICK_MS = 50

    started = Signal(int)
    resultsAdded = Signal(list)
    finished = Signal(str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("probeController")
        self.results: list[CaseResult] = []
        self.total = 0
        self.url = ""
        self.report: ProbeReport | None = None
        self.message = ""
        self.outcome = ""
        self.started_at = ""
        self.duration = 0.0
        self._t0 = 0.0
        self._task: asyncio.Task[None] | None = None
        self._running = False
        self._detached = False  # the view is going away: no more signals
        self._pending: list[CaseResult] = []
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(self.TICK_MS)
        self._timer.timeout.connect(self._drain)
        #: How many ticks delivered results (for tests and diagnostics).
        self.ticks = 0

    @property
    def running(self) -> bool:
        """The battery is under way (false as soon as ``finished`` is emitted)."""
        return self._running

    @property
    def task(self) -> asyncio.Task[None] | None:
        return self._task

    def start(
        self,
        url: str,
        categories: Sequence[str] | None = None,
        *,
        options: ConnectOptions | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        concurrency: int = DEFAULT_CONCURRENCY,
    ) -> asyncio.Task[None] | None:
        """Start the battery (the cases of ``categories``; all when None). Returns
        the task, or None when nothing could be started (then ``finished("error")``
        was emitted and :attr:`message` says why)."""
        if self.running:
            return self._task
        self._timer.stop()
        self._pending.clear()
        self.results = []
        self.report = None
        self.message = ""
        self.outcome = ""
        self.url = url.strip()
        problem = check_url(self.url)
        try:
            cases = select_cases(categories)
        except ValueError as exc:
            problem = str(exc)
            cases = ()
        if problem is None and not cases:
            problem = "no category chosen: tick at least one"
        if problem is not None:
            self.total = 0
            self.message = problem
            self.outcome = "error"
            self.finished.emit("error")
            return None
        self.total = len(cases)
        loop = asyncio.get_running_loop()
        self._t0 = loop.time()
        self.started_at = (
            datetime.datetime.now(datetime.UTC).astimezone().isoformat(timespec="seconds")
        )
        self._running = True
        self.started.emit(self.total)
        task = spawn(
            self._run(self.url, cases, options, timeout, concurrency), "checking the server"
        )
        self._task = task
        return task

    async def _run(
        self,
        url: str,
        cases: Sequence[Case],
        options: ConnectOptions | None,
        timeout: float,
        concurrency: int,
    ) -> None:
        loop = asyncio.get_running_loop()
        try:
            report = await run_probe(
                url,
                cases=cases,
                on_result=self._on_result,
                concurrency=concurrency,
                timeout=timeout,
                options=probe_options(options, timeout),
                keep_captures=True,
            )
        except asyncio.CancelledError:
            self._end("stopped", "", loop)
            raise
        except ProbeUnreachable as exc:
            self._end("error", f"cannot reach {url}: {exc.message} (step: {exc.step})", loop)
        except (ValueError, OSError) as exc:
            self._end("error", f"the check could not run: {exc}", loop)
        else:
            self.report = report
            self._end("done", "", loop)

    def _end(self, outcome: str, message: str, loop: asyncio.AbstractEventLoop) -> None:
        self._running = False
        if self._detached:
            return
        self.duration = loop.time() - self._t0
        self._drain()
        self._running = False
        self.outcome = outcome
        self.message = message
        self.finished.emit(outcome)

    def stop(self) -> None:
        """Cancel the battery; every case under way aborts its connection. The
        results so far stay."""
        if self._task is not None and not self._task.done():
            self._task.cancel()

    async def astop(self, timeout: float = 2.0) -> None:
        """Stop and wait (bounded) until the battery's task has ended."""
        task = self._task
        self.stop()
        if task is not None and not task.done():
            with contextlib.suppress(asyncio.CancelledError, TimeoutError, Exception):
                await asyncio.wait_for(asyncio.shield(task), timeout)

    def detach(self) -> None:
        """The view is going away: stop the battery and emit nothing more."""
        self._detached = True
        self.stop()
        self._timer.stop()
        self._pending.clear()

    def _on_result(self, result: CaseResult) -> None:
        # Called by the engine once per case: append, and arm the tick only when
        # the list was empty.
        if self._detached:
            return
        pending = self._pending
        pending.append(result)
        if len(pending) == 1:
            self._timer.start()

    def _drain(self) -> None:
        self._timer.stop()
        batch = self._pending
        if not batch:
            return
        self._pending = []
        self.results.extend(batch)
        self.ticks += 1
        self.resultsAdded.emit(batch)

    # ------------------------------------------------------------------ report
    def current_report(self) -> ProbeReport:
        """The finished report, or one made of the results so far (case order)."""
        if self.report is not None:
            return self.report
        return ProbeReport(
            url=self.url,
            results=tuple(self.results),
            started_at=self.started_at,
            duration=self.duration,
            unreachable=self.message or None,
        )

    def export_json(self, path: str) -> int:
        """Write the results as JSON Lines (one object per case); returns the line
        count. Raises OSError."""
        return export.write_json_lines(self.current_report(), path)

    def export_html(self, path: str) -> None:
        """Write the self-contained HTML report. Raises OSError."""
        export.write_html_report(self.current_report(), path)
