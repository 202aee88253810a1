"""Searching a :class:`~.arena.PayloadArena` with one C-level scan of the arena.

A search of three million small payloads one ``bytes`` object at a time costs a
Python-level call each (~0.2 µs: over half a second). The arena holds them back to
back, so ``bytearray.find`` (or a compiled pattern's ``search``) runs over all of
them at once, and each hit is mapped to its row by bisecting the bounds column. A
hit that runs over the end of its payload into the next is a match of neither: the
rows it touches are tested one by one, with the search bounded to each row's span.
Ignoring case, the arena is lowered a window at a time and searched with ``find``.

When most rows match, one Python step per hit would cost more than the search: the
scan then tests every row in C instead (``map`` of the bounded ``count``/``search``
over the rows' spans: no object per row but the result).

Patterns with anchors or lookarounds cannot run over the whole arena (see
:mod:`.patterns`): :func:`search_arena` returns None for them. Those anchored at a
payload's end or start can be searched row by row in place
(:func:`search_in_place`); the others are tested payload by payload.
"""

from __future__ import annotations

import re
from array import array
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterator
from functools import partial
from itertools import compress, repeat
from operator import truth
from typing import Any

from .arena import PayloadArena
from .bulk import plus, selected
from .patterns import ROWS, SCAN, Plan, literal_of, plan

__all__ = ["FEW_ROWS", "search_arena", "search_in_place"]

#: Hits per row (in the rows scanned so far) above which the scan switches to
#: testing every row in C; checked every :data:`_CHECK_EVERY` hits.
_DENSE = 1 / 8
_CHECK_EVERY = 1024
#: Any count -> 1, 0 -> 0, for ``bytes.translate``.
_ONE = bytes((0, *(1,) * 255))
#: A search limited to this few rows tests each payload (the live tail).
FEW_ROWS = 4096
#: Bytes of arena lowered at a time for a case-insensitive search.
_WINDOW = 64 * 1024

#: ``find(pos, end)``: the span of the first hit in [pos, end) of a haystack, or None.
Finder = Callable[[int, int], "tuple[int, int] | None"]
#: ``each(starts, stops)``: a match result per row span (see :func:`_each_row`).
Each = Callable[[Any, Any], Any]


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
    when the caller should test each payload instead: a pattern that cannot be
    scanned in an arena (see :func:`search_in_place`), or so few ``rows`` that a
    scan would not pay. Payloads kept as their own objects are the caller's to test
    (:attr:`PayloadArena.own`)."""
    fold = not case
    how: Plan | None = None
    if regex:
        literal = literal_of(needle)
        if literal is not None:
            needle, inline_fold = literal
            fold = fold or inline_fold
        else:
            how = plan(needle)
            if how is None:
                return None
    bounds = arena.bounds
    n = len(bounds) - 1
    if rows is not None:
        if len(rows) <= FEW_ROWS:
            return None
        lo, hi = min(rows), max(rows) + 1
        if lo < 0 or hi > n:
            raise IndexError(f"row out of range (the store has {n} frames)")
    else:
        lo, hi = 0, n
    everything = range(lo, hi) if rows is None else rows
    if how is not None:
        if how.kind != SCAN:
            return None
        rx = re.compile(how.pattern, re.IGNORECASE if fold else 0)
        if rx.search(b"") is not None:
            # Context-free and matching nothing: it matches every payload.
            return array("q", everything)
        found = _scan(
            _regex_finder(rx, arena.data),
            partial(map, rx.search, repeat(arena.data)),
            bounds,
            lo,
            hi,
        )
    elif not needle:
        return array("q", everything)
    elif fold:
        found = _scan_folded(arena.data, needle.lower(), bounds, lo, hi)
    else:
        data = arena.data
        found = _scan(
            _literal_finder(needle, data), partial(map, data.count, repeat(needle)), bounds, lo, hi
        )
    if rows is None or not found:
        return found
    return array("q", compress(rows, map(set(found).__contains__, rows)))


def search_in_place(
    arena: PayloadArena, pattern: bytes, *, case: bool, rows: array[int] | None
) -> array[int] | None:
    """Rows (of ``rows``, or all) whose span matches a regular expression anchored
    at a payload's end or start (:data:`~.patterns.ROWS`, :data:`~.patterns.MATCH`),
    each row's span searched (or matched at its start) in place, in C, the search
    bounded to the span; None for any other pattern. The spans of payloads kept as
    their own objects are empty: the caller tests those."""
    how = plan(pattern)
    if how is None or how.kind == SCAN:
        return None
    rx = re.compile(how.pattern, 0 if case else re.IGNORECASE)
    tester = rx.search if how.kind == ROWS else rx.match
    scope = range(len(arena)) if rows is None else rows
    return _each_row(partial(map, tester, repeat(arena.data)), arena.bounds, 0, scope)


def _scan(
    find: Finder, each: Each, bounds: array[int], lo: int, hi: int, base: int = 0
) -> array[int]:
    """The rows in [lo, hi) with a match: hits mapped to rows while they are thin,
    every row tested in C from where they turn thick."""
    found, resume = _sparse(find, bounds, lo, hi, base)
    if resume < hi:
        # The few rows found first go in front of the many (a move in place), not
        # the many after the few (a copy into fresh memory: 8 bytes a row).
        dense = _each_row(each, bounds, base, range(resume, hi))
        dense[0:0] = found
        return dense
    return found


def _scan_folded(
    data: bytearray, needle: bytes, bounds: array[int], lo: int, hi: int
) -> array[int]:
    """Case-insensitive ``find``: the arena lowered a window at a time (small enough
    to stay in the processor's cache, as the search then reads it again), instead of
    a lowered copy of everything (a second arena's worth of fresh memory)."""
    found = array("q")
    # The masks of consecutive dense windows, from row ``dense``: turned into rows
    # together (see selected).
    masks: list[bytes] = []
    dense = lo
    for wlo, whi in _windows(bounds, lo, hi):
        base = bounds[wlo]
        hay = data[base : bounds[whi]].lower()
        each: Each = partial(map, hay.count, repeat(needle))
        if hay.count(needle) > (whi - wlo) * _DENSE:
            if not masks:
                dense = wlo
            masks.append(_row_mask(each, bounds, base, range(wlo, whi)))
            continue
        if masks:
            found.extend(selected(range(dense, wlo), b"".join(masks)))
            masks = []
        found.extend(_scan(_literal_finder(needle, hay), each, bounds, wlo, whi, base))
    if masks:
        found.extend(selected(range(dense, hi), b"".join(masks)))
    return found


def _windows(bounds: array[int], lo: int, hi: int) -> Iterator[tuple[int, int]]:
    """Consecutive row ranges [a, b) covering [lo, hi), each ~:data:`_WINDOW` bytes
    of arena (at least one row)."""
    r = lo
    while r < hi:
        nxt = min(bisect_left(bounds, bounds[r] + _WINDOW, r + 1, hi + 1), hi)
        yield r, nxt
        r = nxt


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


def _sparse(
    find: Finder, bounds: array[int], lo: int, hi: int, base: int
) -> tuple[array[int], int]:
    """The rows in [lo, resume) with a match, from hits found in their span, and
    ``resume``: ``hi``, or the row where hits came so thick that testing every row
    (:func:`_each_row`) costs less than mapping each hit."""
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
            done = bisect_right(bounds, pos + base, lo, hi + 1) - 1
            if checked > (done - lo) * _DENSE:
                return found, done
    return found, hi


def _each_row(each: Each, bounds: array[int], base: int, rows: range | array[int]) -> array[int]:
    """Each row tested on its own span of the haystack, in C (see :func:`_row_mask`)."""
    return selected(rows, _row_mask(each, bounds, base, rows))


def _row_mask(each: Each, bounds: array[int], base: int, rows: range | array[int]) -> bytes:
    """1 or 0 per row: whether its span of the haystack matches, by ``each(starts,
    stops)``, which maps ``hay.count(needle, s, e)`` (0: no match) or
    ``pattern.search(hay, s, e)`` over the spans."""
    starts: Any
    stops: Any
    if isinstance(rows, range):
        # Views, not copies: three copies of the bounds were ~70 MB of fresh memory
        # for three million rows, and the window maps each big block anew (see
        # inspector.app.fix_mmap_threshold), so every page of them was a fault.
        spans: Any = memoryview(bounds)[rows.start : rows.stop + 1]
        if base:
            # Shifted into the haystack's offsets in one big-integer subtraction.
            spans = memoryview(plus(spans.cast("B"), -base)).cast("q")
        starts, stops = spans[:-1], spans[1:]
        try:
            # Counts of a literal (under 256 but in the odd long payload) taken as
            # bytes as they come, with no step per row to make each 0 or 1.
            return bytes(each(starts, stops)).translate(_ONE)
        except (TypeError, ValueError):  # match objects, or a count past 255
            pass
    else:
        starts = map(bounds.__getitem__, rows)
        stops = map(bounds.__getitem__, map((1).__add__, rows))
        if base:
            starts = map(base.__rsub__, starts)
            stops = map(base.__rsub__, stops)
    return bytes(map(truth, each(starts, stops)))
