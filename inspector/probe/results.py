"""What a check-up produces: one :class:`CaseResult` per case, and the
:class:`ProbeReport` of a battery."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from ..capture.store import CaptureStore
from .model import Grade, case_key

__all__ = ["CaseResult", "ProbeReport"]


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
