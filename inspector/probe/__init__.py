"""The server check-up ("probe"): RFC 6455 cases run against a live echo server.

``await run_probe(url)`` opens one fresh connection per case, sends the case's
frames, watches what the server answers (an echo, a close frame and its code, a TCP
drop, silence) and grades it passed, non-strict, failed or info, in words, with the
capture of the case kept in :attr:`CaseResult.store`.

The package, from the bottom up: :mod:`.model` (the case language: grades, steps,
expectations), :mod:`.wording` (the words), :mod:`.case` (one case), :mod:`.cases`
(the registry: one module per category, :data:`CASES`), :mod:`.grading` (pure:
an observation and a case in, a grade out), :mod:`.observer` (watching one
connection), :mod:`.runner` (running cases and batteries), :mod:`.results` and
:mod:`.report` (a table, JSON Lines or an HTML page).
"""

from __future__ import annotations

from .case import Case
from .cases import CASES, select_cases
from .model import CATEGORIES, Grade
from .results import CaseResult, ProbeReport
from .runner import (
    DEFAULT_CONCURRENCY,
    DEFAULT_TIMEOUT,
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
