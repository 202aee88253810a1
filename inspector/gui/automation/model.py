"""What the automation widgets show, in words and rows, without Qt.

:func:`difference_rows` finds the timeline rows a replay's difference is about (in
the captured session and in the replay), :func:`replay_summary` says how a replay
went, and :class:`ScriptLog` keeps what a script reported in a tab (bounded).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from ...automation.compare import Difference, DifferenceKind
from ...automation.messages import direction_of, messages_of
from ...capture.events import Direction
from ...capture.store import CaptureStore
from ...protocol.constants import Opcode, Role
from ...views.text import escape_control

__all__ = [
    "TIMINGS",
    "LogEntry",
    "ScriptLog",
    "difference_rows",
    "difference_text",
    "replay_summary",
    "timing_word",
]

#: The timing choices of the replay dialog: (word for parse_timing, label).
TIMINGS: tuple[tuple[str, str], ...] = (
    ("original", "Original spacing"),
    ("fast", "As fast as possible"),
    ("scale", "Scaled by a factor"),
)


def timing_word(choice: str, factor: float) -> str:
    """The ``--timing`` word of a dialog choice (the factor only for ``scale``)."""
    return f"{factor:g}" if choice == "scale" else choice


def _server_close_row(store: CaptureStore) -> int | None:
    d = 0 if direction_of(store, Role.SERVER) is Direction.OUT else 1
    for row in range(len(store)):
        if store.dir[row] == d and store.b0[row] & 0x0F == Opcode.CLOSE:
            return row
    return None


def _message_row(store: CaptureStore, index: int | None) -> int | None:
    if index is None:
        return None
    messages = messages_of(store, Role.SERVER)
    if not 1 <= index <= len(messages):
        return None
    return messages[index - 1].row


def difference_rows(
    diff: Difference, captured: CaptureStore, replayed: CaptureStore
) -> tuple[int | None, int | None]:
    """The store rows (captured, replayed) that ``diff`` is about; None where that
    side has no such row (a missing message has none in the replay)."""
    if diff.kind is DifferenceKind.CLOSE:
        return _server_close_row(captured), _server_close_row(replayed)
    if diff.kind is DifferenceKind.MISSING:
        return _message_row(captured, diff.index), None
    if diff.kind is DifferenceKind.EXTRA:
        return None, _message_row(replayed, diff.index)
    return _message_row(captured, diff.index), _message_row(replayed, diff.replayed_index)


_KIND_WORDS = {
    DifferenceKind.MISSING: "Missing",
    DifferenceKind.EXTRA: "Extra",
    DifferenceKind.PAYLOAD: "Different payload",
    DifferenceKind.CLOSE: "Different close",
}


def difference_text(diff: Difference) -> str:
    """One line for the list: the kind first, then what each side had."""
    if diff.kind is DifferenceKind.MISSING:
        return f"{_KIND_WORDS[diff.kind]}: message {diff.index}, captured {diff.captured}"
    if diff.kind is DifferenceKind.EXTRA:
        return f"{_KIND_WORDS[diff.kind]}: message {diff.index}, received {diff.replayed}"
    what = "close" if diff.kind is DifferenceKind.CLOSE else f"message {diff.index}"
    return f"{_KIND_WORDS[diff.kind]}: {what}, captured {diff.captured}, received {diff.replayed}"


def replay_summary(
    source: str,
    *,
    running: bool,
    steps: int,
    sent: int = 0,
    compared: bool = False,
    differences: int = 0,
    stopped: bool = False,
    reason: str = "",
) -> str:
    """The replay panel's headline."""
    name = escape_control(source)
    plural = "" if steps == 1 else "s"
    if running:
        return f"Replaying {steps} step{plural} of {name}…"
    parts = [f"Replay of {name} {'stopped' if stopped else 'done'}: {sent} of {steps} sent"]
    if compared:
        if differences:
            parts.append(
                f"{differences} difference{'' if differences == 1 else 's'} from the capture"
            )
        else:
            parts.append("the answers are the same as the capture's")
    if reason:
        parts.append(escape_control(reason))
    return "; ".join(parts)


@dataclass(frozen=True, slots=True)
class LogEntry:
    """One report of a script, as the tab keeps it (its text escaped already)."""

    kind: str  # error, slow, log, note (ReportKind's words)
    hook: str
    text: str
    detail: str = ""
    label: str = ""

    def line(self) -> str:
        word = "" if self.kind in ("log", "note") else f"{self.kind}: "
        label = f"{self.label} " if self.label else ""
        return f"{label}{word}{self.text}"


class ScriptLog:
    """What scripts reported in one tab: the last :attr:`LIMIT` entries, and counts
    of every kind since the start (a script that logs every message must not grow
    the window without end)."""

    LIMIT = 2000

    def __init__(self, limit: int | None = None) -> None:
        self.entries: deque[LogEntry] = deque(maxlen=limit or self.LIMIT)
        self.counts: dict[str, int] = {}

    def add(self, kind: str, hook: str, text: str, detail: str = "", label: str = "") -> LogEntry:
        entry = LogEntry(
            kind,
            hook,
            escape_control(text),
            escape_control(detail, keep_newlines=True),
            escape_control(label),
        )
        self.entries.append(entry)
        self.counts[kind] = self.counts.get(kind, 0) + 1
        return entry

    def extend(self, reports: Iterable[tuple[str, str, str, str, str]]) -> list[LogEntry]:
        return [self.add(*r) for r in reports]

    @property
    def dropped(self) -> int:
        """Entries no longer kept."""
        return sum(self.counts.values()) - len(self.entries)

    def last(self, kinds: Sequence[str]) -> LogEntry | None:
        """The newest entry of one of ``kinds``."""
        for entry in reversed(self.entries):
            if entry.kind in kinds:
                return entry
        return None

    def summary(self) -> str:
        """Counts in words: ``2 errors, 1 slow hook, 14 log lines``."""
        words = (("error", "error", "errors"), ("slow", "slow hook", "slow hooks"))
        parts = []
        for kind, one, many in (*words, ("log", "log line", "log lines")):
            n = self.counts.get(kind, 0)
            if n:
                parts.append(f"{n} {one if n == 1 else many}")
        return ", ".join(parts) or "nothing reported yet"
