"""Tests of inspector.views.registry: choosing a view, forcing one, and never raising."""

from __future__ import annotations

import pytest

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
