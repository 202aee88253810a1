"""What the timeline shows, without Qt: filters built from loose arguments, the rows
of a whole store, and the same rows found incrementally as a capture grows."""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

import pytest
from _timeline_samples import sample, store_rows
from conftest import Capture

from inspector.capture.events import Direction
from inspector.gui.timeline.filters import (
    KINDS,
    FrameFilter,
    make_filter,
    rows_in_range,
    visible_rows,
)
from inspector.gui.timeline.model import FrameTableModel
from inspector.protocol.frames import FrameSpec


def test_make_filter_normalizes() -> None:
    f = make_filter(dirs=["in"], kinds=list(KINDS), search="x")
    assert f.dirs == frozenset({Direction.IN}) and f.kinds is None, "all kinds is no filter"
    assert f.active and f.selects
    assert not make_filter().active
    assert make_filter(hide_ping_pong=True).opcodes() == frozenset(range(16)) - {9, 10}
    with pytest.raises(ValueError, match="unknown kind"):
        make_filter(kinds=["bogus"])


def test_an_invalid_expression_makes_a_filter_that_shows_nothing(
    capture: Callable[..., Capture],
) -> None:
    c = sample(capture)
    f = make_filter(search="part(", regex=True)
    assert f.invalid.startswith("Invalid regular expression")
    assert list(visible_rows(c.store, f)) == []
    assert list(rows_in_range(c.store, f, 0, len(c.store))) == []
    assert not make_filter(search="part(").invalid, "plain text is never invalid"
    assert make_filter(search=r"\N{DIGIT ONE}", regex=True).invalid, (
        "ASCII patterns are matched as bytes too: both forms must compile"
    )


def test_visible_rows(capture: Callable[..., Capture]) -> None:
    store = sample(capture).store
    assert list(visible_rows(store, FrameFilter())) == list(range(16))
    assert list(visible_rows(store, make_filter(dirs=["out"]))) == [0, 6, 11, 12, 13, 15]
    assert list(visible_rows(store, make_filter(kinds=["control"], hide_ping_pong=True))) == [
        14,
        15,
    ]
    assert list(visible_rows(store, make_filter(violations_only=True))) == [9, 10]
    assert list(visible_rows(store, make_filter(search="PART"))) == [2, 4, 5]


@pytest.mark.parametrize("trial", range(6))
def test_rows_in_range_match_visible_rows(capture: Callable[..., Capture], trial: int) -> None:
    rng = random.Random(6455 + trial)
    words = [b"alpha", b"beta", b"gamma", b"ALPHA", b"x"]
    choices: list[dict[str, Any]] = [
        {"dirs": [Direction.IN]},
        {"kinds": ["text", "control"], "search": "alpha"},
        {"hide_ping_pong": True, "violations_only": True},
        {"search": "a+", "regex": True, "dirs": ["out"]},
        {"search": "ALPHA", "case": True},
        {"kinds": ["continuation"]},
    ]
    options = choices[trial]
    f = make_filter(**options)
    c = capture()
    found: list[int] = []
    for _ in range(12):
        start = len(c.store)
        specs = [
            FrameSpec(rng.choice([1, 2, 9]), rng.choice(words), rsv2=rng.random() < 0.1)
            for _ in range(rng.randint(1, 6))
        ]
        if rng.random() < 0.5:
            c.receive(*specs)
        else:
            c.send_frames(specs)
        if rng.random() < 0.3:
            c.receive(FrameSpec(1, b"al", fin=False), FrameSpec(0, b"pha", fin=True))
        found.extend(rows_in_range(c.store, f, start, len(c.store)))
    assert found == list(visible_rows(c.store, f)), options


# ------------------------------------------------------------- decoded fields
def test_a_search_that_names_a_decoded_field() -> None:
    from inspector.gui.timeline.filters import field_query

    assert field_query("topic:sensors/1") == ("topic", "sensors/1")
    assert field_query(" Event : chat ") == ("event", "chat")
    assert field_query("topic:") is None, "no value: a plain search"
    assert field_query("http://x") is None, "not a field name: the payload's bytes"
    assert field_query("event:chat", regex=True) is None


def test_decoded_fields_are_searched_by_the_payload_views(
    capture: Callable[..., Capture],
) -> None:
    import importlib.util

    from inspector.views.base import PayloadMeta, Rendered, View
    from inspector.views.formats import raw
    from inspector.views.registry import Registry

    class Events(View):
        name = "evt"
        title = "Event"

        def priority(self, data: bytes, meta: PayloadMeta) -> float:
            return 0.9 if data.startswith(b"evt:") else -1

        def render(self, data: bytes, meta: PayloadMeta) -> Rendered:
            name = data[4:].decode()
            return Rendered(self.name, name, fields={"event": name})

        def fields(self, data: bytes, meta: PayloadMeta) -> dict[str, str]:
            return {"event": data[4:].decode()}

    c = capture()
    c.receive(FrameSpec(1, b"evt:chat"), FrameSpec(1, b"chat about evt"), FrameSpec(1, b"evt:x"))
    registry = Registry()
    raw.register(registry)
    registry.add(Events())
    model = FrameTableModel(c.store, registry=registry)
    error = model.set_filter(search="event:chat")
    if importlib.util.find_spec("inspector.views.search") is None:
        # Before the payload formats are installed the search says so, and shows nothing.
        assert error == "Searching decoded fields needs the payload formats"
        assert model.rowCount() == 0
    else:
        assert error is None
        assert store_rows(model) == [0], "the field, not the bytes: row 1 says chat too"
    assert model.set_filter(search="chat") is None
    assert store_rows(model) == [0, 1]
