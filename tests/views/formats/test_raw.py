"""Tests of inspector.views.formats.raw: text, JSON, hex and close views."""

from __future__ import annotations

from inspector.views.base import SUMMARY_PREFIX, PayloadMeta, Syntax
from inspector.views.registry import default_registry

REG = default_registry()
TEXT = PayloadMeta(opcode=1)


def test_json_pretty_and_tree() -> None:
    r = REG.render(b'{"type":"chat","to":["a","b"],"n":1.5,"ok":null}', TEXT)
    assert r.view == "json" and r.syntax is Syntax.JSON and r.error is None
    assert r.text.splitlines()[1] == '  "type": "chat",'
    assert r.tree is not None
    assert [(c.label, c.kind) for c in r.tree.children] == [
        ("type", "string"),
        ("to", "array"),
        ("n", "number"),
        ("ok", "null"),
    ]
    assert r.tree.children[1].value == "[2]"


def test_json_refuses_nan() -> None:
    r = REG.render(b"[NaN]", TEXT, "json")
    assert r.error is not None and "NaN is not JSON" in r.error


def test_text_summary_is_one_escaped_line() -> None:
    line = REG.summary(b"hi\x1b]0;pwned\x07\nthere", TEXT)
    assert "\x1b" not in line and "\x07" not in line and "\n" not in line
    assert line.startswith("hi\\e]0;pwned\\x07")


def test_summary_reads_a_bounded_prefix() -> None:
    big = b"x" * (SUMMARY_PREFIX * 10)
    line = REG.summary(big, PayloadMeta(opcode=1, size=len(big)))
    assert len(line) <= 241 and line.endswith("...")


def test_invalid_utf8_text_says_where() -> None:
    r = REG.render(b"ok\xff", TEXT, "text")
    assert r.error == "not valid UTF-8 at byte 2: invalid start byte" and r.text == "ok\ufffd"


def test_hex_dump_has_offsets_and_ascii() -> None:
    r = REG.render(bytes(range(20)), PayloadMeta(opcode=2))
    assert r.view == "hex"
    first, second = r.text.splitlines()
    assert first.startswith("00000000  00 01 02") and second.startswith("00000010  10 11 12 13")


def test_close_views() -> None:
    meta = PayloadMeta(opcode=8)
    assert REG.summary(b"\x03\xe8bye", meta) == "1000 Normal closure 'bye'"
    assert REG.summary(b"", meta) == "(no status code)"
    assert REG.summary(b"\x03", meta) == "(1 byte: invalid)"
    r = REG.render(b"\x03\xea\xff", meta)
    assert r.error == "the reason is not UTF-8 at byte 2" and r.fields["code"] == "1002"


def test_short_binary_is_not_taken_for_text() -> None:
    # A payload of invalid UTF-8 shorter than a character once passed as text (the
    # check for a character cut by the prefix dropped all of it).
    assert REG.best(b"\xff\xff\xff", PayloadMeta(opcode=2)).name == "hex"
    assert REG.best("é".encode() * 600, PayloadMeta(opcode=2)).name == "text"  # cut inside é
