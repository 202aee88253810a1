"""Library items: what each kind sends once expanded, and how it is written as JSON."""

from __future__ import annotations

from typing import Any

import pytest

from inspector.library.items import (
    FrameBits,
    ItemError,
    ItemKind,
    LibraryItem,
    item_from_json,
    item_to_json,
    prepare,
)
from inspector.library.variables import Expander
from inspector.protocol.constants import Opcode

EX = Expander(env={"ROOM": "lobby"}, now=lambda: "T", new_uuid=lambda: "U")

EVERY_KIND = [
    LibraryItem("t", ItemKind.TEXT, text="hi {{counter}}", fragments=3, compress=False),
    LibraryItem("j", ItemKind.JSON, text='{"room": "{{env:ROOM}}"}', view="json", folder="A/B"),
    LibraryItem("b", ItemKind.BINARY, data=bytes(range(256)), view="msgpack"),
    LibraryItem("p", ItemKind.PING, text="are you there"),
    LibraryItem("q", ItemKind.PONG, data=b"\x00\xff"),
    LibraryItem("c", ItemKind.CLOSE, text="bye", close_code=4001),
    LibraryItem("c0", ItemKind.CLOSE, text="", close_code=None),
    LibraryItem(
        "f",
        ItemKind.FRAME,
        data=b"\x01\x02",
        fragments=2,
        bits=FrameBits(opcode=3, fin=False, rsv2=True, mask=False, length_form=64),
    ),
    LibraryItem("r", ItemKind.RAW, data=b"\x81\x00"),
]


@pytest.mark.parametrize("item", EVERY_KIND, ids=lambda i: i.name)
def test_every_kind_survives_its_json(item: LibraryItem) -> None:
    assert item_from_json(item_to_json(item)) == item


def test_text_and_json_expand_their_variables() -> None:
    text = prepare(EVERY_KIND[0].with_counter(5), EX)
    assert (text.kind, text.text, text.fragments, text.compress) == ("text", "hi 5", 3, False)
    assert text.used_counter
    js = prepare(EVERY_KIND[1], EX)
    assert js.text == '{"room": "lobby"}' and not js.used_counter


def test_a_json_item_that_no_longer_parses_is_not_sent() -> None:
    item = LibraryItem("j", ItemKind.JSON, text='{"n": {{env:ROOM}}}')
    with pytest.raises(ValueError, match="not valid JSON once expanded"):
        prepare(item, EX)


def test_a_crafted_frame_gets_fresh_keys_per_fragment_or_none() -> None:
    masked = LibraryItem("f", ItemKind.FRAME, text="abcd", fragments=2, bits=FrameBits())
    first, second = prepare(masked, EX).specs, prepare(masked, EX).specs
    assert [s.opcode for s in first] == [Opcode.TEXT, Opcode.CONT]
    assert [s.fin for s in first] == [False, True]
    assert b"".join(s.payload for s in first) == b"abcd"
    keys = [s.mask_key for s in first + second]
    assert all(k is not None and len(k) == 4 for k in keys)
    assert len(set(keys)) == 4
    bare = prepare(EVERY_KIND[7], EX).specs
    assert [(s.opcode, s.rsv2, s.mask, s.length_form) for s in bare] == [
        (3, True, False, 64),
        (0, False, False, 64),
    ]


def test_close_reason_over_the_limit_once_expanded_is_refused() -> None:
    item = LibraryItem("c", ItemKind.CLOSE, text="{{env:LONG}}")
    with pytest.raises(ValueError, match="over 123 bytes"):
        prepare(item, Expander(env={"LONG": "x" * 124}))
    assert prepare(item, Expander(env={"LONG": "x" * 123})).code == 1000


@pytest.mark.parametrize(
    ("obj", "message"),
    [
        ([], "must be a JSON object"),
        ({"name": "x"}, "'kind' is missing"),
        ({"name": "x", "kind": "video"}, "'kind' is one of text, json"),
        ({"name": "x", "kind": "text", "text": 5}, "'text' must be a string, not 5"),
        ({"name": "x", "kind": "binary", "base64": "***"}, "not valid base64"),
        ({"name": "x", "kind": "binary", "text": "a"}, "payload is bytes"),
        ({"name": "", "kind": "text", "text": "a"}, "needs a name"),
        ({"name": "x", "kind": "text", "text": "a", "fragments": True}, "whole number"),
        ({"name": "x", "kind": "text", "text": "a", "base64": ""}, "not both"),
        ({"name": "x", "kind": "frame", "text": "a"}, "needs its header bits"),
        ({"name": "x", "kind": "frame", "text": "a", "frame": {"opcode": 16}}, "4 bits"),
        (
            {"name": "x", "kind": "frame", "text": "a", "frame": {"length_form": "huge"}},
            "'length_form' is one of",
        ),
        ({"name": "x", "kind": "close", "code": 70000}, "0 to 65535"),
    ],
)
def test_a_malformed_item_says_which_field(obj: Any, message: str) -> None:
    with pytest.raises(ItemError, match=message):
        item_from_json(obj)
