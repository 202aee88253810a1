"""The compose pane's words, without Qt: history labels and the Text tab's size line."""

from __future__ import annotations

from inspector.gui.compose.entries import (
    binary_label,
    byte_count,
    close_label,
    control_label,
    format_label,
    frames_label,
    raw_label,
    text_info,
    text_label,
)
from inspector.protocol.crafting import CraftedFrame, crafted_specs


def test_text_info_counts_bytes_and_checks_json() -> None:
    assert text_info('{"a": "ü"}') == "11 bytes UTF-8 · valid JSON"
    assert "not valid JSON" in text_info('{"a": ')
    assert text_info("abc", 5) == "3 bytes UTF-8 · in 3 frames"  # no more frames than bytes
    assert text_info("plain") == "5 bytes UTF-8"
    assert byte_count(1) == "1 byte"


def test_labels() -> None:
    assert text_label("a\n  b", 3) == "TEXT ×3  'a b'"
    assert text_label("x" * 100).endswith("…'") and len(text_label("x" * 100)) < 80
    assert binary_label(bytes(range(16)), compress=True) == (
        "BINARY  16 B  00 01 02 03 04 05 06 07 08 09 0a 0b …  deflate"
    )
    assert control_label("ping", b"hi") == "PING  'hi'"
    assert close_label(None, "") == "CLOSE  (no code)"
    assert close_label(4000, "bye") == "CLOSE  4000  'bye'"
    assert raw_label(b"\x81\x00") == "RAW  2 B  81 00"
    specs = crafted_specs(CraftedFrame(1, b"abcdef", rsv2=True, fragments=3))
    assert frames_label(specs) == "FRAME ×3  0x1 TEXT F-1-  6 B"


def test_format_label_names_the_message_kind_and_shortens_the_summary() -> None:
    assert format_label(True, 'socket.io EVENT "chat"') == 'TEXT  socket.io EVENT "chat"'
    long = format_label(False, "msgpack {3} " + "k" * 100)
    assert long.startswith("BINARY  msgpack {3} ") and long.endswith("…") and len(long) < 80
