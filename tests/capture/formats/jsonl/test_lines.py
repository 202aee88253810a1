"""Tests of inspector.capture.formats.jsonl.lines: a stream split into lines, with no
more than a line's limit held for one line."""

from __future__ import annotations

import io

from inspector.capture.formats.jsonl.lines import (
    CUT,
    ENDED,
    LAST,
    TOO_LONG,
    UNDECODABLE,
    binary_hint,
    json_document_hint,
    split_lines,
)


def test_lines_across_blocks_and_a_last_line_without_newline() -> None:
    data = b"a\n" + b"b" * 3_000_000 + b"\n\nlast"
    lines = list(split_lines(io.BytesIO(data).read, 10, 4_000_000))
    assert [(len(x), how) for x, how in lines] == [
        (1, ENDED),
        (3_000_000, ENDED),
        (0, ENDED),
        (4, LAST),
    ]


def test_a_line_past_its_limit_ends_the_lines_with_its_start() -> None:
    lines = list(split_lines(io.BytesIO(b"x" * 100 + b"\nnext\n").read, 50, 1000))
    assert lines == [(b"x" * 100, TOO_LONG)]  # the first line's own, smaller limit
    endless = list(split_lines(io.BytesIO(b"ok\n" + b"y" * 5_000_000).read, 10, 2**20))
    assert endless == [(b"ok", ENDED), (b"y" * CUT, TOO_LONG)]


def test_a_text_stream_that_cannot_decode_is_one_line_that_says_so() -> None:
    stream = io.TextIOWrapper(io.BytesIO(b"ok\n\xff\xfe"), encoding="ascii")
    ((text, how),) = list(split_lines(stream.read, 10, 10))
    assert how == UNDECODABLE and text.startswith("not ascii text")


def test_hints() -> None:
    assert binary_hint(b"a\x00b") == " (it holds binary data)"
    assert binary_hint(b"\xffx") == " (it is not UTF-8 text: byte 0)"
    assert binary_hint("text") == ""
    assert json_document_hint(b"{") and json_document_hint('{"log"')
    assert json_document_hint("[1]") == ""
