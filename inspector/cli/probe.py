"""``ws-inspector probe URL``: the server check-up, from the terminal.

One fresh connection per case; each case graded with the window's words (passed,
non-strict, failed, info) and listed in case order, as a table, JSON Lines
(``--json``) and/or an HTML page (``--html``). Exit status 0 when it ran, whatever
the grades, unless ``--fail-on GRADE``: then 1 when any case got that grade or a
worse one. 1 also when the server cannot be reached; 2 for usage errors.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, Final

from ..engine.options import ConnectOptions
from ..views.text import escape_control, escape_json_line
from .options import (
    UsageError,
    add_capture_budget,
    add_connection_options,
    add_logging_options,
    add_tls_options,
    capture_budget,
    request_headers,
    tls_options,
)
from .render import peer_text

if TYPE_CHECKING:
    from ..probe import CaseResult, ProbeReport

__all__ = ["FAIL_ON", "failing", "register", "run"]

#: ``--fail-on GRADE``: the grades (the window's words, :class:`~inspector.probe.Grade`
#: values) a run may fail on; that grade or a worse one fails it (Grade.at_least).
#: Info is never a failure: it marks cases with no right answer.
FAIL_ON: Final = ("failed", "non-strict")


def register(commands: Any) -> None:
    p = commands.add_parser(
        "probe",
        help="check a server against RFC 6455: one connection per case, graded",
        description="Run the server check-up against an echo endpoint: one fresh "
        "connection per case, each case's frames sent, the server's answer graded "
        "passed, non-strict, failed or info. Exit status 0 when it ran (whatever the "
        "grades, unless --fail-on), 1 when the server could not be reached or a case "
        "got the --fail-on grade or worse, 2 on usage errors.",
    )
    p.add_argument("url", nargs="?", help="ws:// or wss:// URL of an endpoint that echoes messages")
    p.add_argument(
        "--category",
        action="append",
        metavar="NAME",
        help="run only this category (repeatable); see --list",
    )
    p.add_argument(
        "--case", action="append", metavar="ID", help="run only this case or id prefix (6.4)"
    )
    p.add_argument(
        "--timeout",
        type=float,
        default=3.0,
        help="seconds per case (default 3; more for large payloads)",
    )
    p.add_argument("--concurrency", type=int, default=8, help="connections at a time (default 8)")
    p.add_argument(
        "--fail-on",
        choices=tuple(FAIL_ON),
        metavar="GRADE",
        help="exit 1 when any case got this grade or worse: failed, or non-strict "
        "(non-strict or failed)",
    )
    p.add_argument("--json", action="store_true", help="one JSON object per case and line")
    p.add_argument("--html", metavar="FILE", help="also write a self-contained HTML report")
    p.add_argument("-v", "--verbose", action="store_true", help="show every case's details")
    p.add_argument("--list", action="store_true", help="list the cases and exit")
    add_connection_options(p)
    add_tls_options(p)
    add_capture_budget(p, what="each case's connection")
    add_logging_options(p)
    p.set_defaults(run=run)


def failing(results: Iterable[CaseResult], fail_on: str) -> list[CaseResult]:
    """The results that fail the run under ``--fail-on fail_on``, in their order."""
    from ..probe import Grade

    threshold = Grade(fail_on)
    return [r for r in results if r.grade.at_least(threshold)]


def _print_report(ns: argparse.Namespace, report: ProbeReport) -> None:
    from ..probe.report import format_table, json_lines

    if ns.json:
        for line in json_lines(report):
            sys.stdout.write(escape_json_line(line) + "\n")
        if report.note:
            print(f"note: {report.note}", file=sys.stderr)
        print(report.summary(), file=sys.stderr)
        return
    table = format_table(report, verbose=ns.verbose)
    if table:
        # Observed behaviour quotes the server (close reasons, error messages).
        print(escape_control(table, keep_newlines=True))
    server = f" ({peer_text(report.server, 200)})" if report.server else ""
    print(f"\n{ns.url}{server}, {report.duration:.1f} s")
    if report.unreachable:
        print(f"the server became unreachable: {peer_text(report.unreachable, 300)}")
    if report.note:
        print(f"note: {report.note}")
    print(report.summary())


def run(ns: argparse.Namespace) -> int:
    from ..probe import ProbeUnreachable, run_probe, select_cases
    from ..probe.report import write_html

    def usage(message: str) -> int:
        print(f"ws-inspector probe: {message}", file=sys.stderr)
        return 2

    if not ns.timeout > 0:
        return usage("--timeout must be a positive number of seconds")
    if ns.concurrency < 1:
        return usage("--concurrency must be at least 1")
    try:
        # The report lists the results in the order of the cases given.
        cases = select_cases(ns.category, ns.case)  # in case order, like CASES
        headers = request_headers(ns)
    except (ValueError, UsageError) as exc:
        return usage(str(exc))
    if ns.list:
        for case in cases:
            print(f"{case.id:<8} {case.category:<14} {case.title}")
        print(f"{len(cases)} cases")
        return 0
    if not ns.url:
        return usage("a URL is needed (or --list)")
    options = ConnectOptions(
        headers=headers,
        subprotocols=ns.subprotocol,
        origin=ns.origin,
        open_timeout=max(ns.timeout, 1.0),
        tls=tls_options(ns),
        max_capture_bytes=capture_budget(ns),
        proxy=ns.proxy,
    )
    done = [0]
    progress = not ns.json and sys.stderr.isatty()

    def on_result(result: CaseResult) -> None:
        done[0] += 1
        if progress:
            print(f"\r{done[0]}/{len(cases)} {result.id:<10}", end="", file=sys.stderr)

    try:
        report = asyncio.run(
            run_probe(
                ns.url,
                cases=cases,
                timeout=ns.timeout,
                concurrency=ns.concurrency,
                options=options,
                on_result=on_result,
                keep_captures=False,
            )
        )
    except ProbeUnreachable as exc:
        if exc.step == "url":
            return usage(exc.message)
        print(
            f"ws-inspector probe: cannot reach {ns.url}: {peer_text(exc.message, 800)}",
            file=sys.stderr,
        )
        return 1
    if progress:
        print("\r" + " " * 30 + "\r", end="", file=sys.stderr)
    _print_report(ns, report)
    status = 0
    if ns.html:
        try:
            write_html(report, ns.html)
        except OSError as exc:
            print(f"ws-inspector probe: cannot write {ns.html}: {exc}", file=sys.stderr)
            status = 1
    if ns.fail_on:
        bad = failing(report, ns.fail_on)
        if bad:
            words = "failed" if ns.fail_on == "failed" else "non-strict or failed"
            ids = ", ".join(r.id for r in bad[:10]) + (", ..." if len(bad) > 10 else "")
            print(
                f"ws-inspector probe: {len(bad)} case(s) graded {words}: {ids}",
                file=sys.stderr,
            )
            status = 1
    return status
