"""Garbage collection stays on the GUI thread while the window runs."""

from __future__ import annotations

import gc
import threading
from typing import Any

from inspector.gui.gcpolicy import GuiThreadCollector


class Cycle:
    def __init__(self, freed: list[str], thread_names: list[str]) -> None:
        self.me = self
        self.freed, self.names = freed, thread_names

    def __del__(self) -> None:
        self.names.append(threading.current_thread().name)
        self.freed.append("x")


def test_cycles_are_collected_on_the_gui_thread_only(qapp: Any) -> None:
    collector = GuiThreadCollector()
    was_enabled = gc.isenabled()
    collector.install()
    try:
        assert not gc.isenabled()
        freed: list[str] = []
        names: list[str] = []

        def worker() -> None:
            # Enough allocation to cross every threshold: with automatic collection
            # this thread would collect the cycles.
            for _ in range(3):
                Cycle(freed, names)
            junk = [[i] for i in range(200_000)]
            del junk

        t = threading.Thread(target=worker, name="worker")
        t.start()
        t.join(10)
        assert freed == []  # nothing collected off the GUI thread
        collector.check()  # what the timer does
        collector.uninstall()
        assert len(freed) == 3 and set(names) == {threading.current_thread().name}
    finally:
        if was_enabled:
            gc.enable()
