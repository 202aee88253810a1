"""Repeat what the compose pane holds: every S seconds, N times (or until stopped),
or N times as fast as possible. It sits in the compose pane's send row.

:class:`RepeatPlan` decides how many sends each timer tick makes and when the
repeat is over (no Qt); :class:`RepeatControl` is its row of controls and its timer.
Sends as fast as possible go in bursts, one per event-loop turn, so that the window
and the connection's reads keep going between them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QDoubleSpinBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QWidget,
)

from ..widgets.naming import named as _named

if TYPE_CHECKING:
    from ...capture.events import StateChanged
    from ..session.controller import SessionController
    from .entries import HistoryEntry

__all__ = ["BURST", "RepeatControl", "RepeatPlan"]

#: Sends per event-loop turn when repeating as fast as possible.
BURST = 100


class RepeatPlan:
    """``every`` seconds apart (0: as fast as possible), ``count`` times (None: until
    stopped, only with a pause between sends); ``sent`` so far."""

    # A plain class, not a dataclass: the first screen defines no dataclass, so that
    # the dataclasses module (0.8 MiB with what it imports) loads later if at all.
    __slots__ = ("count", "every", "sent")

    def __init__(self, every: float, count: int | None, sent: int = 0) -> None:
        if every <= 0 and count is None:
            raise ValueError("as fast as possible needs a number of times")
        self.every = every
        self.count = count
        self.sent = sent

    def __repr__(self) -> str:
        return f"RepeatPlan(every={self.every!r}, count={self.count!r}, sent={self.sent!r})"

    @property
    def done(self) -> bool:
        return self.count is not None and self.sent >= self.count

    def batch(self) -> int:
        """How many sends the next tick makes."""
        if self.done:
            return 0
        left = self.count - self.sent if self.count is not None else BURST
        return min(left, BURST) if self.every <= 0 else 1

    def progress(self) -> str:
        if self.count is None:
            return f"sent {self.sent}, every {self.every:g} s until stopped"
        return f"sent {self.sent} of {self.count}"


class RepeatControl(QWidget):
    """ "Repeat every [S] s, [N] times" and a Repeat/Stop button.

    ``entry_for_current`` gives what the compose pane would send now (raising
    ValueError when it cannot be sent); each repetition runs its action, and the
    repeat stops at the first that fails, or when the connection stops being open.
    """

    def __init__(
        self,
        session: SessionController,
        entry_for_current: Callable[[], HistoryEntry],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("repeatControl")
        self.setAccessibleName("Repeat sending")
        self.session = session
        self._entry_for_current = entry_for_current
        self.plan: RepeatPlan | None = None
        self._entry: HistoryEntry | None = None
        self._timer = QTimer(self)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.timeout.connect(self._tick)

        self.every_spin = QDoubleSpinBox(self)
        _named(
            self.every_spin,
            "repeatEverySpin",
            "Repeat every",
            "Seconds between two sends; 0 sends as fast as possible",
        )
        self.every_spin.setRange(0, 86400)
        self.every_spin.setDecimals(2)
        self.every_spin.setValue(1.0)
        self.every_spin.setPrefix("every ")
        self.every_spin.setSuffix(" s")
        self.every_spin.setSpecialValueText("as fast as possible")
        self.count_spin = QSpinBox(self)
        _named(
            self.count_spin,
            "repeatCountSpin",
            "Repeat how many times",
            "How many sends in all; 0 repeats until stopped",
        )
        self.count_spin.setRange(0, 10_000_000)
        self.count_spin.setValue(10)
        self.count_spin.setSuffix(" times")
        self.count_spin.setSpecialValueText("until stopped")
        self.button = QPushButton("Repeat", self)
        _named(self.button, "repeatButton", "Repeat", "Send what is composed, repeatedly")
        self.button.setAutoDefault(False)
        self.button.clicked.connect(self.toggle)
        self.status = QLabel(self)
        _named(self.status, "repeatStatus", "Repeat progress")
        for spin in (self.every_spin, self.count_spin):
            spin.valueChanged.connect(self._update)

        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.status)
        layout.addWidget(self.every_spin)
        layout.addWidget(self.count_spin)
        layout.addWidget(self.button)
        session.stateChanged.connect(self._on_state)
        self._update()

    @property
    def running(self) -> bool:
        return self.plan is not None

    def toggle(self) -> None:
        if self.running:
            self.stop("stopped")
        else:
            self.start()

    def start(self) -> bool:
        """Start repeating what the compose pane holds; False (and why, in the
        status) when it cannot be."""
        count = self.count_spin.value() or None
        every = self.every_spin.value()
        try:
            plan = RepeatPlan(every, count)
            self._entry = self._entry_for_current()
        except ValueError as exc:
            self.status.setText(str(exc))
            return False
        if not self.session.can_send_frames:
            self.status.setText("connect first")
            return False
        self.plan = plan
        self._timer.start(0 if every <= 0 else round(every * 1000))
        self._update()
        self._tick()  # the first send at once, not one period later
        return True

    def stop(self, why: str = "") -> None:
        self._timer.stop()
        plan, self.plan = self.plan, None
        self._entry = None
        if plan is not None:
            self.status.setText(f"{plan.progress()}{f' ({why})' if why else ''}")
        self._update()

    def _tick(self) -> None:
        plan, entry = self.plan, self._entry
        if plan is None or entry is None:
            return
        for _ in range(plan.batch()):
            if not self.session.can_send_frames:
                self.stop("the connection ended")
                return
            if not entry.action():
                # A close frame sent meanwhile (Disconnect) fails the next message
                # while the TCP connection is still up: that is the end, not a fault.
                self.stop("a send failed" if self.session.is_open else "the connection ended")
                return
            plan.sent += 1
        if plan.done:
            self.stop("done")
        else:
            self.status.setText(plan.progress())

    def _on_state(self, _event: StateChanged) -> None:
        # The connection's state now, not the event's: events reach the window a tick
        # late (an OPEN connection's CONNECTING may come after the repeat started).
        if self.running and not self.session.is_open:
            self.stop("the connection ended")
        self._update()

    def _update(self, *_: object) -> None:
        possible = self.every_spin.value() > 0 or self.count_spin.value() > 0
        self.button.setText("Stop" if self.running else "Repeat")
        self.button.setEnabled(self.running or possible)
        self.button.setToolTip(
            "Stop repeating"
            if self.running
            else "Send what is composed repeatedly"
            if possible
            else "As fast as possible needs a number of times"
        )
        for spin in (self.every_spin, self.count_spin):
            spin.setEnabled(not self.running)
