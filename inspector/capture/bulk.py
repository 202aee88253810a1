"""Whole-column operations at C speed for the capture store: no Python object, and
no Python-level loop iteration, per frame.

A million-row column is filtered, counted or matched in tens of milliseconds when
the work runs inside ``bytes.translate``, big-integer arithmetic, ``map`` over C
callables or ``itertools.compress``; a Python loop over the same rows costs seconds.
"""

from __future__ import annotations

import re
import sys
from array import array
from collections.abc import Callable, Iterable, Iterator
from itertools import compress, repeat
from operator import contains
from typing import Any

__all__ = [
    "and_masks",
    "counting",
    "first_bytes",
    "matcher",
    "not_mask",
    "or_masks",
    "pattern_bytes",
    "plus",
    "selected",
]


def first_bytes(src: bytes | bytearray, offs: array[int]) -> tuple[bytes, bytes]:
    """The first two header bytes of the frames at ``offs`` in ``src``, gathered in C
    (a view one byte on gives the second without an addition per frame)."""
    return bytes(map(src.__getitem__, offs)), bytes(map(memoryview(src)[1:].__getitem__, offs))


_LANE = (1).to_bytes(8, sys.byteorder)
_IOTA: array[int] = array("q")


def plus(lanes: bytes | memoryview, k: int) -> bytes:
    """``k`` added to every 64-bit integer packed in ``lanes`` (as ``array('q')`` packs
    them), in one big-integer addition: no Python int is made per element, which
    makes bulk appends 5-9x faster than ``map`` (measured). The lanes and results
    must be in 0..2**63-1 so that no lane carries into the next: true of rows,
    sequence numbers and stream offsets."""
    n = len(lanes) // 8
    ones = int.from_bytes(_LANE * n, sys.byteorder)
    return (int.from_bytes(lanes, sys.byteorder) + k * ones).to_bytes(8 * n, sys.byteorder)


def counting(start: int, n: int) -> bytes:
    """``array('q', range(start, start + n)).tobytes()``, made without n ints."""
    _iota(n)
    return plus(memoryview(_IOTA)[:n].cast("B"), start)


def _iota(n: int) -> None:
    """``_IOTA`` grown to hold 0 .. n-1 at least (to twice its size, so that growing
    row counts do not remake it each time). Written byte plane by byte plane: byte
    ``p`` of lane ``i`` is ``(i >> 8p) & 255``, a short pattern repeated, stored into
    every eighth byte by one extended-slice assignment in C. An int per element cost
    0.19 s for three million, the big-integer doubling before this 0.16 s; this
    about a tenth of that."""
    k = len(_IOTA)
    if k >= n:
        return
    m = max(n, 2 * k, 256)
    lanes = bytearray(8 * m)
    for p in range(8):
        step = 1 << (8 * p)
        if step >= m:
            break  # this byte and the ones above it are 0 in every lane
        if p == 0:
            plane = bytes(range(256)) * -(-m // 256)
        else:
            plane = b"".join(bytes((q & 255,)) * step for q in range(-(-m // step)))
        at = p if sys.byteorder == "little" else 7 - p
        lanes[at::8] = memoryview(plane)[:m]
    _IOTA.frombytes(memoryview(lanes)[8 * k :])


#: Runs of set rows in a 0/1 mask.
_RUNS = re.compile(rb"\x01+")


def selected(rows: range | array[int], mask: bytes) -> array[int]:
    """``array('q', compress(rows, mask))`` (``mask``: 0/1 per row), made of slices of
    the rows' own 8-byte lanes when the set rows come in few runs (most of them, as
    when most rows match a search): an int per row into the array costs ~50 ns, a
    second and a half for three million."""
    n = len(mask)
    if n < 4096 or mask.count(b"\x00\x01") > n >> 5:
        return array("q", compress(rows, mask))
    if isinstance(rows, range) and rows.step == 1 and rows.start >= 0:
        _iota(rows.stop)
        lanes = memoryview(_IOTA)[rows.start : rows.stop].cast("B")
    else:
        lanes = memoryview(array("q", rows)).cast("B")
    found = array("q")
    # Run by run into the array: a joined copy first was another 8 bytes a row of
    # fresh memory (page faults, where big blocks are mapped anew).
    extend = found.frombytes
    for m in _RUNS.finditer(mask):
        extend(lanes[8 * m.start() : 8 * m.end()])
    return found


_NOT = bytes((1, 0, *(0,) * 254))


def not_mask(a: bytes) -> bytes:
    """Bytewise NOT of a 0/1 mask."""
    return a.translate(_NOT)


def and_masks(a: bytes, b: bytes) -> bytes:
    """Bytewise AND of two 0/1 masks of equal length, through big integers (C speed)."""
    n = len(a)
    return (int.from_bytes(a, "little") & int.from_bytes(b, "little")).to_bytes(n, "little")


def or_masks(a: bytes, b: bytes) -> bytes:
    """Bytewise OR of two 0/1 masks of equal length, through big integers (C speed)."""
    n = len(a)
    return (int.from_bytes(a, "little") | int.from_bytes(b, "little")).to_bytes(n, "little")


def pattern_bytes(pattern: str | bytes, *, regex: bool, case: bool) -> bytes | None:
    """The bytes a search matches payload bytes with, or None when it matches text:
    a ``str`` pattern with non-ASCII characters, as a regular expression or ignoring
    case (see :func:`matcher`)."""
    if isinstance(pattern, str):
        if not pattern.isascii() and (regex or not case):
            return None
        return pattern.encode("utf-8")
    return bytes(pattern)


def matcher(
    pattern: str | bytes, *, regex: bool, case: bool
) -> Callable[[Iterable[bytes]], Iterator[Any]]:
    """A function mapping payloads to truthy match results, built from C callables."""
    needle = pattern_bytes(pattern, regex=regex, case=case)
    if needle is None:
        assert isinstance(pattern, str)
        # A str pattern with non-ASCII characters: as UTF-8 bytes it would break
        # inside character classes and quantifiers, and bytes case-folding is ASCII
        # only. Decode the payloads (about as fast, measured) and match text.
        flags = 0 if case else re.IGNORECASE
        rx = re.compile(pattern if regex else re.escape(pattern), flags)
        search_text = rx.search

        def test_text(payloads: Iterable[bytes]) -> Iterator[Any]:
            # str(), not bytes.decode: payloads may be memoryviews of the arena.
            return map(search_text, map(str, payloads, repeat("utf-8"), repeat("replace")))

        return test_text
    if not regex and case:

        def test_plain(payloads: Iterable[bytes]) -> Iterator[Any]:
            return map(contains, payloads, repeat(needle))

        return test_plain
    rxb = re.compile(needle if regex else re.escape(needle), 0 if case else re.IGNORECASE)
    search_bytes = rxb.search

    def test_regex(payloads: Iterable[bytes]) -> Iterator[Any]:
        return map(search_bytes, payloads)

    return test_regex
