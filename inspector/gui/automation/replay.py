"""Replay against… in the window: from a capture tab (a file, a recovered journal
or a live capture that ended) to a new live tab running the replay, with its panel
of differences."""

from __future__ import annotations

import contextlib
import os
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject
from shiboken6 import isValid

from ...capture.formats.har import is_message_level
from ...capture.store import CaptureStore
from ..captures.tabs import open_store_tab
from ..session.automation import (
    ANSWER_WAIT,
    ReplayError,
    ReplayJob,
    ReplayOutcome,
    follow_replay,
    parse_timing,
    plan_replay,
    replay_options,
)
from ..window.session_panel import SessionPanel
from .model import difference_rows, difference_text, replay_summary
from .placement import add_to_panel
from .replay_dialog import ReplayDialog, ReplayRequest
from .replay_panel import DifferenceLink, ReplayPanel

if TYPE_CHECKING:
    from ..window.main_window import MainWindow

__all__ = ["ReplayLauncher", "replay_problem", "source_name"]


def replay_problem(panel: SessionPanel | None) -> str | None:
    """Why ``panel``'s capture cannot be replayed now, or None."""
    if panel is None or panel.controller.store is None:
        return "nothing to replay: open a capture, or connect and close first"
    c = panel.controller
    if not c.read_only and (c.busy or c.can_send_frames or c.is_closing):
        return "the connection is still open: close it before replaying its capture"
    return None


def source_name(panel: SessionPanel) -> str:
    """What a replay calls its capture: the file's name, else the tab's."""
    path = panel.controller.source_path
    return os.path.basename(path) if path else panel.title


class _Replay:
    """One replay: its tab, panel and job, and the capture it came from."""

    def __init__(
        self,
        launcher: ReplayLauncher,
        source: SessionPanel,
        captured: CaptureStore,
        name: str,
        panel: SessionPanel,
    ) -> None:
        self.launcher = launcher
        self.source = source
        self.captured = captured
        self.name = name
        self.panel = panel
        self.view = ReplayPanel(self.show_replayed, self.show_captured, self.stop, panel)
        add_to_panel(panel, self.view)
        self.job: ReplayJob | None = None

    def stop(self) -> None:
        if self.job is not None:
            self.job.stop()

    def done(self, outcome: ReplayOutcome) -> None:
        self.launcher.finished(self)
        if not isValid(self.view):
            return  # the tab was closed meanwhile
        store = self.job.store if self.job is not None else None
        links: list[DifferenceLink] = []
        if store is not None:
            for diff in outcome.differences:
                captured_row, replayed_row = difference_rows(diff, self.captured, store)
                links.append((difference_text(diff), captured_row, replayed_row))
        text = replay_summary(
            self.name,
            running=False,
            steps=outcome.steps,
            sent=outcome.sent,
            compared=outcome.compared,
            differences=len(outcome.differences),
            stopped=outcome.stopped,
            reason=outcome.reason,
        )
        self.view.set_done(text, links, failed=bool(outcome.reason) or not outcome.opened)

    # ------------------------------------------------------------- links
    def show_replayed(self, row: int) -> None:
        panel = self.panel
        if not isValid(panel):
            return
        window = self.launcher.window
        window.tabs.setCurrentWidget(panel)
        _select(panel, row)

    def show_captured(self, row: int) -> None:
        window = self.launcher.window
        source = self.source
        if not (
            isValid(source)
            and window.tabs.indexOf(source) >= 0
            and source.controller.store is self.captured
        ):
            # The capture's tab was closed or shows something else: show it again.
            source = open_store_tab(window, self.captured, self.name, badge=self.name)
            self.source = source
        window.tabs.setCurrentWidget(source)
        _select(source, row)


def _select(panel: SessionPanel, row: int) -> None:
    store = panel.controller.store
    if store is None or not 0 <= row < len(store):
        return
    if not panel.timeline.select_store_row(row):
        # Hidden by the timeline's filter: shown on its own in the detail pane.
        panel.detail.show_frame(store, row)
    panel.side_tabs.setCurrentWidget(panel.detail)


class ReplayLauncher(QObject):
    """The window's replays: :meth:`open_dialog` asks, :meth:`start` runs one."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.setObjectName("replayLauncher")
        self.window = window
        self.dialog: ReplayDialog | None = None
        self.replays: list[_Replay] = []
        #: Seconds a replayed close waits for the answers the capture had before it.
        self.answer_wait = ANSWER_WAIT

    def open_dialog(self, panel: SessionPanel | None = None) -> ReplayDialog | None:
        """Ask how to replay ``panel``'s capture (default: the current tab's); None
        (and a word in the status bar) when it cannot be replayed."""
        panel = panel if panel is not None else self.window.current_panel()
        problem = replay_problem(panel)
        if problem is not None:
            self.window.show_error(problem)
            return None
        assert panel is not None and panel.controller.store is not None
        store = panel.controller.store
        try:
            plans = {frames: plan_replay(store, frames=frames) for frames in (False, True)}
        except ReplayError as exc:
            self.window.show_error(str(exc))
            return None
        if self.dialog is not None and isValid(self.dialog):
            self.dialog.close()
        dialog = ReplayDialog(
            panel.controller.url,
            source_name(panel),
            plans={k: (len(p.steps), p.notes) for k, p in plans.items()},
            frames_possible=not is_message_level(store.session),
            parent=self.window,
        )
        dialog.accepted.connect(lambda p=panel, d=dialog: self.start(p, d.request()))
        self.dialog = dialog
        dialog.open()  # never exec(): it would nest an event loop under qasync
        return dialog

    def start(self, source: SessionPanel, request: ReplayRequest) -> SessionPanel | None:
        """Replay ``source``'s capture as ``request`` says, in a new tab."""
        captured = source.controller.store
        if captured is None:
            self.window.show_error("nothing to replay: the tab holds no capture")
            return None
        try:
            scale = parse_timing(request.timing)
            plan = plan_replay(captured, frames=request.frames)
        except ValueError as exc:  # ReplayError included
            self.window.show_error(str(exc))
            return None
        name = source_name(source)
        panel = self.window.new_session(request.url)
        replay_options(panel.controller, plan)
        attempt = panel.connect_to(request.url)
        if attempt is None:
            return panel  # the banner says what is wrong with the URL
        panel.title_override = f"↻ {name}"
        panel.titleChanged.emit(panel.title)
        replay = _Replay(self, source, captured, name, panel)
        replay.view.set_running(replay_summary(name, running=True, steps=len(plan.steps)))
        job = follow_replay(
            panel.controller,
            attempt,
            captured,
            plan,
            scale,
            compare=request.compare,
            answer_wait=self.answer_wait,
        )
        replay.job = job
        job.on_done = replay.done
        self.replays.append(replay)
        return panel

    def finished(self, replay: _Replay) -> None:
        with contextlib.suppress(ValueError):
            self.replays.remove(replay)

    def jobs(self) -> list[ReplayJob]:
        return [r.job for r in self.replays if r.job is not None]

    def stop_all(self) -> None:
        for job in self.jobs():
            job.stop()
