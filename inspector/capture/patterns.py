"""What a regular expression needs to see besides the bytes it matches, which decides
how the payload arena can be searched with it (:mod:`.scan`).

In an arena a payload's neighbours are right next to it. A pattern's match depends
only on the bytes it covers unless it has anchors, word boundaries or lookarounds:

- none of them: the pattern can run over the whole arena at once (``SCAN``);
- only end-side ones (``$``, ``\\Z``, lookahead): a search bounded to a row's span
  (``pattern.search(arena, start, end)``) sees the row's end as the string's end, so
  each row can be searched in place (``ROWS``);
- a leading ``^`` or ``\\A`` (and nothing start-side after it): a bounded ``match``
  of the rest at the row's start (``MATCH``);
- anything else (``\\b``, lookbehind, ``^`` in MULTILINE mode or later in the
  pattern) looks before a row's start: None, each payload is tested on its own.

The analysis reads the standard library's pattern parser (``re._parser``, private but
unchanged since 3.11); where it is missing every pattern gets None (the slow, always
right, way).
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable
from typing import Any, NamedTuple

__all__ = ["MATCH", "ROWS", "SCAN", "Plan", "literal_of", "plan", "required_literal"]

SCAN = "scan"
ROWS = "rows"
MATCH = "match"


class Plan(NamedTuple):
    """How to search the arena (:data:`SCAN`, :data:`ROWS` or :data:`MATCH`), with
    which pattern (for MATCH: the pattern after its leading anchor)."""

    kind: str
    pattern: bytes


try:
    _c: Any = importlib.import_module("re._constants")
    _PARSE: Callable[[str | bytes, int], Any] | None = importlib.import_module("re._parser").parse
    _LITERAL: object = _c.LITERAL
    _AT: object = _c.AT
    _ASSERTS: frozenset[object] = frozenset((_c.ASSERT, _c.ASSERT_NOT))
    _END_ATS: frozenset[object] = frozenset((_c.AT_END, _c.AT_END_LINE, _c.AT_END_STRING))
    _BOTH_ATS: frozenset[object] = frozenset((_c.AT_BOUNDARY, _c.AT_NON_BOUNDARY))
    _LEADING: frozenset[object] = frozenset((_c.AT_BEGINNING, _c.AT_BEGINNING_STRING))
    _BEGINNING_STRING: object = _c.AT_BEGINNING_STRING
    _ZERO_WIDTH: frozenset[object] = frozenset((_c.AT, _c.ASSERT, _c.ASSERT_NOT))
except (ImportError, AttributeError):  # pragma: no cover - another implementation
    _PARSE = None


def _parse(pattern: str | bytes) -> Any | None:
    if _PARSE is None:  # pragma: no cover - another implementation
        return None
    try:
        return _PARSE(pattern, 0)
    except (re.error, RecursionError, TypeError, ValueError, OverflowError):
        return None


def _sides(items: Any) -> tuple[bool, bool]:
    """Whether a parsed (sub)pattern looks before its match's start, and past its end."""
    start = end = False
    for op, av in items:
        if op is _AT:
            if av in _END_ATS:
                end = True
            elif av in _BOTH_ATS:
                start = end = True
            else:
                start = True
        elif op in _ASSERTS:
            direction, sub = av
            if direction < 0:
                start = True
            else:
                end = True
            s, e = _sides(sub)
            start, end = start or s, end or e
        else:
            s, e = _value_sides(av)
            start, end = start or s, end or e
        if start and end:
            break
    return start, end


def _value_sides(av: Any) -> tuple[bool, bool]:
    if type(av).__name__ == "SubPattern":
        return _sides(av)
    start = end = False
    if isinstance(av, tuple | list):
        for item in av:
            s, e = _value_sides(item)
            start, end = start or s, end or e
    return start, end


def plan(pattern: bytes) -> Plan | None:
    """How the arena can be searched with ``pattern`` (see the module's text), or
    None when each payload must be tested on its own."""
    parsed = _parse(pattern)
    if parsed is None:
        return None
    start, end = _sides(parsed)
    if not start:
        return Plan(ROWS if end else SCAN, pattern)
    if not len(parsed):
        return None
    op, av = parsed[0]
    multiline = parsed.state.flags & re.MULTILINE
    if op is not _AT or av not in _LEADING or (multiline and av is not _BEGINNING_STRING):
        return None
    if _sides(parsed[1:])[0]:
        return None
    # The anchor's own characters lead the pattern text (after them: the rest).
    for prefix in (b"^", b"\\A"):
        if pattern.startswith(prefix):
            return Plan(MATCH, pattern[len(prefix) :])
    return None  # inline flags or verbose whitespace before the anchor


def literal_of(pattern: bytes) -> tuple[bytes, bool] | None:
    """``(bytes, ignores_case)`` when a regular expression is a plain string of
    literal bytes (``alert``, ``a\\.b``, ``(?i)ALERT``), else None: a literal is
    found with ``find``, far faster than the pattern engine ignoring case."""
    parsed = _parse(pattern)
    if parsed is None or not all(op is _LITERAL for op, _ in parsed):
        return None
    flags = parsed.state.flags
    if flags & re.LOCALE:
        return None
    return bytes(av for _, av in parsed), bool(flags & re.IGNORECASE)


#: ASCII letters that Unicode case-insensitive matching also pairs with non-ASCII
#: letters (dotless and dotted i, long s, the Kelvin sign): no prefilter for them.
_UNICODE_CASED = frozenset(map(ord, "iIsSkK"))


def required_literal(
    pattern: str | bytes, *, ignore_case: bool, regex: bool = True
) -> tuple[bytes, bool] | None:
    """``(bytes, ignores_case)``: the longest run of literal characters (two or more)
    that every match of ``pattern`` contains, as the bytes a payload then holds, or
    None. A ``str`` pattern is matched against payloads decoded from UTF-8, so only
    characters whose UTF-8 form a match surely holds count: ignoring case, ASCII
    characters that have no non-ASCII case partner.

    A search that cannot use the arena tests only the rows holding these bytes
    (found in the arena first)."""
    if not regex:
        pattern = re.escape(pattern)  # type: ignore[type-var]  # str or bytes, either
    parsed = _parse(pattern)
    if parsed is None:
        return None
    flags = parsed.state.flags
    if flags & re.LOCALE:
        return None
    fold = ignore_case or bool(flags & re.IGNORECASE)
    text = isinstance(pattern, str)
    best: list[int] = []
    run: list[int] = []
    for op, av in parsed:
        if op is _LITERAL and _usable(av, text, fold):
            run.append(av)
            continue
        if op in _ZERO_WIDTH:
            continue  # consumes nothing: the characters around it are adjacent
        best = max(best, run, key=len)
        run = []
    best = max(best, run, key=len)
    if len(best) < 2:
        return None
    literal = "".join(map(chr, best)).encode("utf-8") if text else bytes(best)
    return literal, fold


def _usable(code: int, text: bool, fold: bool) -> bool:
    if not text:
        return True
    if fold:
        return code < 0x80 and code not in _UNICODE_CASED
    # Decoding with "replace" makes U+FFFD of bytes that are not it; no payload
    # decodes to a surrogate.
    return code != 0xFFFD and not 0xD800 <= code <= 0xDFFF
