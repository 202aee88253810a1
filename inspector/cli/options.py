"""Option groups several commands share, and what they build.

A group is added to a command's parser by one function, and read back by one
function, so that ``-H`` or ``--cacert`` mean the same in ``capture`` and ``probe``
and the window: connection options (:func:`add_connection_options`), TLS
(:func:`add_tls_options`), logging (:func:`add_logging_options`, on the window and
every command) and the capture budget (:func:`add_capture_budget`).
"""

from __future__ import annotations

import argparse
import math

from ..capture.store import DEFAULT_MAX_CAPTURE_BYTES
from ..engine.options import TlsOptions
from ..logs import DEFAULT_LOG_LEVEL, LOG_LEVELS
from ..views.text import format_bytes

__all__ = [
    "UsageError",
    "add_capture_budget",
    "add_connection_options",
    "add_logging_options",
    "add_tls_options",
    "capture_budget",
    "parse_header",
    "request_headers",
    "tls_options",
]

MIB = 2**20


class UsageError(ValueError):
    """A command line that cannot be run as given: exit status 2, one line saying why."""


def parse_header(text: str) -> tuple[str, str]:
    name, sep, value = text.partition(":")
    if not sep or not name.strip():
        raise UsageError(f"header {text!r} is not 'Name: value'")
    return name.strip(), value.strip()


# -------------------------------------------------------------------- connection
def add_connection_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("connection")
    group.add_argument(
        "-H",
        "--header",
        action="append",
        default=[],
        metavar="'NAME: VALUE'",
        help="an extra request header (repeatable, sent in the order given)",
    )
    group.add_argument(
        "--subprotocol",
        action="append",
        default=[],
        metavar="NAME",
        help="offer this subprotocol (repeatable, in order of preference)",
    )
    group.add_argument("--origin", help="send this Origin header")
    group.add_argument(
        "--proxy",
        metavar="URL",
        help="connect through this proxy (http://HOST:PORT for CONNECT, socks5://HOST:PORT); "
        "default: https_proxy / http_proxy / all_proxy unless no_proxy names the host; "
        "'' for none",
    )


def request_headers(ns: argparse.Namespace) -> list[tuple[str, str]]:
    return [parse_header(h) for h in ns.header]


# --------------------------------------------------------------------------- TLS
def add_tls_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("TLS (wss://)")
    group.add_argument(
        "--insecure", action="store_true", help="skip certificate and host name verification"
    )
    group.add_argument("--cacert", metavar="FILE", help="trust this CA bundle (PEM)")
    group.add_argument("--cert", metavar="FILE", help="client certificate (PEM)")
    group.add_argument("--key", metavar="FILE", help="client certificate key (PEM)")


def tls_options(ns: argparse.Namespace) -> TlsOptions:
    return TlsOptions(cafile=ns.cacert, certfile=ns.cert, keyfile=ns.key, insecure=ns.insecure)


# ----------------------------------------------------------------------- logging
def add_logging_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("logging (to standard error)")
    group.add_argument(
        "--log-level",
        type=str.lower,
        choices=LOG_LEVELS,
        default=DEFAULT_LOG_LEVEL,
        metavar="LEVEL",
        help=f"{', '.join(LOG_LEVELS)} (default {DEFAULT_LOG_LEVEL})",
    )
    group.add_argument("--debug", action="store_true", help="the debug level, with timestamps")


# ---------------------------------------------------------------- capture budget
def _mebibytes(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of MiB") from None
    if not math.isfinite(value) or value < 0:
        raise argparse.ArgumentTypeError(f"{text!r}: the budget is a number of MiB, 0 or more")
    return value


def add_capture_budget(parser: argparse.ArgumentParser, *, what: str = "the session") -> None:
    parser.add_argument(
        "--max-capture",
        type=_mebibytes,
        default=DEFAULT_MAX_CAPTURE_BYTES / MIB,
        metavar="MiB",
        help=f"payload bytes kept for {what} (default "
        f"{format_bytes(DEFAULT_MAX_CAPTURE_BYTES)}); past it, frames keep their headers "
        "and the first 4 KiB of payload, marked truncated",
    )


def capture_budget(ns: argparse.Namespace) -> int:
    """``--max-capture`` in bytes."""
    return int(ns.max_capture * MIB)
