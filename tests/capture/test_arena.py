"""Tests of inspector.capture.arena: payloads stored back to back read back exactly,
large ones keep their own object, and the arena behaves as the list it replaced."""

from __future__ import annotations

import gc

import pytest
from hypothesis import given
from hypothesis import strategies as st

from inspector.capture.arena import OWN_OBJECT, PayloadArena

BIG = b"\xab" * OWN_OBJECT


@given(st.lists(st.lists(st.binary(max_size=40), max_size=30), max_size=8))
def test_batches_and_single_appends_read_back_exactly(batches: list[list[bytes]]) -> None:
    arena = PayloadArena()
    one_by_one = PayloadArena()
    flat = [p for batch in batches for p in batch]
    for batch in batches:
        arena.extend(batch)
    for p in flat:
        one_by_one.append(p)
    assert len(arena) == len(flat)
    assert list(arena) == flat == [arena[i] for i in range(len(flat))]
    assert arena == one_by_one and arena == flat
    assert arena.nbytes == sum(map(len, flat))
    assert [arena.size(i) for i in range(len(flat))] == list(map(len, flat))
    if flat:
        assert arena[-1] == flat[-1] and arena[-len(flat)] == flat[0]
        assert arena[1:3] == flat[1:3]


def test_rows_are_bytes_and_out_of_range_raises() -> None:
    arena = PayloadArena([b"one", b"", b"three"])
    assert all(type(p) is bytes for p in arena)
    assert arena[1] == b"" and arena.size(1) == 0
    assert not gc.is_tracked(arena[0])
    for bad in (3, -4):
        with pytest.raises(IndexError):
            arena[bad]
        with pytest.raises(IndexError):
            arena.size(bad)
    assert arena != [b"one", b"", b"thre"] and arena != [b"one"]
    assert arena.__eq__(42) is NotImplemented


def test_large_payloads_keep_their_own_object() -> None:
    """A large payload is not copied (a detail pane shows the parser's object), and
    an arena growing after it is still read right around it."""
    big = bytes(BIG)
    arena = PayloadArena([b"a", b"b"])
    arena.append(big)
    arena.extend([b"c", b"X" * (OWN_OBJECT - 1), big, b""])
    assert arena[2] is big and arena[5] is big
    assert list(arena) == [b"a", b"b", big, b"c", b"X" * (OWN_OBJECT - 1), big, b""]
    assert list(arena.own) == [2, 5]
    assert arena.size(2) == OWN_OBJECT and arena.size(6) == 0
    assert arena.nbytes == 3 + 2 * OWN_OBJECT + OWN_OBJECT - 1
    # Their spans are empty: the arena holds only the small ones.
    assert bytes(arena.data) == b"abc" + b"X" * (OWN_OBJECT - 1)


def test_a_bytearray_or_memoryview_is_stored_as_bytes() -> None:
    arena = PayloadArena()
    arena.append(bytearray(b"xy"))
    arena.append(memoryview(bytearray(BIG)))
    arena.extend(iter([memoryview(b"zz")]))
    assert [type(p) for p in arena] == [bytes, bytes, bytes]
    assert list(arena) == [b"xy", BIG, b"zz"]


def test_not_hashable_like_the_list_it_replaced() -> None:
    with pytest.raises(TypeError):
        hash(PayloadArena())
    assert "2 payloads" in repr(PayloadArena([b"a", b"b"]))


@given(
    st.lists(st.binary(max_size=40), max_size=30),
    st.booleans(),
    st.integers(-35, 35),
    st.integers(-35, 35),
)
def test_between_reads_a_chunk_as_the_list_slice_would(
    payloads: list[bytes], with_large: bool, start: int, stop: int
) -> None:
    arena = PayloadArena()
    rows = list(payloads)
    if with_large:
        rows.insert(len(rows) // 2, b"L" * OWN_OBJECT)
    arena.extend(rows)
    got = list(arena.between(start, stop))
    assert got == rows[start:stop]
    assert all(type(p) is bytes for p in got)
