"""Tests of inspector.capture.budget: the arithmetic the store and the journal share."""

from __future__ import annotations

import pytest

from inspector.capture.budget import (
    CAPPED_PAYLOAD,
    DEFAULT_MAX_CAPTURE_BYTES,
    PayloadBudget,
    is_plain_message,
)
from inspector.protocol.constants import Opcode
from inspector.protocol.events import Message


def test_payloads_are_kept_whole_until_one_does_not_fit() -> None:
    budget = PayloadBudget(10_000)
    big = b"b" * 6000
    assert budget.keep(big) is big and not budget.capped
    cut = budget.keep(big)
    assert cut == big[:CAPPED_PAYLOAD] and budget.capped and budget.cut == 1
    small = b"s" * 100
    assert budget.keep(small) is small  # past the budget, small payloads stay whole
    assert budget.held == 6000 + CAPPED_PAYLOAD + 100
    assert budget.room == -1  # every later payload is looked at


def test_a_batch_says_where_it_reached_the_budget() -> None:
    budget = PayloadBudget(10_000)
    payloads = [b"a" * 4000, b"b" * 4000, b"c" * 4000, b"d" * 10]
    kept, first = budget.keep_all(payloads)
    assert first == 2 and [len(p) for p in kept] == [4000, 4000, 4000, 10]
    assert kept is payloads  # nothing needed cutting: 4000 < 4096
    more = [b"e" * 5000, b"f"]
    kept, first = budget.keep_all(more)
    assert first == -1 and kept is not more and kept[0] == b"e" * CAPPED_PAYLOAD
    small = [b"g" * 100] * 3
    assert budget.keep_all(small) == (small, -1)
    assert budget.held == 8000 + 4000 + 10 + CAPPED_PAYLOAD + 1 + 300


def test_no_limit_and_the_default() -> None:
    unlimited = PayloadBudget(None)
    payloads = [b"x" * 10**6] * 3
    assert unlimited.keep_all(payloads) == (payloads, -1) and unlimited.held == 3 * 10**6
    assert PayloadBudget().limit == DEFAULT_MAX_CAPTURE_BYTES == 512 * 2**20
    with pytest.raises(ValueError):
        PayloadBudget(-1)


def test_messages_past_the_budget_keep_a_prefix_without_text() -> None:
    budget = PayloadBudget(5000)
    m = Message(Opcode.TEXT, b"t" * 6000, "t" * 6000, 0, 3, 6000, frame_count=4)
    capped = budget.keep_message(m)
    assert capped == m._replace(data=b"t" * CAPPED_PAYLOAD, text=None, truncated=True)
    short = Message(Opcode.BINARY, b"x", None, 4, 5, 1, frame_count=2)
    assert budget.keep_message(short) is short
    copy = budget.copy()
    assert (copy.held, copy.capped, copy.cut, copy.room) == (budget.held, True, 1, -1)


def test_plain_messages() -> None:
    assert is_plain_message(Message(Opcode.TEXT, b"a", "a", 3, 3, 1))
    assert not is_plain_message(Message(Opcode.TEXT, b"a", "a", 3, 4, 1, frame_count=2))
    assert not is_plain_message(Message(Opcode.TEXT, b"a", "a", 3, 3, 1, compressed=True))
    assert not is_plain_message(Message(Opcode.TEXT, b"", None, 3, 3, 1, truncated=True))
