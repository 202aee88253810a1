"""Automation in the window (issue 15): Replay against… from a capture tab, and
Tools > Scripts… (Python hooks on live connections).

:class:`WindowAutomation` is what the main window makes on first use (its import
stays out of the start-up path); the engine side is
:mod:`inspector.gui.session.automation`.
"""

from __future__ import annotations

from .window import WindowAutomation

__all__ = ["WindowAutomation"]
