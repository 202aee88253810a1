"""``ws-inspector [URL | FILE] [--demo]``: the window, the command run without a command.

Its arguments are parsed with the commands' (one parser, :mod:`.main`); Qt is
imported only here, after :func:`~.display.display_problem` found nothing that
would make Qt abort, so that the terminal commands never load it.
"""

from __future__ import annotations

import argparse
import gc
import sys
from typing import Any

from .display import display_problem
from .options import add_logging_options

__all__ = ["add_window_arguments", "run"]


def add_window_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "target",
        nargs="?",
        metavar="URL|FILE",
        help="ws:// or wss:// URL to connect to, or a capture (.jsonl) or HAR file (.har) "
        "to open read-only",
    )
    parser.add_argument(
        "--demo",
        action="store_true",
        help="start a local echo server, connect to it and send a few messages",
    )
    add_logging_options(parser)


def register(commands: Any) -> None:
    p = commands.add_parser(
        "window",
        help="the window (also what runs without a command)",
        description="Open the window: connect to URL, or open a capture or HAR file.",
    )
    add_window_arguments(p)
    p.set_defaults(run=run)


def run(ns: argparse.Namespace) -> int:
    problem = display_problem()
    if problem is not None:
        print(f"ws-inspector: {problem}", file=sys.stderr)
        return 1
    # The window's modules make objects that live as long as the process: collecting
    # while they load finds next to nothing and cost ~8 ms of the start (measured).
    collecting = gc.isenabled()
    gc.disable()
    try:
        from ..app import run_window  # Qt is loaded from here on
    finally:
        if collecting:
            gc.enable()
    return run_window(ns.target, demo=ns.demo)
