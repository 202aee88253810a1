"""Tests of inspector.capture.scan: a search over the whole arena finds exactly the
rows a search of each payload on its own finds (matches across the boundary of two
payloads do not count), in every search mode, sparse and dense."""

from __future__ import annotations

import re
from array import array
from collections.abc import Callable
from itertools import compress

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from capture.conftest import IN, received, session_info, wire
from inspector.capture.arena import OWN_OBJECT, PayloadArena
from inspector.capture.bulk import matcher
from inspector.capture.events import FramesCaptured
from inspector.capture.scan import _CHECK_EVERY, _sparse, search_arena, search_in_place
from inspector.capture.store import CaptureStore
from inspector.protocol.constants import Opcode
from inspector.protocol.frames import FrameSpec


def one_by_one(
    payloads: list[bytes], pattern: str | bytes, regex: bool, case: bool, rows: list[int] | None
) -> list[int]:
    """The reference: each payload tested on its own."""
    test = matcher(pattern, regex=regex, case=case)
    scope = list(range(len(payloads))) if rows is None else rows
    return list(compress(scope, test(payloads[r] for r in scope)))


def store_of(payloads: list[bytes]) -> CaptureStore:
    store = CaptureStore(session_info(), max_payload_bytes=None)
    if payloads:
        specs = [FrameSpec(Opcode.BINARY, p) for p in payloads]
        store.add(FramesCaptured(0.0, IN, received(wire(*specs))[0]))
    return store


PATTERNS = [
    ("ab", False),
    ("aB", False),
    ("b", False),
    ("", False),
    ("a.b", False),
    ("ab", True),
    ("a+b", True),
    ("(?i)AB", True),
    ("a.?b|ba", True),
    (r"[ab]{2,3}", True),
    ("x*", True),
    (r"^ab", True),
    (r"b$", True),
    (r"\bab", True),
    (r"(?<=a)b", True),
    (r"a(?!b)", True),
    (r"(a)\1", True),
]


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.binary(max_size=6).map(lambda b: bytes(b"aAbB x"[c % 6] for c in b)), max_size=40),
    st.sampled_from(PATTERNS),
    st.booleans(),
    st.one_of(st.none(), st.sets(st.integers(0, 39))),
)
def test_the_arena_finds_what_each_payload_alone_finds(
    payloads: list[bytes],
    pattern: tuple[str, bool],
    case: bool,
    scope: set[int] | None,
) -> None:
    text, regex = pattern
    rows = None if scope is None else sorted(r for r in scope if r < len(payloads))
    store = store_of(payloads)
    got = store.search(text, regex=regex, case=case, rows=rows, messages=False)
    assert list(got) == one_by_one(payloads, text, regex, case, rows)


def test_a_match_across_two_payloads_is_not_a_match() -> None:
    store = store_of([b"AL", b"ERT", b"xALE", b"RTx", b"ALERT"])
    for regex in (False, True):
        for case in (False, True):
            assert list(store.search("ALERT", regex=regex, case=case)) == [4], (regex, case)
    # ...nor across a large payload, whose span in the arena is empty.
    store = store_of([b"AL", b"z" * OWN_OBJECT, b"ERT"])
    assert list(store.search("ALERT")) == []
    assert list(store.search("zE")) == []


def test_a_hit_across_a_boundary_does_not_hide_a_match_after_it() -> None:
    """The scan's first hit runs from one payload into the next; a shorter match
    inside the second one is still found."""
    store = store_of([b"xa", b"ab", b"cab"])
    assert list(store.search("a+b", regex=True)) == [1, 2]
    store = store_of([b"xab", b"ab"])
    assert list(store.search("b?ab?", regex=True)) == [0, 1]


def test_anchors_are_tested_in_place_and_lookbehinds_on_each_payload() -> None:
    store = store_of([b"xab", b"abx", b"ab", b"", b"ab\n"])
    assert list(store.search("^ab", regex=True)) == [1, 2, 4]
    assert list(store.search("ab$", regex=True)) == [0, 2, 4]
    assert list(store.search(r"ab\Z", regex=True)) == [0, 2]
    assert list(store.search("^$", regex=True)) == [3]
    assert list(store.search(r"\bab", regex=True)) == [1, 2, 4]
    assert list(store.search("(?<=x)ab", regex=True)) == [0]
    # Neither runs over the whole arena; the anchored one runs on each row in place.
    for pattern in (rb"\bab", rb"^ab", rb"ab$"):
        assert search_arena(store.payloads, pattern, regex=True, case=True, rows=None) is None
    assert search_in_place(store.payloads, rb"\bab", case=True, rows=None) is None
    assert search_in_place(store.payloads, rb"a$", case=True, rows=None) == array("q", [])
    assert search_in_place(store.payloads, rb"^[a]", case=True, rows=None) == array("q", [1, 2, 4])


def test_large_payloads_are_searched_too() -> None:
    big = b"." * OWN_OBJECT + b"Needle"
    store = store_of([b"needle", big, b"hay", big])
    assert list(store.search("needle")) == [0, 1, 3]
    assert list(store.search("Needle", case=True)) == [1, 3]
    assert list(store.search("needle", rows=[1, 2])) == [1]
    assert list(store.search("^needle", regex=True)) == [0]
    assert list(store.search(r"\.N", regex=True, rows=[0, 2, 3])) == [3]
    # Their spans in the arena are empty, but they are not.
    assert list(store.search("dle$", regex=True)) == [0, 1, 3]
    assert list(store.search("^$", regex=True)) == []


def dense(n: int) -> list[bytes]:
    return [b'{"seq":%d,"ev":"%s"}' % (i, b"tick" if i % 20 else b"ALERT") for i in range(n)]


@pytest.mark.parametrize(
    ("pattern", "regex", "case"),
    [
        ("tick", False, True),
        ("TICK", False, False),
        ('"SEQ"', False, False),  # every row: the set rows in one run
        ("seq", False, True),
        ("t[i]ck", True, True),
        ("ALERT", False, True),
        ('^\\{"seq":1', True, True),
        ('ALERT"}$', True, False),
        (r"[KT]\W+$", True, False),
        (r"^\W\W[a-z]", True, True),
        (r"\b[a-z]{3}\b", True, True),
    ],
)
def test_dense_and_sparse_hits_over_many_rows(pattern: str, regex: bool, case: bool) -> None:
    payloads = dense(20 * _CHECK_EVERY)
    store = store_of(payloads)
    for rows in (None, list(range(5, len(payloads) - 2, 3))):
        got = store.search(pattern, regex=regex, case=case, rows=rows)
        assert list(got) == one_by_one(payloads, pattern, regex, case, rows)


def test_thick_and_thin_stretches_of_rows_in_turn() -> None:
    """Dense stretches between sparse ones (and the other way round), each longer
    than a window of the case-insensitive scan: its masks and its hits join up."""
    stretch = 4000
    payloads = [
        b"row %d %s" % (i, b"Tick" if (i // stretch) % 2 == 0 or i % 997 == 0 else b"tock")
        for i in range(5 * stretch)
    ]
    store = store_of(payloads)
    for pattern, case in (("tick", False), ("Tick", True)):
        for rows in (None, list(range(1, len(payloads), 2))):
            got = store.search(pattern, case=case, rows=rows)
            assert list(got) == one_by_one(payloads, pattern, False, case, rows)


def test_thick_hits_switch_to_testing_every_row() -> None:
    """Past a hit in every few rows the scan stops mapping hits one at a time and
    says where every row is to be tested instead (in C); thin hits are all mapped."""
    arena = PayloadArena(dense(20 * _CHECK_EVERY))
    data = bytes(arena.data)

    def finder(needle: bytes) -> Callable[[int, int], tuple[int, int] | None]:
        def find(pos: int, end: int) -> tuple[int, int] | None:
            p = data.find(needle, pos, end)
            return None if p < 0 else (p, p + len(needle))

        return find

    n = len(arena)
    thick, resume = _sparse(finder(b"tick"), arena.bounds, 0, n, 0)
    assert _CHECK_EVERY <= resume < 2 * _CHECK_EVERY
    assert list(thick) == [r for r in range(resume) if r % 20]
    thin, resume = _sparse(finder(b"ALERT"), arena.bounds, 0, n, 0)
    assert resume == n and list(thin) == list(range(0, n, 20))


def test_rows_out_of_range_and_bad_patterns() -> None:
    store = store_of([b"a", b"b"])
    with pytest.raises(IndexError):
        store.search("a", rows=[0, 5])
    with pytest.raises(re.error):
        store.search("a(", regex=True)
    assert list(store.search("a", rows=array("q"))) == []


def test_text_searches_test_only_rows_holding_their_literal_and_find_every_match() -> None:
    """A non-ASCII search ignoring case is matched on decoded text; the rows it tests
    are those holding its ASCII letters that have no non-ASCII case partner, so
    the Kelvin sign and the long s still match k and s."""
    payloads = [
        "Köln".encode(),
        "KÖLN".encode(),
        "\u212aöln".encode(),  # KELVIN SIGN
        b"Koeln",
        "\u017fchön".encode(),  # LATIN SMALL LETTER LONG S
        "SCHÖN".encode(),
        b"\xff\xfeln",
        "köl\u200bn".encode(),
    ]
    store = store_of(payloads)
    for pattern, regex in (("köln", False), ("schön", False), ("k[öo]ln", True), ("ö+ln$", True)):
        for case in (False, True):
            expected = one_by_one(payloads, pattern, regex, case, None)
            assert list(store.search(pattern, regex=regex, case=case)) == expected
    assert list(store.search("köln")) == [0, 1, 2]
    assert list(store.search("schön")) == [4, 5]
