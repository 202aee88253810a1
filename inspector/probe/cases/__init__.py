"""The probe's cases: rules of RFC 6455 (and RFC 7692) as small scripts with a verdict.

Each category has its module here (:mod:`.framing`, :mod:`.pings`, ... :mod:`.deflate`),
written in the vocabulary of :mod:`.kit` and the case language of
:mod:`inspector.probe.model`. The cases are written from the RFC text and from the
published descriptions of the Autobahn TestSuite cases (their numbering is followed
loosely where it helps a reader who knows it); no code is taken from it. The server
under test is expected to echo every text and binary message, as the Autobahn
"fuzzing client" mode expects.

:data:`CASES` holds every case in case order (the natural order of their ids, which
is also category order); :func:`select_cases` picks some.
"""

from __future__ import annotations

from collections.abc import Iterable

from ..case import Case
from ..model import (
    CATEGORIES,
    Blob,
    Chopped,
    CloseReply,
    Deflated,
    Echo,
    Expectation,
    Fail,
    Frames,
    Grade,
    Observe,
    Pause,
    Payload,
    SendMessage,
    Step,
    Sync,
    case_key,
)
from ..wording import describe_expectation
from . import (
    close,
    deflate,
    fragmentation,
    framing,
    limits,
    opcodes,
    pings,
    reserved_bits,
    utf8,
)
from .kit import Registry

__all__ = [
    "CASES",
    "CATEGORIES",
    "Blob",
    "Case",
    "Chopped",
    "CloseReply",
    "Deflated",
    "Echo",
    "Expectation",
    "Fail",
    "Frames",
    "Grade",
    "Observe",
    "Pause",
    "Payload",
    "SendMessage",
    "Step",
    "Sync",
    "describe_expectation",
    "select_cases",
]

#: The category modules, in battery order (the order of CATEGORIES).
_MODULES = (framing, pings, reserved_bits, opcodes, fragmentation, utf8, close, limits, deflate)


def _build() -> tuple[Case, ...]:
    registry = Registry()
    for module in _MODULES:
        module.add(registry)
    return tuple(sorted(registry.cases, key=lambda case: case_key(case.id)))


#: Every case, in case order (1.1.2 before 1.1.10; categories in battery order).
CASES: tuple[Case, ...] = _build()


def select_cases(
    categories: Iterable[str] | None = None, ids: Iterable[str] | None = None
) -> tuple[Case, ...]:
    """The cases of these categories (all if ``None``), narrowed to ids equal to or
    starting with one of ``ids`` ("6.4" selects 6.4.1 ... but not 6.40), in case
    order. Raises ``ValueError`` for an unknown category or an id that selects
    nothing."""
    chosen = CASES
    if categories is not None:
        wanted = list(dict.fromkeys(categories))
        unknown = [name for name in wanted if name not in CATEGORIES]
        if unknown:
            raise ValueError(
                f"unknown categor{'y' if len(unknown) == 1 else 'ies'} "
                f"{', '.join(map(repr, unknown))}; choose from {', '.join(CATEGORIES)}"
            )
        chosen = tuple(case for case in chosen if case.category in wanted)
    if ids is not None:
        prefixes = list(ids)
        for prefix in prefixes:
            if not any(_id_match(case.id, prefix) for case in CASES):
                raise ValueError(f"no case has the id {prefix!r}")
        chosen = tuple(c for c in chosen if any(_id_match(c.id, p) for p in prefixes))
    return chosen


def _id_match(case_id: str, prefix: str) -> bool:
    prefix = prefix.rstrip(".")
    return case_id == prefix or case_id.startswith(prefix + ".")
