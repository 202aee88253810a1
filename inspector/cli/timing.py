"""Time in ``capture``'s action language: repeated sends, the preamble a reconnect
replays, and where each attempt's capture is written.

``--every S`` and ``--repeat N`` are modifiers: each applies to the send action that
follows it (``--send``, ``--send-binary``, ``--send-file``, ``--frame``, ``--ping``),
and both may modify the same one (N times, S seconds apart). ``--mark`` ends the
preamble: with ``--reconnect``, each new connection replays the sends before it (all
of them without a mark).
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..engine.reconnect import Backoff, ReconnectPolicy
from ..protocol.violations import LocalProtocolError
from .options import UsageError

if TYPE_CHECKING:
    from ..engine.connection import Connection

__all__ = [
    "MODIFIERS",
    "SEND_KINDS",
    "Repeat",
    "add_reconnect_options",
    "add_time_actions",
    "attempt_path",
    "fold_repeats",
    "preamble",
    "reconnect_policy",
    "repeat",
]

Action = tuple[str, Any]

#: The actions that send something, which --every and --repeat apply to.
SEND_KINDS = frozenset({"send", "send_binary", "send_file", "frame", "ping"})
MODIFIERS = frozenset({"every", "repeat"})
#: Sends between two yields to the event loop when repeating as fast as possible:
#: often enough for reads (pongs, a close) to be handled, rarely enough that the
#: writes of one turn are joined into one.
_YIELD_EVERY = 64


def add_time_actions(group: argparse._ArgumentGroup, ordered: type[argparse.Action]) -> None:
    """``--every``, ``--repeat`` and ``--mark``, kept in order with the other actions."""
    group.add_argument(
        "--every",
        action=ordered,
        type=float,
        metavar="S",
        help="do the send that follows every S seconds, alongside the actions after it, "
        "until the connection or --wait ends",
    )
    group.add_argument(
        "--repeat",
        action=ordered,
        type=int,
        metavar="N",
        help="do the send that follows N times, as fast as possible (with --every: N "
        "times, S seconds apart)",
    )
    group.add_argument(
        "--mark",
        action=ordered,
        nargs=0,
        help="end the preamble: with --reconnect, a new connection replays the sends "
        "before the mark (all of them without one)",
    )


def add_reconnect_options(parser: argparse.ArgumentParser) -> None:
    again = parser.add_argument_group("reconnecting")
    again.add_argument(
        "--reconnect",
        action="store_true",
        help="when the connection drops (the peer or the network ends it), connect "
        "again with a growing pause and replay the preamble; each attempt is its own "
        "capture (-o FILE: FILE, then FILE.attempt-2...)",
    )
    again.add_argument(
        "--max-attempts",
        type=int,
        metavar="N",
        help="connections in all, the first included (default: until Ctrl+C)",
    )
    again.add_argument(
        "--reconnect-delay",
        type=float,
        default=0.5,
        metavar="S",
        help="the first pause before connecting again (default 0.5); it doubles after "
        "each attempt that did not last, up to 30 s",
    )


def reconnect_policy(ns: argparse.Namespace) -> ReconnectPolicy | None:
    """The reconnect policy of ``--reconnect`` (None without it)."""
    if not ns.reconnect:
        if ns.max_attempts is not None:
            raise UsageError("--max-attempts goes with --reconnect")
        return None
    if ns.max_attempts is not None and ns.max_attempts < 1:
        raise UsageError(f"--max-attempts {ns.max_attempts}: 1 or more")
    if not 0 <= ns.reconnect_delay <= 30:
        raise UsageError(f"--reconnect-delay {ns.reconnect_delay:g}: 0 to 30 seconds")
    return ReconnectPolicy(ns.max_attempts, Backoff(first=ns.reconnect_delay))


@dataclass(frozen=True, slots=True)
class Repeat:
    """A send action done ``count`` times (None: until the connection or ``--wait``
    ends), ``every`` seconds apart (None: as fast as possible)."""

    kind: str
    value: Any
    count: int | None
    every: float | None

    @property
    def background(self) -> bool:
        """Runs alongside the actions that follow (a paced send), not before them."""
        return self.every is not None


def fold_repeats(actions: list[Action]) -> list[Action]:
    """The actions with each ``--every``/``--repeat`` folded into the send that follows
    it, as one ``("repeat", Repeat)`` action; :class:`UsageError` for a modifier that
    modifies nothing."""
    out: list[Action] = []
    every: float | None = None
    count: int | None = None
    for kind, value in actions:
        if kind == "every":
            if not (value > 0):
                raise UsageError(f"--every {value:g}: a number of seconds above 0")
            every = value
            continue
        if kind == "repeat":
            if value < 1:
                raise UsageError(f"--repeat {value}: a number of times, 1 or more")
            count = value
            continue
        if every is not None or count is not None:
            if kind not in SEND_KINDS:
                raise UsageError(_dangling(every, count, f"--{kind.replace('_', '-')}"))
            out.append(("repeat", Repeat(kind, value, count, every)))
            every = count = None
            continue
        out.append((kind, value))
    if every is not None or count is not None:
        raise UsageError(_dangling(every, count, "nothing"))
    return out


def _dangling(every: float | None, count: int | None, found: str) -> str:
    flag = f"--every {every:g}" if every is not None else f"--repeat {count}"
    return (
        f"{flag} applies to the send that follows it (--send, --send-binary, "
        f"--send-file, --frame or --ping), and {found} follows it"
    )


def preamble(actions: list[Action]) -> list[Action]:
    """What a new connection replays: the sends before the first ``--mark`` (all of
    them when there is none), repeated sends as they were."""
    until = next((i for i, (k, _) in enumerate(actions) if k == "mark"), len(actions))
    return [(k, v) for k, v in actions[:until] if k in SEND_KINDS or k == "repeat"]


async def repeat(
    conn: Connection, rep: Repeat, perform: Callable[[Connection, str, Any], None]
) -> int:
    """Do the repeated send; returns how many were sent. Paced sends keep to their
    schedule (start + n × every), not to the time each one took."""
    loop = asyncio.get_running_loop()
    start = loop.time()
    n = 0
    while rep.count is None or n < rep.count:
        if not conn.is_open or conn.close_sent:
            break
        try:
            perform(conn, rep.kind, rep.value)
        except LocalProtocolError:
            break  # the peer ended the connection meanwhile
        n += 1
        await conn.drain()
        if rep.every is not None:
            await asyncio.sleep(max(0.0, start + n * rep.every - loop.time()))
        elif n % _YIELD_EVERY == 0:
            await asyncio.sleep(0)
    return n


def attempt_path(path: str, attempt: int) -> str:
    """Where attempt ``attempt`` writes ``-o path``: the first at ``path``, later ones
    with ``.attempt-N`` before the extension (``cap.jsonl``, ``cap.attempt-2.jsonl``)."""
    if attempt <= 1:
        return path
    p = Path(path)
    return str(p.with_name(f"{p.stem}.attempt-{attempt}{p.suffix}"))
