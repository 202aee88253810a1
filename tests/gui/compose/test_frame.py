"""The Frame tab: its byte preview is exactly what :func:`encode_frame` makes, and
each fragment is masked with its own key."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from inspector.gui.compose.frame import FrameTab
from inspector.gui.compose.pane import ComposePane
from inspector.protocol.constants import Opcode, Role
from inspector.protocol.frames import FrameSpec, encode_frame

pytestmark = pytest.mark.gui

KEY = bytes.fromhex("0a1b2c3d")
SetFrame = Callable[..., FrameTab]


def wire(*specs: FrameSpec) -> bytes:
    return b"".join(b"".join(encode_frame(s, Role.CLIENT)) for s in specs)


def test_preview_is_exactly_encode_frame(pane: ComposePane, set_frame: SetFrame) -> None:
    tab = set_frame(pane)
    spec = FrameSpec(Opcode.TEXT, b"Hello", mask=True, mask_key=KEY)
    assert tab.preview_bytes() == wire(spec)
    header, masked = encode_frame(spec, Role.CLIENT)
    text = tab.preview.text.toPlainText()
    assert header.hex(" ") in text and masked.hex(" ") in text
    assert "key=0a1b2c3d" in text
    assert tab.preview.notes.text() == ""  # a valid frame: nothing to warn about


def test_preview_of_a_rule_breaking_frame(pane: ComposePane, set_frame: SetFrame) -> None:
    tab = set_frame(
        pane,
        payload="abc",
        opcode=0x3,
        fin=False,
        rsv=(False, True, True),
        mask=False,
        form_index=3,  # 64-bit length form for 3 bytes
        declared=10,
    )
    spec = FrameSpec(
        0x3, b"abc", fin=False, rsv2=True, rsv3=True, mask=False, length_form=64, declared_length=10
    )
    assert tab.preview_bytes() == wire(spec)
    assert tab.preview_bytes()[:10] == bytes.fromhex("33 7f 00 00 00 00 00 00 00 0a")
    notes = tab.preview.notes.text()
    for words in ("reserved opcode", "unmasked", "RSV bit", "declared length", "non-minimal"):
        assert words in notes
    assert tab.opcode_combo.currentText() == "0x3 3 (reserved)"


def test_fragments_each_get_their_own_masking_key(pane: ComposePane, set_frame: SetFrame) -> None:
    tab = set_frame(
        pane, payload="abcdefghi", opcode=Opcode.BINARY, rsv=(True, False, False), fragments=3
    )
    specs = tab.specs()
    assert [s.opcode for s in specs] == [Opcode.BINARY, Opcode.CONT, Opcode.CONT]
    assert [s.fin for s in specs] == [False, False, True]
    assert [s.rsv1 for s in specs] == [True, False, False]
    assert [s.payload for s in specs] == [b"abc", b"def", b"ghi"]
    keys = [s.mask_key for s in specs]
    assert keys[0] == KEY and len(set(keys)) == 3  # RFC 6455 §5.3: a fresh key per frame
    assert tab.specs() == specs, "the keys are kept: what is previewed is what is sent"
    expected = wire(*specs)
    assert tab.preview_bytes() == expected
    text = tab.preview.text.toPlainText()
    assert "Frame 3 of 3" in text
    for key in keys:
        assert key is not None and f"key={key.hex()}" in text
    assert pane.send_button.text() == "Send frames"
    # Random draws fresh keys for every frame.
    tab.random_key_button.click()
    fresh = [s.mask_key for s in tab.specs()]
    assert len(set(fresh)) == 3 and not set(fresh) & set(keys)


def test_frame_errors(pane: ComposePane, set_frame: SetFrame) -> None:
    tab = set_frame(pane, key=b"\x01\x02")
    assert "4 bytes" in tab.preview.notes.text() and "Random" in tab.preview.notes.text()
    assert tab.preview.text.toPlainText() == ""
    assert not pane._current_valid()
    set_frame(pane, payload="x" * 200, form_index=1)  # 7-bit form cannot hold 200
    assert "125" in tab.preview.notes.text()
    set_frame(pane, declared=5, fragments=2)
    assert "single frame" in tab.preview.notes.text()
    tab.fragments.setValue(1)
    tab.declared_edit.setText("")
    assert "type the length to declare" in tab.preview.notes.text()
    tab.declared_check.setChecked(False)
    tab.payload_format.setCurrentIndex(tab.HEX)
    tab.payload_edit.setPlainText("0g")
    assert "not a hex digit" in tab.preview.notes.text()


def test_random_key_button(pane: ComposePane, set_frame: SetFrame) -> None:
    tab = set_frame(pane)
    keys = set()
    for _ in range(5):
        tab.random_key_button.click()
        keys.add(tab.mask_key_edit.text())
    assert len(keys) > 1 and all(len(k) == 8 for k in keys)
    key = bytes.fromhex(tab.mask_key_edit.text())
    assert tab.preview_bytes() == wire(FrameSpec(1, b"Hello", mask=True, mask_key=key))
