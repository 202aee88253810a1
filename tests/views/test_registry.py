"""Tests of inspector.views.registry: choosing a view, forcing one, and never raising."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from inspector.views.base import PayloadMeta, Rendered, View, ViewError
from inspector.views.registry import Registry, default_registry

TEXT = PayloadMeta(opcode=1)
BINARY = PayloadMeta(opcode=2)


class Broken(View):
    name = "broken"
    title = "Broken"

    def priority(self, data: bytes, meta: PayloadMeta) -> float:
        if data.startswith(b"rate-crash"):
            raise RuntimeError("bug in priority")
        return 5.0

    def render(self, data: bytes, meta: PayloadMeta) -> Rendered:
        if data.startswith(b"bad"):
            raise ViewError("no magic number", 3)
        raise RuntimeError("bug in render")

    def summary(self, prefix: bytes, meta: PayloadMeta) -> str | None:
        raise RuntimeError("bug in summary")


def test_best_view_by_content() -> None:
    reg = default_registry()
    assert reg.best(b'{"a": 1}', TEXT).name == "json"
    assert reg.best(b"hello", TEXT).name == "text"
    assert reg.best(b"\x00\xff\xfe", BINARY).name == "hex"
    assert reg.best(b"\x03\xe8bye", PayloadMeta(opcode=8)).name == "close"


def test_raw_views_always_apply() -> None:
    names = [v.name for v in default_registry().applicable(b'{"a": 1}', TEXT)]
    assert names[0] == "json" and "text" in names and "hex" in names


def test_a_forced_view_that_cannot_read_says_where() -> None:
    rendered = default_registry().render(b'{"a": }', TEXT, "json")
    assert rendered.view == "json" and rendered.error is not None
    assert "not valid JSON at byte 6" in rendered.error


def test_a_broken_view_never_raises() -> None:
    reg = Registry()
    default_registry()  # the built-in views exist
    for view in default_registry():
        reg.add(view)
    reg.add(Broken())
    assert reg.best(b"x", TEXT).name == "broken"
    bad = reg.render(b"bad data", TEXT)
    assert bad.error == "not valid Broken at byte 3: no magic number"
    assert bad.text.startswith("62 61 64")  # the raw bytes stay visible
    crashed = reg.render(b"other", TEXT)
    assert crashed.error is not None and "bug in render" in crashed.error
    # A view that cannot rate is left out; one without a summary falls back to text.
    assert reg.best(b"rate-crash", TEXT).name == "text"
    assert reg.summary(b"hello", TEXT) == "hello"


def test_unknown_view_names_the_known_ones() -> None:
    with pytest.raises(KeyError, match="views: text, json, hex, close"):
        default_registry().get("nope")


def test_a_user_view_replaces_a_builtin_of_the_same_name() -> None:
    reg = Registry(default_registry())

    class MyText(Broken):
        name = "text"

    reg.add(MyText())
    assert isinstance(reg.get("text"), MyText) and len(reg) == len(default_registry())


# Payloads the views' own formats start with, then cut or broken: what a promise
# must hold for (a first byte outside it), whatever follows.
_TAILS = [
    b"",
    b'{"type": "next", "id": "1", "payload": {}}',
    b'["x", 1]',
    b'[1, "realm1", {}]',
    b'0{"sid": "abc"}',
    b'42["chat", "hi"]',
    b"MESSAGE\ndestination:/q\n\nhi\x00",
    b'a["CONNECTED\\n\\n\\u0000"]',
    b'{"jsonrpc": "2.0", "method": "m", "id": 1}\x1e',
    b"\n",
    b"o",
]


@pytest.mark.parametrize("view", list(default_registry()), ids=lambda v: v.name)
def test_text_start_promises_hold(view: View) -> None:
    starts = view.text_starts
    if starts is None:
        return  # no promise: asked about every payload
    for first in range(256):
        if first in starts:
            continue
        for tail in _TAILS:
            data = bytes([first]) + tail
            for truncated in (False, True):
                meta = PayloadMeta(opcode=1, truncated=truncated, size=len(data) + truncated)
                assert view.priority(data, meta) < 0, (view.name, data)
    assert view.priority(b"", PayloadMeta(opcode=1)) < 0


@pytest.mark.parametrize("view", list(default_registry()), ids=lambda v: v.name)
def test_text_priority_promises_hold(view: View) -> None:
    promised = view.text_priority
    if promised is None:
        return
    payloads = [b"", *_TAILS, *(bytes([b]) + t for b in range(256) for t in (b"", b"x\xff"))]
    for data in payloads:
        for truncated in (False, True):
            meta = PayloadMeta(opcode=1, truncated=truncated, size=len(data) + truncated)
            assert view.priority(data, meta) == promised, (view.name, data)


class AskingEveryView(Registry):
    """The registry without its shortcuts (text_starts, text_priority)."""

    def contenders(self, data: bytes, meta: PayloadMeta) -> tuple[View, ...]:
        return tuple(self)

    def settled(self, data: bytes, meta: PayloadMeta) -> View | None:
        return None


@settings(max_examples=300)
@given(st.one_of(st.binary(max_size=80), st.sampled_from(_TAILS)))
def test_contenders_choose_as_every_view_would(data: bytes) -> None:
    reg = default_registry()
    every = AskingEveryView(list(reg))
    for meta in (TEXT, BINARY, PayloadMeta(opcode=1, subprotocol="stomp")):
        assert reg.best(data, meta).name == every.best(data, meta).name
        assert [v.name for v in reg.applicable(data, meta)] == [
            v.name for v in every.applicable(data, meta)
        ]


def test_contenders_follow_changes_to_the_registry() -> None:
    class Everything(View):
        name = "everything"
        title = "Everything"

        def priority(self, data: bytes, meta: PayloadMeta) -> float:
            return 0.99

        def render(self, data: bytes, meta: PayloadMeta) -> Rendered:
            return Rendered(self.name, data.hex())

    reg = Registry(list(default_registry()))
    assert reg.best(b"msg 1", TEXT).name == "text"
    reg.add(Everything())
    assert reg.best(b"msg 1", TEXT).name == "everything"
    reg.remove("everything")
    assert reg.best(b"msg 1", TEXT).name == "text"
