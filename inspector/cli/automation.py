"""The command-line side of automation, shared by ``capture`` and ``replay``:
``--expect REGEX [--within S]`` and ``--expect-close CODE`` (in order with the
actions), and ``--script FILE.py`` (also on ``serve``).

:func:`add_expect_options` registers the expectations as ordered actions;
:func:`prepare_expectations` folds each ``--within`` into the expectation before it
and compiles the patterns; :class:`Expectations` checks them on a connection, prints
each result (a ``?? `` line, or with ``--json`` a ``{"type": "expect"}`` line after
the capture) and gives the one-line reason of the first that failed.
"""

from __future__ import annotations

import argparse
import json
import math
import re
import sys
import threading
from typing import TYPE_CHECKING, Any, TextIO

from ..views.text import escape_control, escape_json_line
from .options import UsageError
from .render import peer_text

if TYPE_CHECKING:
    from ..automation.expect import Expectation, Expector, ExpectResult
    from ..automation.hooks import HookReport, HookRunner
    from ..engine.connection import Connection

__all__ = [
    "EXPECT_KINDS",
    "Expectations",
    "StderrReporter",
    "add_expect_options",
    "add_script_option",
    "load_hooks",
    "prepare_expectations",
]

Action = tuple[str, Any]
EXPECT_KINDS = frozenset({"expect", "expect_close"})


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not math.isfinite(value) or value < 0:
        raise argparse.ArgumentTypeError(f"{text!r}: a number of seconds, 0 or more")
    return value


def add_expect_options(parser: argparse.ArgumentParser, ordered: type[argparse.Action]) -> None:
    """The expectation options; ``ordered`` is the command's action that keeps the
    command-line order in ``namespace.actions``."""
    group = parser.add_argument_group(
        "expectations (in order with the actions; exit 1 when one fails)"
    )
    group.add_argument(
        "--expect",
        action=ordered,
        metavar="REGEX",
        help="after the preceding action, a message matching REGEX (its text, or what its "
        "view shows for binary) must arrive (repeatable)",
    )
    group.add_argument(
        "--within",
        action=ordered,
        type=_seconds,
        metavar="S",
        help="seconds the expectation just before may wait (default 5)",
    )
    group.add_argument(
        "--expect-close",
        action=ordered,
        type=int,
        metavar="CODE",
        help="the connection must end with this close code",
    )


def prepare_expectations(actions: list[Action]) -> list[Action]:
    """The actions with each expectation as an :class:`Expectation` (its ``--within``
    folded in, and the action it follows named); UsageError for a bad pattern or a
    ``--within`` that follows no expectation."""
    from ..automation.expect import Expectation, describe_action

    out: list[Action] = []
    after = "the connection opened"
    for kind, value in actions:
        if kind == "within":
            if not out or out[-1][0] not in EXPECT_KINDS:
                raise UsageError("--within follows an --expect or --expect-close")
            prev_kind, prev = out[-1]
            out[-1] = (prev_kind, _replace_within(prev, value))
            continue
        if kind == "expect":
            try:
                pattern = re.compile(value)
            except re.error as exc:
                raise UsageError(f"--expect {value!r}: not a regular expression: {exc}") from None
            out.append((kind, Expectation(pattern=pattern, after=after)))
            after = f"--expect {value!r}"
        elif kind == "expect_close":
            if not 0 <= value <= 0xFFFF:
                raise UsageError(f"--expect-close {value}: a close code is 0-65535")
            out.append((kind, Expectation(close_code=value, after=after)))
            after = f"--expect-close {value}"
        else:
            out.append((kind, value))
            after = describe_action(kind, value)
    return out


def _replace_within(expectation: Expectation, within: float) -> Expectation:
    import dataclasses

    return dataclasses.replace(expectation, within=within)


class Expectations:
    """The expectations of one command run on one connection (none: it does nothing)."""

    def __init__(self, conn: Connection, actions: list[Action], *, json_out: bool) -> None:
        self.pending: list[Expectation] = [v for k, v in actions if k in EXPECT_KINDS]
        self.results: list[ExpectResult] = []
        self._json = json_out
        self._expector: Expector | None = None
        if self.pending:
            from ..automation.expect import Expector

            self._expector = Expector(conn)

    def mark(self) -> None:
        """An action was performed."""
        if self._expector is not None:
            self._expector.mark()

    @property
    def failed(self) -> bool:
        return any(not r.ok for r in self.results)

    async def check(self, expectation: Expectation, out: TextIO | None = None) -> bool:
        """Check the next expectation; False when it failed (the rest are not checked)."""
        assert self._expector is not None
        result = await self._expector.check(expectation)
        self.results.append(result)
        self.pending.remove(expectation)
        if not self.pending or not result.ok:
            self._expector.close()  # nothing more to watch for
        if not self._json:
            stream = out or sys.stdout
            word = "held" if result.ok else "FAILED"
            stream.write(f"?? {expectation.what} {word} ({result.waited:.3f} s)\n")
            stream.flush()
        return result.ok

    async def run_all(self) -> None:
        """Check every expectation in order, from the open on (replay's way)."""
        for expectation in list(self.pending):
            if not await self.check(expectation):
                return

    def print_json(self) -> None:
        """With --json, a line per expectation (unchecked ones included) after the capture."""
        if not self._json:
            return
        from ..automation.expect import ExpectResult

        why = "an earlier one failed" if self.failed else "the session ended first"
        results = [
            *self.results,
            *(ExpectResult(e, False, 0.0, f"not checked: {why}") for e in self.pending),
        ]
        for result in results:
            line = json.dumps(result.to_json(), ensure_ascii=False, separators=(",", ":"))
            sys.stdout.write(escape_json_line(line) + "\n")
        sys.stdout.flush()

    @property
    def failure(self) -> str:
        """The one-line reason of the first failed (or unchecked) expectation, or ""."""
        for n, result in enumerate(self.results, 1):
            if not result.ok:
                return f"expectation {n} failed: {peer_text(result.reason, 500)}"
        if self.pending:
            n = len(self.results) + 1
            return f"expectation {n} ({self.pending[0].what}) was not checked: the session ended"
        return ""


# ----------------------------------------------------------------------- scripts
def add_script_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--script",
        metavar="FILE.py",
        help="call this Python file's hooks (on_open, on_message, on_frame, on_close) on "
        "the connection's events; see docs/scripting.md",
    )


def load_hooks(ns: argparse.Namespace, prog: str) -> HookRunner | None:
    """The runner of ``--script`` (None without one), reporting on standard error;
    UsageError for a script that cannot be loaded."""
    if not getattr(ns, "script", None):
        return None
    from ..automation.hooks import HookRunner, Script, ScriptError

    try:
        script = Script.load(ns.script)
    except ScriptError as exc:
        detail = f"\n{exc.detail}" if exc.detail else ""
        raise UsageError(f"--script: {exc}{detail}") from None
    return HookRunner(script, StderrReporter(prog), watchdog=True)


class StderrReporter:
    """Hook reports as lines on standard error: ``PROG: script: ...``, a traceback
    indented under its line; a script's text escaped like a peer's."""

    def __init__(self, prog: str, stream: TextIO | None = None) -> None:
        self.prog = prog
        self._stream = stream
        self._lock = threading.Lock()  # the watchdog reports from its own thread

    def __call__(self, report: HookReport) -> None:
        from ..automation.hooks import ReportKind

        label = f"{report.label} " if report.label else ""
        word = "" if report.kind in (ReportKind.LOG, ReportKind.NOTE) else f"{report.kind}: "
        lines = [f"ws-inspector {self.prog}: script: {label}{word}{peer_text(report.text)}"]
        if report.detail:
            safe = escape_control(report.detail, keep_newlines=True)
            lines.extend("    " + line for line in safe.splitlines())
        stream = self._stream or sys.stderr
        with self._lock:
            stream.write("\n".join(lines) + "\n")
            stream.flush()
