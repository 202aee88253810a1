"""The ``ws-inspector`` command: the window by default, and tools for the terminal.

One module per command (:mod:`.decode`, :mod:`.capture`, :mod:`.serve`,
:mod:`.probe`, :mod:`.convert`, and :mod:`.window`), the option groups they share
(:mod:`.options`), what they print for a person (:mod:`.render`), and the one parser
(:mod:`.main`). Qt is imported only when the window starts.
"""

from __future__ import annotations

from .main import COMMANDS, build_parser, main, parse_args

__all__ = ["COMMANDS", "build_parser", "main", "parse_args"]
