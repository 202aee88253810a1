"""Tests of inspector.capture.formats.jsonl.schema: the checks of each field name the
field and say what is wrong in plain words; the canonical frame line is what the
writer writes."""

from __future__ import annotations

import math
from typing import Any

import pytest
from capture.conftest import IN, received, session_info, wire

from inspector.capture.events import FramesCaptured
from inspector.capture.formats.jsonl import iter_lines, schema
from inspector.capture.store import CaptureStore
from inspector.protocol.constants import Opcode
from inspector.protocol.frames import FrameSpec
from inspector.protocol.violations import Rule, Violation


@pytest.mark.parametrize(
    ("text", "preview"),
    [
        ('{"t": NaN}', "NaN"),
        ('{"t": -Infinity}', "-Infinity"),
        ('{"t": 1e999}', "a number too large for a float"),
        ('{"t": ' + "7" * 400 + "}", "7" * 37 + "..."),
        ('{"t": "x"}', '"x"'),
    ],
)
def test_values_json_has_no_form_for_are_previewed_as_written(text: str, preview: str) -> None:
    value = schema.loads(text)["t"]
    assert schema.json_preview(value) == preview
    assert schema.json_preview([value]).startswith("[")


def test_loads_reads_bytes_in_any_encoding_json_allows() -> None:
    assert schema.loads('{"a":"é"}'.encode("utf-16")) == {"a": "é"}
    assert schema.loads(b'{"a":"\\ud800"}') == {"a": "\ud800"}
    assert isinstance(schema.loads(b"[NaN]")[0], schema.NotJson)


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf, 10**400, schema.NotJson("NaN")])
def test_finite_refuses_what_is_not_a_finite_number(value: Any) -> None:
    with pytest.raises(schema.Bad, match=r'^"t" must be a finite number, not '):
        schema.num({"t": value}, "t")
    assert schema.num({"t": 10**300}, "t") == 1e300


@pytest.mark.parametrize(
    ("obj", "words"),
    [
        ({}, '"n" is missing'),
        ({"n": True}, '"n" must be an integer, not true'),
        ({"n": 1.0}, '"n" must be an integer, not 1.0'),
        ({"n": -1}, '"n" must be at least 0, not -1'),
        ({"n": 2**63}, '"n" is too large (the most is 9223372036854775807), not 9223372'),
    ],
)
def test_integers_are_bounded(obj: dict[str, Any], words: str) -> None:
    with pytest.raises(schema.Bad) as info:
        schema.integer(obj, "n")
    assert str(info.value).startswith(words)
    assert schema.integer({"n": 2**63 - 1}, "n") == 2**63 - 1
    assert schema.opt_integer({"n": None}, "n") is None


def test_violation_objects_read_as_they_are_written() -> None:
    for v in (
        Violation(Rule.RESERVED_BIT, "RSV2 set", 10),
        Violation(Rule.UNMASKED_CLIENT_FRAME, "ours", None, deliberate=True),
    ):
        assert schema.violation(v.to_json()) == v
    old = {"rule": "reserved-bit", "message": "from before deliberate", "offset": None}
    assert schema.violation(old) == Violation(Rule.RESERVED_BIT, "from before deliberate")
    with pytest.raises(schema.UnknownRule):
        schema.violation({"rule": "rule-from-the-future", "message": "x"})
    with pytest.raises(schema.Bad, match='"offset" is too large'):
        schema.violation({"rule": "reserved-bit", "message": "x", "offset": 10**400})


def test_the_canonical_frame_line_is_the_writers() -> None:
    store = CaptureStore(session_info())
    specs = [
        FrameSpec(Opcode.TEXT, 'quote " backslash \\ tab \t é'.encode()),
        FrameSpec(Opcode.BINARY, bytes(range(200))),
        FrameSpec(Opcode.CLOSE, b"\x03\xe8bye"),
        FrameSpec(Opcode.PING, b""),
    ]
    store.add(FramesCaptured(1.25e-7, IN, received(wire(*specs))[0]))
    frame_lines = [x for x in iter_lines(store) if x.startswith('{"type":"frame"')]
    assert len(frame_lines) == 4
    for line in frame_lines:
        m = schema.FRAME_LINE_STR.fullmatch(line)
        assert m is not None and m.group(1) == "1.25e-07"
        assert schema.FRAME_LINE_BYTES.fullmatch(line.encode()) is not None


def test_json_float_refuses_nan_and_the_infinities() -> None:
    assert schema.json_float(0.1) == "0.1"
    for x in (math.nan, math.inf, -math.inf):
        with pytest.raises(ValueError):
            schema.json_float(x)
    with pytest.raises(ValueError):
        schema.dumps({"t": math.nan})
