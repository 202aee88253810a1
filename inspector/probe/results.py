"""What a check-up produces: one :class:`CaseResult` per case, and the
:class:`ProbeReport` of a battery."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from ..capture.store import CaptureStore
from ..engine.server import is_observe_mode
from .model import Grade, case_key

__all__ = ["CaseResult", "ProbeReport", "lenient_server_note"]


@dataclass(frozen=True, slots=True)
class CaseResult:
    """The verdict on one case, with what was expected and what was seen, in words.

    ``close_code`` is the code of the server's close frame, if it sent one;
    ``store`` is the capture of the case's connection (every frame both ways)."""

    id: str
    category: str
    title: str
    grade: Grade
    expected: str
    observed: str
    close_code: int | None = None
    close_reason: str | None = None
    duration: float = 0.0
    store: CaptureStore | None = field(default=None, compare=False, repr=False)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "category": self.category,
            "title": self.title,
            "grade": self.grade.value,
            "expected": self.expected,
            "observed": self.observed,
            "close_code": self.close_code,
            "close_reason": self.close_reason,
            "duration": round(self.duration, 4),
        }


def lenient_server_note(server: str | None) -> str | None:
    """What to say first when the server checked is our own echo server in observe
    mode (its Server header says so): lenient on purpose, and the strict mode is a
    command away. None for any other server."""
    if not is_observe_mode(server):
        return None
    return (
        "this is ws-inspector's echo server in observe mode, lenient on purpose: it "
        "records violations and echoes what it can; for a strict reference server, run "
        "`ws-inspector serve --strict`"
    )


@dataclass(frozen=True, slots=True)
class ProbeReport:
    """A finished battery: the results in case order (the natural order of their
    ids, whatever order they are given in), and what the server is."""

    url: str
    results: tuple[CaseResult, ...]
    started_at: str
    duration: float
    #: The server's Server header and negotiated extensions (first connection).
    server: str | None = None
    extensions: str | None = None
    #: Set when the server became unreachable during the battery: why.
    unreachable: str | None = None

    def __post_init__(self) -> None:
        # Case order whatever order the results finished in (or were given in).
        ordered = tuple(sorted(self.results, key=lambda r: case_key(r.id)))
        object.__setattr__(self, "results", ordered)

    def __iter__(self) -> Iterator[CaseResult]:
        return iter(self.results)

    def __len__(self) -> int:
        return len(self.results)

    def __getitem__(self, index: int) -> CaseResult:
        return self.results[index]

    def by_id(self, case_id: str) -> CaseResult:
        for result in self.results:
            if result.id == case_id:
                return result
        raise KeyError(case_id)

    def counts(self) -> dict[Grade, int]:
        counts = dict.fromkeys(Grade, 0)
        for result in self.results:
            counts[result.grade] += 1
        return counts

    def worst(self) -> Grade | None:
        """The worst grade in the report (see :attr:`Grade.severity`); None if empty:
        what ``probe --fail-on`` compares with."""
        return max((r.grade for r in self.results), key=lambda g: g.severity, default=None)

    def summary(self) -> str:
        """``"214 cases: 190 passed, 10 non-strict, 8 failed, 6 info"``."""
        counts = self.counts()
        n = len(self.results)
        parts = ", ".join(f"{counts[g]} {g.value}" for g in Grade)
        return f"{n} case{'' if n == 1 else 's'}: {parts}"

    @property
    def note(self) -> str | None:
        """What the reader should know about the server before reading the grades
        (it is our own lenient echo server), or None."""
        return lenient_server_note(self.server)
