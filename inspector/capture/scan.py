"""Searching a :class:`~.arena.PayloadArena` with one C-level scan of the arena.

A search of three million small payloads one ``bytes`` object at a time costs a
Python-level call each (~0.3 µs: about a second). The arena holds them back to back,
so ``bytearray.find`` (or a compiled pattern's ``search``) runs over all of them at
once, and each hit is mapped to its row by bisecting the ends column. A hit that
runs over the end of its payload into the next is not a match of either: the rows it
touches are tested one by one, with the search bounded to each row's span.

When most rows match, one Python step per hit would cost more than the search: the
scan then tests every row in C instead (``map`` of the bounded ``count``/``search``
over the rows' spans: no object per row but the result).

Only patterns whose matches depend on nothing outside the bytes they match can be
scanned this way: anchors (``^``, ``$``, ``\\b``, ``\\A``...) and lookarounds see
the neighbouring payload in an arena, so for those :func:`search_arena` returns None
and the caller tests each payload (what :func:`~.bulk.matcher` does).
"""

from __future__ import annotations

import importlib
import re
from array import array
from bisect import bisect_right
from collections.abc import Callable
from functools import partial
from itertools import compress, repeat
from typing import Any

from .arena import PayloadArena

__all__ = ["literal_of", "scannable", "search_arena"]

#: Hits per row (in the rows scanned so far) above which the scan switches to
#: testing every row in C; checked every :data:`_CHECK_EVERY` hits.
_DENSE = 1 / 8
_CHECK_EVERY = 1024
#: A search limited to this few rows tests them one by one (the live tail).
_FEW_ROWS = 4096

try:  # the pattern parser of the standard library (private, there since 3.11)
    _sre_constants: Any = importlib.import_module("re._constants")
    _PARSE: Callable[[bytes, int], Any] | None = importlib.import_module("re._parser").parse
    _LITERAL: object = _sre_constants.LITERAL
    _CONTEXT_OPS: frozenset[object] = frozenset(
        (_sre_constants.AT, _sre_constants.ASSERT, _sre_constants.ASSERT_NOT)
    )
except (ImportError, AttributeError):  # pragma: no cover - another implementation
    _PARSE = None
    _LITERAL = None
    _CONTEXT_OPS = frozenset()


def _parse(pattern: bytes) -> Any | None:
    if _PARSE is None:  # pragma: no cover - another implementation
        return None
    try:
        return _PARSE(pattern, 0)
    except (re.error, RecursionError, TypeError, ValueError):
        return None


def _context_free(items: Any) -> bool:
    """No anchor or lookaround anywhere in a parsed pattern (nested groups, branches,
    repeats included)."""
    for op, av in items:
        if op in _CONTEXT_OPS:
            return False
        if not _context_free_value(av):
            return False
    return True


def _context_free_value(av: Any) -> bool:
    if isinstance(av, tuple | list):
        for item in av:
            if _is_subpattern(item):
                if not _context_free(item):
                    return False
            elif not _context_free_value(item):
                return False
        return True
    if _is_subpattern(av):
        return _context_free(av)
    return True


def _is_subpattern(value: Any) -> bool:
    return type(value).__name__ == "SubPattern"


def scannable(pattern: bytes) -> bool:
    """Whether a regular expression's matches depend only on the bytes they cover
    (so that it may be run over the arena)."""
    parsed = _parse(pattern)
    return parsed is not None and _context_free(parsed)


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


def search_arena(
    arena: PayloadArena,
    needle: bytes,
    *,
    regex: bool,
    case: bool,
    rows: array[int] | None,
) -> array[int] | None:
    """Rows (of ``rows``, or all; in that order) whose arena span matches ``needle``
    (bytes; case-insensitive means ASCII letters, as ``re`` does for bytes), or None
    when the pattern cannot be scanned in an arena. Payloads kept as their own
    objects are the caller's to test (:attr:`PayloadArena.own`)."""
    fold = not case
    if regex:
        literal = literal_of(needle)
        if literal is not None:
            needle, inline_fold = literal
            fold = fold or inline_fold
            regex = False
        elif not scannable(needle):
            return None
    bounds = arena.bounds
    n = len(bounds) - 1
    if rows is not None:
        if not len(rows):
            return array("q")
        lo, hi = min(rows), max(rows) + 1
        if lo < 0 or hi > n:
            raise IndexError(f"row out of range (the store has {n} frames)")
    else:
        lo, hi = 0, n
    if lo >= hi:
        return array("q")
    s0 = bounds[lo]
    e0 = bounds[hi]
    data = arena.data
    # The haystack holds the span [s0, e0) at offset s0 - base.
    hay: bytes | bytearray = data
    base = 0
    if fold and not regex:
        hay = (data if s0 == 0 and e0 == len(data) else data[s0:e0]).lower()
        needle = needle.lower()
        base = s0
    everything = range(lo, hi) if rows is None else rows
    if regex:
        rx = re.compile(needle, re.IGNORECASE if fold else 0)
        if rx.search(b"") is not None:
            # Context-free and matching nothing: it matches every payload.
            return array("q", everything)
        find = _regex_finder(rx, hay)
        each: Callable[[Any, Any], Any] = partial(map, rx.search, repeat(hay))
    else:
        if not needle:
            return array("q", everything)
        find = _literal_finder(needle, hay)
        each = partial(map, hay.count, repeat(needle))
    if rows is not None and len(rows) <= _FEW_ROWS:
        return _each_row(each, bounds, base, rows)
    found = _sparse(find, bounds, lo, hi, base)
    if found is None:
        return _each_row(each, bounds, base, everything)
    if rows is None or not found:
        return found
    return array("q", compress(rows, map(set(found).__contains__, rows)))


Finder = Callable[[int, int], "tuple[int, int] | None"]


def _literal_finder(needle: bytes, hay: bytes | bytearray) -> Finder:
    k = len(needle)
    hay_find = hay.find

    def find(pos: int, end: int) -> tuple[int, int] | None:
        p = hay_find(needle, pos, end)
        return None if p < 0 else (p, p + k)

    return find


def _regex_finder(rx: re.Pattern[bytes], hay: bytes | bytearray) -> Finder:
    search = rx.search

    def find(pos: int, end: int) -> tuple[int, int] | None:
        m = search(hay, pos, end)
        return None if m is None else m.span()

    return find


def _sparse(find: Finder, bounds: array[int], lo: int, hi: int, base: int) -> array[int] | None:
    """The rows in [lo, hi) with a match, from hits found in their whole span, or
    None when hits come so thick that testing every row costs less."""
    found = array("q")
    e0 = bounds[hi] - base
    pos = bounds[lo] - base
    checked = 0
    while pos < e0:
        hit = find(pos, e0)
        if hit is None:
            break
        p, q = hit
        # The row whose span holds p: the last bound <= p (empty spans skipped).
        row = bisect_right(bounds, p + base, lo + 1, hi + 1) - 1
        end = bounds[row + 1] - base
        if q <= end:
            found.append(row)
        else:
            # Runs into the next payload(s): a match of neither. Test each row it
            # touches on its own, and go on after them.
            last = bisect_right(bounds, q - 1 + base, row + 1, hi + 1) - 1
            for r in range(row, last + 1):
                start, stop = bounds[r] - base, bounds[r + 1] - base
                if start < stop and find(start, stop) is not None:
                    found.append(r)
            end = bounds[last + 1] - base
        pos = end
        if len(found) >= checked + _CHECK_EVERY:
            checked = len(found)
            if checked > (row + 1 - lo) * _DENSE:
                return None
    return found


def _each_row(
    each: Callable[[Any, Any], Any], bounds: array[int], base: int, rows: range | array[int]
) -> array[int]:
    """Each row tested on its own span of the haystack, in C: ``each(starts, stops)``
    maps ``hay.count(needle, s, e)`` (0: no match) or ``pattern.search(hay, s, e)``."""
    starts: Any
    stops: Any
    if isinstance(rows, range):
        starts = bounds[rows.start : rows.stop]
        stops = bounds[rows.start + 1 : rows.stop + 1]
    else:
        starts = map(bounds.__getitem__, rows)
        stops = map(bounds.__getitem__, map((1).__add__, rows))
    if base:
        starts = map(base.__rsub__, starts)
        stops = map(base.__rsub__, stops)
    return array("q", compress(rows, each(starts, stops)))
