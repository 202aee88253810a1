"""One case of the check-up: its steps, what it expects, and that in words."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from .model import (
    CATEGORY_RFC,
    Chopped,
    Deflated,
    Expectation,
    Frames,
    SendMessage,
    Step,
    payload_size,
)
from .wording import describe_expectation

__all__ = ["Case"]


@dataclass(frozen=True, slots=True)
class Case:
    """Each case opens one fresh connection, performs its steps and says what a
    conforming server does in return (its expectation)."""

    id: str
    category: str
    title: str
    steps: tuple[Step, ...]
    expect: Expectation
    #: The expected behaviour in words (made from ``expect`` when empty).
    expected: str = ""
    #: ``None``: offer no extension; ``""``: offer permessage-deflate the default way;
    #: anything else: this exact Sec-WebSocket-Extensions offer.
    deflate: str | None = None
    rfc: str = ""
    #: Payload bytes the case moves each way, to scale its time limit.
    weight: int = field(default=0)
    #: At most this long (seconds) to wait for a reaction after the last step, for
    #: cases where the sync ping cannot help (it would be read as payload).
    wait: float | None = None

    def __post_init__(self) -> None:
        if self.category not in CATEGORY_RFC:
            raise ValueError(f"unknown category {self.category!r}")
        if not self.expected:
            text = describe_expectation(self.expect)
            if self.deflate is not None:
                text += " (info if the server does not negotiate permessage-deflate)"
            object.__setattr__(self, "expected", text)
        if not self.rfc:
            object.__setattr__(self, "rfc", CATEGORY_RFC[self.category])
        if not self.weight:
            object.__setattr__(self, "weight", _weight(self.steps))


def _weight(steps: Iterable[Step]) -> int:
    total = 0
    for step in steps:
        if isinstance(step, Frames | Chopped):
            total += sum(len(f.payload) for f in step.frames)
        elif isinstance(step, SendMessage):
            total += payload_size(step.payload)
        elif isinstance(step, Deflated):
            total += len(step.payload)
    return total
