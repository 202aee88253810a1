"""Garbage collection on the GUI thread only.

Python's cyclic collector runs in whichever thread happens to allocate when a
threshold is crossed. qasync runs ``getaddrinfo`` and other blocking calls in worker
threads, so a cycle holding a Qt object (a QTimer in a closure, a widget in a
callback) can be collected there: its C++ destructor then runs off the GUI thread
while Qt's timer list is in use, and the process dies in
``QTimerInfoList::activateTimers`` (seen: SIGSEGV when the window ran twice in one
process). The same fix qutebrowser uses: switch automatic collection off while the
window runs, and collect from a timer on the GUI thread with the usual thresholds.
"""

from __future__ import annotations

import gc
import logging

from PySide6.QtCore import QObject, QTimer

__all__ = ["GuiThreadCollector"]

log = logging.getLogger(__name__)

#: How often the GUI thread looks at the collector's counts. Collecting is cheap when
#: nothing crossed a threshold; 1 s keeps young garbage from piling up in a flood.
CHECK_MS = 1000


class GuiThreadCollector(QObject):
    """While installed, garbage is collected only on the GUI thread, generation by
    generation when its threshold is crossed, as the automatic collector would."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("gcCollector")
        self._was_enabled = gc.isenabled()
        self._timer = QTimer(self)
        self._timer.setInterval(CHECK_MS)
        self._timer.timeout.connect(self.check)

    def install(self) -> None:
        self._was_enabled = gc.isenabled()
        gc.disable()
        self._timer.start()

    def uninstall(self) -> None:
        """Stop, collect what is left on this thread, and give the collector back."""
        self._timer.stop()
        gc.collect()
        if self._was_enabled:
            gc.enable()

    def check(self) -> None:
        # The oldest generation whose count crossed its threshold, like CPython.
        counts, thresholds = gc.get_count(), gc.get_threshold()
        for generation in (2, 1, 0):
            if thresholds[generation] and counts[generation] > thresholds[generation]:
                found = gc.collect(generation)
                log.debug("gc generation %d: %d unreachable objects", generation, found)
                return
