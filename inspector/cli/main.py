"""The one parser of ``ws-inspector``: the window, and the commands for the terminal.

A command line whose first word is not a command is the window's
(``ws-inspector ws://host/``, ``ws-inspector capture.jsonl``, ``ws-inspector
--demo --debug``); each command module adds its own subparser with ``register``.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import logging
import os
import sys
from collections.abc import Sequence
from typing import Final

from .. import __version__
from ..logs import setup_logging
from . import window

__all__ = ["COMMANDS", "build_parser", "main", "parse_args", "parse_window_args"]

log = logging.getLogger(__name__)

#: The commands, in the order help lists them (the window first: it is the default).
#: Each is a module of this package with a ``register(commands)``; the terminal
#: commands are imported only when a command line may need them, so that the window
#: does not wait for the engine's servers, the proxy and the probe to load.
COMMANDS: Final = (
    "window",
    "decode",
    "capture",
    "replay",
    "serve",
    "proxy",
    "probe",
    "convert",
)

_USAGE: Final = """ws-inspector [URL | FILE] [--demo] [--log-level LEVEL] [--debug]
       ws-inspector COMMAND [options]"""

_EPILOG: Final = """\
ws-inspector [URL | FILE] [--demo]       the window
ws-inspector decode FILE --from client|server [--hex] [--deflate] [--json]
ws-inspector capture URL [actions...] [--json] [-o FILE.jsonl|FILE.har]
ws-inspector replay CAPTURE URL [--timing original|fast|SCALE] [--frames] [--compare]
ws-inspector serve [--host 127.0.0.1] [--port N] [--strict]
ws-inspector proxy --listen HOST:PORT (--upstream URL | --forward) [--json] [-o DIR]
ws-inspector probe URL [--category NAME] [--json] [--html FILE] [--fail-on GRADE]
ws-inspector convert IN OUT [--include-secrets]     (.jsonl <-> .har)

Run 'ws-inspector COMMAND --help' for a command's options. Every command, and the
window, takes --log-level LEVEL and --debug."""


def build_parser(*, window_only: bool = False) -> argparse.ArgumentParser:
    """The command's parser; ``window_only``: with the window's subparser alone (what a
    command line without a command needs: the same results, the same errors)."""
    parser = argparse.ArgumentParser(
        prog="ws-inspector",
        usage=_USAGE,
        description="A WebSocket protocol inspector: the window, and tools for the terminal.",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("-V", "--version", action="version", version=f"ws-inspector {__version__}")
    commands = parser.add_subparsers(
        dest="command", metavar="COMMAND", title="commands", prog="ws-inspector"
    )
    for name in ("window",) if window_only else COMMANDS:
        module = window if name == "window" else importlib.import_module(f".{name}", __package__)
        module.register(commands)
    return parser


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    args = list(argv)
    if not args or args[0] not in (*COMMANDS, "-h", "--help", "-V", "--version"):
        return parse_window_args(args)
    return build_parser(window_only=args[0] == "window").parse_args(args)


def parse_window_args(argv: Sequence[str]) -> argparse.Namespace:
    """The window's arguments alone (``URL|FILE``, ``--demo``, logging)."""
    return build_parser(window_only=True).parse_args(["window", *argv])


def main(argv: Sequence[str] | None = None) -> int:
    ns = parse_args(sys.argv[1:] if argv is None else argv)
    setup_logging(ns.log_level, debug=ns.debug)
    log.debug(
        "ws-inspector %s, Python %s on %s: %s",
        __version__,
        # sys.version_info, not platform.python_version(): the platform module
        # costs the window's start ~6 ms for this one debug line.
        ".".join(map(str, sys.version_info[:3])),
        sys.platform,
        ns.command,
    )
    try:
        status: int = ns.run(ns)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The reader of our output went away (e.g. `| head`): not an error of ours.
        with contextlib.suppress(OSError):
            sys.stdout = open(os.devnull, "w")  # noqa: SIM115
        return 0
    return status
