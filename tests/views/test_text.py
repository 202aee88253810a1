"""Escaping for JSON lines printed to a terminal (views/text.py)."""

from __future__ import annotations

import json

from inspector.views.text import escape_control, escape_json_line


def test_json_lines_keep_their_value_and_lose_the_controls() -> None:
    value = {"text": "a\x1b]0;x\x07\x9b\u202e\u2066\u2028b\té", "n": 1}
    line = json.dumps(value, ensure_ascii=False)
    safe = escape_json_line(line)
    assert json.loads(safe) == value
    assert safe == '{"text": "a\\u001b]0;x\\u0007\\u009b\\u202e\\u2066\\u2028b\\té", "n": 1}'
    assert escape_control(safe) == safe  # nothing left for a terminal to act on
    assert escape_json_line('{"plain": "ascii"}') == '{"plain": "ascii"}'
