"""The server check-up ("probe"): RFC 6455 cases run against a live echo server.

``await run_probe(url)`` opens one fresh connection per case, sends the case's
frames, watches what the server answers (an echo, a close frame and its code, a TCP
drop, silence) and grades it passed, non-strict, failed or info, in words, with the
capture of the case kept in :attr:`CaseResult.store`. :data:`CASES` lists the cases;
:mod:`.report` turns results into a table, JSON Lines or an HTML page.
"""

from __future__ import annotations

from .cases import CASES, CATEGORIES, Case, Grade, select_cases
from .runner import (
    DEFAULT_CONCURRENCY,
    DEFAULT_TIMEOUT,
    CaseResult,
    ProbeReport,
    ProbeUnreachable,
    run_case,
    run_probe,
)

__all__ = [
    "CASES",
    "CATEGORIES",
    "DEFAULT_CONCURRENCY",
    "DEFAULT_TIMEOUT",
    "Case",
    "CaseResult",
    "Grade",
    "ProbeReport",
    "ProbeUnreachable",
    "run_case",
    "run_probe",
    "select_cases",
]
