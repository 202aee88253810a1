"""Tests of inspector.capture.bulk: whole-column operations give what the obvious
per-element loop gives."""

from __future__ import annotations

import random
from array import array
from itertools import compress

import pytest

from inspector.capture.bulk import and_masks, counting, first_bytes, matcher, plus, selected


def test_and_masks() -> None:
    rng = random.Random(7)
    a = bytes(rng.randint(0, 1) for _ in range(1001))
    b = bytes(rng.randint(0, 1) for _ in range(1001))
    assert and_masks(a, b) == bytes(x & y for x, y in zip(a, b, strict=True))
    assert and_masks(b"\x00\x01", b"\x01\x01") == b"\x00\x01"  # leading zeros are kept


def test_counting_and_plus() -> None:
    assert array("q", counting(5, 40)) == array("q", range(5, 45))
    assert array("q", counting(2**62, 3)) == array("q", [2**62, 2**62 + 1, 2**62 + 2])
    lanes = array("q", [0, 7, 2**40]).tobytes()
    assert array("q", plus(lanes, 10)) == array("q", [10, 17, 2**40 + 10])
    # The row-number lanes behind counting grow as asked, across every byte plane
    # that changes below 2**17 (a carry into the third byte included).
    for n in (1, 255, 256, 257, 65535, 65537, 131_073):
        assert array("q", counting(0, n)) == array("q", range(n)), n
    assert array("q", counting(3, 70_000))[-1] == 70_002


def test_first_bytes() -> None:
    src = b"\x81\x02hi\x82\x01z"
    assert first_bytes(src, array("q", [0, 4])) == (b"\x81\x82", b"\x02\x01")


def test_matcher() -> None:
    payloads = [b"Hello", b"hello", "Grüße".encode(), b"\xff"]
    found = [bool(x) for x in matcher("hello", regex=False, case=False)(payloads)]
    assert found == [True, True, False, False]
    assert [bool(x) for x in matcher("GRÜSSE", regex=False, case=False)(payloads)][2] is False
    assert [bool(x) for x in matcher("grüße", regex=False, case=False)(payloads)][2] is True
    assert [bool(x) for x in matcher(b"\xff", regex=False, case=True)(payloads)] == [
        False, False, False, True
    ]  # fmt: skip
    assert [bool(x) for x in matcher("h.l+o", regex=True, case=True)(payloads)] == [
        False, True, False, False
    ]  # fmt: skip


@pytest.mark.parametrize("gap", [1, 3, 100, 5000])
def test_selected_is_compress_whatever_the_runs(gap: int) -> None:
    rng = random.Random(gap)
    n = 20_000
    # Mostly set rows with a cleared one every ``gap`` or so (few runs: the slices
    # path), and a random half (many runs: compress).
    dense = bytes(0 if rng.randrange(gap) == 0 else 1 for _ in range(n))
    half = bytes(rng.randrange(2) for _ in range(n))
    for mask in (dense, half, bytes(n), bytes([1]) * n):
        for rows in (range(n), range(7, n + 7), array("q", range(3, 3 * n + 3, 3))):
            assert selected(rows, mask) == array("q", compress(rows, mask))
