"""Rules a proxy applies to every message without pausing: replace, drop, delay, close.

Each rule names a direction by its sender: ``client`` (frames from the client,
:attr:`~inspector.capture.events.Direction.OUT`) or ``server`` (``IN``). The command
line's forms are parsed here (:func:`parse_replace`, :func:`parse_drop`,
:func:`parse_delay`), so that the window and ``ws-inspector proxy`` mean the same:

* ``client:REGEX=>REPLACEMENT``: in each text message from the client, every match of
  REGEX is replaced (Python :func:`re.sub` syntax: ``\\1``, ``\\g<name>``); the first
  ``=>`` separates the two;
* ``server:REGEX``: a text message from the server in which REGEX matches is dropped;
* ``client:MS``: each frame from the client is relayed MS milliseconds after it came.

Replace and drop look at text messages only: a binary message passes them unchanged.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from ...capture.events import Direction

__all__ = [
    "DropRule",
    "ReplaceRule",
    "Rules",
    "parse_delay",
    "parse_drop",
    "parse_replace",
    "parse_rule_lines",
    "side_name",
]

_SIDES = {"client": Direction.OUT, "server": Direction.IN}


def side_name(side: Direction) -> str:
    """``client`` or ``server``: who sent the frames of ``side``."""
    return "client" if side is Direction.OUT else "server"


def _split_side(text: str, form: str) -> tuple[Direction, str]:
    name, sep, rest = text.partition(":")
    side = _SIDES.get(name.strip().lower())
    if not sep or side is None:
        raise ValueError(f"{text!r}: write {form} (the side is client or server)")
    return side, rest


def _compile(pattern: str, text: str) -> re.Pattern[str]:
    if not pattern:
        raise ValueError(f"{text!r}: the regular expression is empty")
    try:
        return re.compile(pattern)
    except re.error as exc:
        raise ValueError(f"{text!r}: not a regular expression: {exc}") from None


@dataclass(frozen=True, slots=True)
class ReplaceRule:
    side: Direction
    pattern: re.Pattern[str]
    replacement: str

    @property
    def label(self) -> str:
        return f"replace {side_name(self.side)}:{self.pattern.pattern}=>{self.replacement}"


@dataclass(frozen=True, slots=True)
class DropRule:
    side: Direction
    pattern: re.Pattern[str]

    @property
    def label(self) -> str:
        return f"drop {side_name(self.side)}:{self.pattern.pattern}"


def parse_replace(text: str) -> ReplaceRule:
    """``client:REGEX=>REPLACEMENT`` (or ``server:``); ValueError saying what is wrong."""
    form = "SIDE:REGEX=>REPLACEMENT"
    side, rest = _split_side(text, form)
    pattern, sep, replacement = rest.partition("=>")
    if not sep:
        raise ValueError(f"{text!r}: write {form} (no '=>' found)")
    compiled = _compile(pattern, text)
    try:
        compiled.sub(replacement, "")  # a bad group reference fails now, not per message
    except (re.error, IndexError) as exc:
        raise ValueError(f"{text!r}: bad replacement: {exc}") from None
    return ReplaceRule(side, compiled, replacement)


def parse_drop(text: str) -> DropRule:
    side, rest = _split_side(text, "SIDE:REGEX")
    return DropRule(side, _compile(rest, text))


def parse_delay(text: str) -> tuple[Direction, int]:
    side, rest = _split_side(text, "SIDE:MS")
    rest = rest.strip()
    if not rest.isdigit():
        raise ValueError(f"{text!r}: the delay is a whole number of milliseconds")
    return side, int(rest)


@dataclass(frozen=True, slots=True)
class Rules:
    """The rules in force; immutable, replaced as a whole when the user edits them."""

    replace: tuple[ReplaceRule, ...] = ()
    drop: tuple[DropRule, ...] = ()
    #: Milliseconds each direction is held back: (from the client, from the server).
    delay_ms: tuple[int, int] = (0, 0)
    #: Close the connection (1000 to both sides) once this many data messages went
    #: through, both directions counted; None: never.
    close_after: int | None = None
    _by_side: tuple[tuple[ReplaceRule | DropRule, ...], ...] = field(
        init=False, repr=False, compare=False, default=((), ())
    )

    def __post_init__(self) -> None:
        if any(ms < 0 for ms in self.delay_ms):
            raise ValueError("a delay is not negative")
        if self.close_after is not None and self.close_after < 1:
            raise ValueError("close after at least one message")
        # Drops first: a message that is dropped needs no replacing.
        every: list[ReplaceRule | DropRule] = [*self.drop, *self.replace]
        by_side = tuple(
            tuple(r for r in every if r.side is side) for side in (Direction.OUT, Direction.IN)
        )
        object.__setattr__(self, "_by_side", by_side)

    @classmethod
    def parse(
        cls,
        replace: Sequence[str] = (),
        drop: Sequence[str] = (),
        delay: Sequence[str] = (),
        close_after: int | None = None,
    ) -> Rules:
        """The command line's forms; ValueError for the first one that is wrong."""
        delays = [0, 0]
        for text in delay:
            side, ms = parse_delay(text)
            delays[0 if side is Direction.OUT else 1] = ms
        return cls(
            tuple(parse_replace(t) for t in replace),
            tuple(parse_drop(t) for t in drop),
            (delays[0], delays[1]),
            close_after,
        )

    @property
    def empty(self) -> bool:
        return not (self.replace or self.drop or any(self.delay_ms) or self.close_after)

    def delay(self, side: Direction) -> float:
        """Seconds frames from ``side``'s sender are held back."""
        return self.delay_ms[0 if side is Direction.OUT else 1] / 1000

    def touches(self, side: Direction) -> bool:
        """Whether any rule looks at the text of ``side``'s messages."""
        return bool(self._by_side[0 if side is Direction.OUT else 1])

    def apply(self, side: Direction, text: str) -> tuple[str | None, list[str]]:
        """``text`` after the rules of ``side``: the new text (None: dropped) and the
        labels of the rules that changed or dropped it."""
        used: list[str] = []
        for rule in self._by_side[0 if side is Direction.OUT else 1]:
            if isinstance(rule, DropRule):
                if rule.pattern.search(text):
                    return None, [rule.label]
                continue
            new, n = rule.pattern.subn(rule.replacement, text)
            if n:
                text = new
                used.append(rule.label)
        return text, used

    def describe(self) -> list[str]:
        """One line per rule, as the command line writes it."""
        every: list[ReplaceRule | DropRule] = [*self.replace, *self.drop]
        lines = [r.label for r in every]
        for side, ms in zip((Direction.OUT, Direction.IN), self.delay_ms, strict=True):
            if ms:
                lines.append(f"delay {side_name(side)}:{ms}")
        if self.close_after:
            lines.append(f"close after {self.close_after} messages")
        return lines


def parse_rule_lines(text: str) -> Rules:
    """Rules written one a line as :meth:`Rules.describe` writes them (``replace
    client:a=>b``, ``drop server:^ping``, ``delay client:100``, ``close after 10``);
    blank lines and ``#`` comments are skipped. ValueError names the line at fault."""
    replace: list[str] = []
    drop: list[str] = []
    delay: list[str] = []
    close_after: int | None = None
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        word, _, rest = line.partition(" ")
        rest = rest.strip()
        try:
            if word == "replace":
                parse_replace(rest)
                replace.append(rest)
            elif word == "drop":
                parse_drop(rest)
                drop.append(rest)
            elif word == "delay":
                parse_delay(rest)
                delay.append(rest)
            elif word == "close" and rest.startswith("after"):
                count = rest[len("after") :].strip().removesuffix("messages").strip()
                if not count.isdigit() or int(count) < 1:
                    raise ValueError(f"{line!r}: write close after N (N at least 1)")
                close_after = int(count)
            else:
                raise ValueError(
                    f"{line!r}: a rule starts with replace, drop, delay or close after"
                )
        except ValueError as exc:
            raise ValueError(f"line {number}: {exc}") from None
    return Rules.parse(replace, drop, delay, close_after)
