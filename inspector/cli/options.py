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
from typing import TYPE_CHECKING, Any

from ..logs import DEFAULT_LOG_LEVEL, LOG_LEVELS

if TYPE_CHECKING:
    from ..engine.options import TlsOptions

__all__ = [
    "UsageError",
    "add_capture_budget",
    "add_connection_options",
    "add_logging_options",
    "add_ping_options",
    "add_pong_options",
    "add_tls_options",
    "capture_budget",
    "parse_header",
    "ping_options",
    "pong_options",
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
    # The engine's options load with a command that connects, not with the window's
    # command line (which parses only logging options here).
    from ..engine.options import TlsOptions

    return TlsOptions(cafile=ns.cacert, certfile=ns.cert, keyfile=ns.key, insecure=ns.insecure)


# -------------------------------------------------------------- pings and pongs
def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"{text!r}: a number of seconds above 0")
    return value


def _milliseconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of milliseconds") from None
    if not math.isfinite(value) or value < 0:
        raise argparse.ArgumentTypeError(f"{text!r}: a number of milliseconds, 0 or more")
    return value


def add_pong_options(parser: argparse.ArgumentParser) -> argparse._ArgumentGroup:
    """The pong policy: at once (the default), never, or N ms late."""
    group = parser.add_argument_group("pings and pongs")
    group.add_argument("--no-auto-pong", action="store_true", help="do not answer pings")
    group.add_argument(
        "--pong-delay",
        type=_milliseconds,
        metavar="MS",
        help="answer each ping this many milliseconds late (tests the peer's ping "
        "deadline or idle timeout)",
    )
    return group


def pong_options(ns: argparse.Namespace) -> dict[str, Any]:
    """``auto_pong`` and ``pong_delay`` (seconds) as the engine takes them."""
    if ns.no_auto_pong and ns.pong_delay is not None:
        raise UsageError("--pong-delay answers pings late and --no-auto-pong never: choose one")
    delay = ns.pong_delay / 1000 if ns.pong_delay is not None else None
    return {"auto_pong": not ns.no_auto_pong, "pong_delay": delay}


def add_ping_options(group: argparse._ArgumentGroup) -> None:
    """Our periodic ping, with a payload and a deadline for its pong."""
    group.add_argument(
        "--ping-every",
        type=_seconds,
        metavar="S",
        help="ping every S seconds and print each round-trip time",
    )
    group.add_argument(
        "--ping-timeout",
        type=_seconds,
        metavar="S",
        help="a pong later than S seconds fails the connection (with --ping-every)",
    )
    group.add_argument(
        "--ping-late",
        choices=("fail", "record"),
        default="fail",
        help="what a late pong does: fail the connection (default) or just record it",
    )
    group.add_argument(
        "--ping-payload",
        metavar="TEXT",
        default="",
        help="every periodic ping's payload (default ka-1, ka-2...: each pong names its ping)",
    )


def ping_options(ns: argparse.Namespace) -> dict[str, Any]:
    """``keepalive_interval``, ``ping_timeout``, ``ping_late_fails`` and
    ``ping_payload`` as the engine takes them."""
    if ns.ping_every is None and (ns.ping_timeout is not None or ns.ping_payload):
        raise UsageError("--ping-timeout and --ping-payload go with --ping-every S")
    payload = ns.ping_payload.encode("utf-8")
    if len(payload) > 125:
        raise UsageError("--ping-payload: a ping payload is at most 125 bytes")
    return {
        "keepalive_interval": ns.ping_every,
        "ping_timeout": ns.ping_timeout,
        "ping_late_fails": ns.ping_late == "fail",
        "ping_payload": payload,
    }


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
    from ..capture.budget import DEFAULT_MAX_CAPTURE_BYTES
    from ..views.text import format_bytes

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
