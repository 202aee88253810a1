"""Tests of inspector.views.registry: choosing a view, forcing one, and never raising."""

from __future__ import annotations

from dataclasses import replace

import cbor2
import msgpack
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from inspector.protocol.constants import Role
from inspector.views.base import PayloadMeta, Rendered, TreeNode, View, ViewError
from inspector.views.context import with_contexts
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


# Binary payloads of the binary formats (and some that are none), for the promises a
# binary first byte and a priority's ceiling make.
_BINARY_TAILS = [
    *_TAILS,
    msgpack.packb({"id": 123456, "text": "hello"}),
    msgpack.packb([1, msgpack.ExtType(5, b"z")]),
    cbor2.dumps({"a": cbor2.CBORTag(1, 5), "b": [1.5, None]}),
    cbor2.dumps([1, 2]),
    b"\x08\x96\x01\x12\x07testing",
    b"\x10\x11\x00\x04MQTT\x04\x02\x00<\x00\x05dev-1",
    b"2\x11\x00\tsensors/1\x00\x0121.5",
    b"\x90\x03\x00\x01\x01",
    b"\x19\x95\x01\x80\xa17\xabSendMessage\x92\xa3ann\xa2hi",
    b"\x00" * 8,
    b"\xff" * 8,
]
_CONNECT = b"\x10\x11\x00\x04MQTT\x04\x02\x00<\x00\x05dev-1"
_PLACEHOLDER = b'451-["up",{"_placeholder":true,"num":0}]'


def _in_session(data: bytes, meta: PayloadMeta) -> PayloadMeta:
    """``meta`` in a session that opened as MQTT and sent a Socket.IO packet with an
    attachment just before: what the stateful views read their neighbours for."""
    opening = [
        (_CONNECT, PayloadMeta(opcode=2, sender=Role.SERVER)),
        (_PLACEHOLDER, PayloadMeta(opcode=1, sender=Role.SERVER)),
    ]
    items = [*opening, (data, replace(meta, sender=Role.SERVER))]
    return with_contexts(items)[-1][1]


@pytest.mark.parametrize("view", list(default_registry()), ids=lambda v: v.name)
def test_binary_start_promises_hold(view: View) -> None:
    starts = view.binary_starts
    if starts is None:
        return  # no promise: asked about every payload
    for first in range(256):
        if first in starts:
            continue
        for tail in _BINARY_TAILS:
            data = bytes([first]) + tail
            for truncated in (False, True):
                meta = PayloadMeta(opcode=2, truncated=truncated, size=len(data) + truncated)
                assert view.priority(data, meta) < 0, (view.name, data)
                assert view.priority(data, _in_session(data, meta)) < 0, (view.name, data)
    assert view.priority(b"", BINARY) < 0


def _below_ceiling(view: View, data: bytes, meta: PayloadMeta) -> None:
    top = view.top_priority
    assert top is not None
    for m in (meta, _in_session(data, meta)):
        assert view.priority(data, m) <= top, (view.name, data, m.opcode)


@pytest.mark.parametrize("view", list(default_registry()), ids=lambda v: v.name)
def test_top_priority_promises_hold(view: View) -> None:
    # Every built-in view promises one: a view without a promise is asked first.
    assert view.top_priority is not None, view.name
    payloads = [*_BINARY_TAILS, *(bytes([b]) + t for b in range(256) for t in (b"", b"x\xff"))]
    for data in payloads:
        for opcode in (1, 2, 8, 9, 10):
            for truncated in (False, True):
                size = len(data) + truncated
                _below_ceiling(view, data, PayloadMeta(opcode, truncated=truncated, size=size))


@settings(max_examples=150, deadline=None)
@given(
    st.one_of(st.binary(max_size=80), st.sampled_from(_BINARY_TAILS)),
    st.sampled_from([1, 2, 8, 9, 10]),
    st.booleans(),
)
def test_no_priority_is_above_its_promise(data: bytes, opcode: int, truncated: bool) -> None:
    for view in default_registry():
        _below_ceiling(view, data, PayloadMeta(opcode, truncated=truncated, size=len(data) * 2))


class AskingEveryView(Registry):
    """The registry without its shortcuts (text_starts, binary_starts, text_priority,
    top_priority): every view asked, the highest priority taken."""

    def contenders(self, data: bytes, meta: PayloadMeta) -> tuple[View, ...]:
        return tuple(self)

    def candidates(self, data: bytes, meta: PayloadMeta) -> tuple[tuple[float, int, View], ...]:
        return tuple((float("inf"), i, v) for i, v in enumerate(self))

    def settled(self, data: bytes, meta: PayloadMeta) -> View | None:
        return None


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.binary(max_size=80), st.sampled_from(_BINARY_TAILS)))
def test_contenders_choose_as_every_view_would(data: bytes) -> None:
    reg = default_registry()
    every = AskingEveryView(list(reg))
    metas = [TEXT, BINARY, PayloadMeta(opcode=1, subprotocol="stomp"), PayloadMeta(opcode=9)]
    metas += [PayloadMeta(opcode=2, subprotocol="mqtt"), PayloadMeta(opcode=2, truncated=True)]
    metas += [_in_session(data, BINARY), _in_session(data, TEXT)]
    for meta in metas:
        assert reg.best(data, meta).name == every.best(data, meta).name
        assert [v.name for v in reg.applicable(data, meta)] == [
            v.name for v in every.applicable(data, meta)
        ]


class Counting(View):
    """A view that counts how often a choice asks it, delegating to ``inner``."""

    def __init__(self, inner: View) -> None:
        self.inner = inner
        self.name = inner.name  # type: ignore[misc]
        self.title = inner.title  # type: ignore[misc]
        self.text_starts = inner.text_starts  # type: ignore[misc]
        self.binary_starts = inner.binary_starts  # type: ignore[misc]
        self.text_priority = inner.text_priority  # type: ignore[misc]
        self.top_priority = inner.top_priority
        self.asked = 0

    def priority(self, data: bytes, meta: PayloadMeta) -> float:
        self.asked += 1
        return self.inner.priority(data, meta)

    def render(self, data: bytes, meta: PayloadMeta) -> Rendered:
        return self.inner.render(data, meta)


def test_a_choice_stops_when_no_view_left_can_beat_the_best() -> None:
    views = [Counting(v) for v in default_registry()]
    reg = Registry(views)
    packed = msgpack.packb({"id": 123456, "text": "hello"})
    assert reg.best(packed, BINARY).name == "msgpack"
    asked = {v.name for v in views if v.asked}
    # CBOR (at most 0.55), protobuf, hex and text cannot beat MessagePack's 0.6, and
    # a MessagePack map's first byte rules out JSON, JSON-RPC, STOMP, GraphQL, WAMP
    # and close frames: only the views that could beat it, and MessagePack, are asked.
    assert asked == {"mqtt", "socket.io", "signalr", "msgpack"}
    # A subprotocol lifts the promises (a negotiated format rates above 1): all asked.
    for v in views:
        v.asked = 0
    reg.best(packed, PayloadMeta(opcode=2, subprotocol="mqtt"))
    assert all(v.asked == 1 for v in views)


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


def test_rendering_makes_the_text_and_leaves_the_tree_until_asked() -> None:
    # The command line and the timeline print the text; only the window's tree asks
    # for the tree, which for a large JSON message costs more than the text.
    reg = default_registry()
    rendered: dict[str, Rendered] = {}
    payloads = [(d, TEXT) for d in _TAILS] + [(d, BINARY) for d in _BINARY_TAILS]
    payloads += [(b"STOMP\naccept-version:1.2\n\n{}\x00", TEXT), (b'{"a": [1, {"b": 2}]}', TEXT)]
    payloads.append((b'{"jsonrpc": "2.0", "method": "m", "id": 1}', TEXT))
    for data, meta in payloads:
        for view in reg.applicable(data, meta):
            r = reg.render(data, meta, view)
            if r.error is None and r.make_tree is not None:
                rendered.setdefault(view.name, r)
    structured = {"json", "msgpack", "cbor", "protobuf", "socket.io", "stomp", "graphql-ws"}
    structured |= {"json-rpc", "mqtt", "signalr", "wamp"}
    assert structured <= set(rendered)
    for name, r in rendered.items():
        assert callable(r.make_tree), name  # not built while rendering
        assert r.tree is not None and r.tree is r.tree, name  # built once, when asked


def test_a_tree_is_built_once_whatever_gave_it() -> None:
    calls: list[int] = []
    node = TreeNode("root", "{1}", (TreeNode("a", "1", (), "int"),), "map")

    def build() -> TreeNode:
        calls.append(1)
        return node

    lazy = Rendered("json", "{}", make_tree=build)
    assert calls == []
    assert lazy.tree is node and lazy.tree is node and calls == [1]
    assert Rendered("json", "{}", make_tree=node).tree is node
    assert Rendered("text", "x").tree is None
    assert lazy == Rendered("json", "{}", make_tree=node)  # the tree is not compared
