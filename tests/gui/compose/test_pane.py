"""The compose pane: counters and warnings, input parsing, and crafted frames whose
preview is exactly what :func:`encode_frame` makes (and what goes on the wire)."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import Qt

from inspector.capture.events import ConnectionState, Direction
from inspector.gui.compose.pane import (
    ComposePane,
    format_hex,
    parse_base64,
    parse_hex,
    split_payload,
)
from inspector.gui.session.controller import SessionController
from inspector.protocol.constants import Opcode, Role
from inspector.protocol.frames import FrameSpec, encode_frame

pytestmark = pytest.mark.gui

KEY = bytes.fromhex("0a1b2c3d")


@pytest.fixture
def pane(qtbot: Any) -> ComposePane:
    controller = SessionController()
    widget = ComposePane(controller)
    widget._test_controller = controller  # type: ignore[attr-defined]  # keep it alive
    qtbot.addWidget(widget)
    return widget


def _level(label: Any) -> str:
    return str(label.property("level") or "")


# --------------------------------------------------------------------- parsing
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("de ad be ef", b"\xde\xad\xbe\xef"),
        ("DEADBEEF", b"\xde\xad\xbe\xef"),
        ("0xde, 0xad,0xbe", b"\xde\xad\xbe"),
        ("de:ad:be\nef-00", b"\xde\xad\xbe\xef\x00"),
        ("", b""),
    ],
)
def test_parse_hex_accepts_the_usual_spellings(text: str, expected: bytes) -> None:
    assert parse_hex(text) == expected


def test_parse_hex_says_what_is_wrong_and_where() -> None:
    with pytest.raises(ValueError, match=r"'z' at character 7 is not a hex digit"):
        parse_hex("de ad zz")
    with pytest.raises(ValueError, match="odd number of hex digits"):
        parse_hex("abc")


def test_parse_base64() -> None:
    assert parse_base64("3q2+7w==") == b"\xde\xad\xbe\xef"
    assert parse_base64("3q2+7w") == b"\xde\xad\xbe\xef"  # padding optional
    assert parse_base64("3q2-7w") == b"\xde\xad\xbe\xef"  # URL-safe alphabet
    assert parse_base64(" 3q2+\n7w== ") == b"\xde\xad\xbe\xef"
    with pytest.raises(ValueError, match="not a base64 character"):
        parse_base64("3q2*7w==")
    with pytest.raises(ValueError, match="cannot encode whole bytes"):
        parse_base64("3q2+7")


def test_format_hex_and_split_payload() -> None:
    assert format_hex(bytes(range(18))).splitlines()[1] == "10 11"
    assert split_payload(b"abcdefghi", 3) == [b"abc", b"def", b"ghi"]
    assert split_payload(b"abcd", 3) == [b"a", b"b", b"cd"]
    assert split_payload(b"ab", 5) == [b"a", b"b"]
    assert split_payload(b"", 4) == [b""]


# --------------------------------------------------------------- live feedback
def test_close_reason_counts_utf8_bytes_and_warns_past_123(pane: ComposePane) -> None:
    pane.tabs.setCurrentIndex(pane.TAB_CLOSE)
    pane.close_reason.setText("é" * 61)  # 122 bytes in 61 characters
    assert pane.close_counter.text() == "122 / 123 bytes"
    assert _level(pane.close_counter) == "muted"
    assert pane.close_warning.isHidden()
    assert pane._current_valid()

    pane.close_reason.setText("é" * 61 + "ab")  # 124 bytes
    assert pane.close_counter.text() == "124 / 123 bytes"
    assert _level(pane.close_counter) == "error"
    assert not pane.close_warning.isHidden()
    assert "1 byte(s) too long" in pane.close_warning.text()
    assert not pane._current_valid()


def test_close_code_combo(pane: ComposePane) -> None:
    pane.tabs.setCurrentIndex(pane.TAB_CLOSE)
    assert pane.close_code_value() == 1000
    pane.close_code.setEditText("4001 my app's code")
    assert pane.close_code_value() == 4001
    assert "Private use" in pane.close_meaning.text()
    pane.close_code.setEditText("1005")
    assert "may not be sent on the wire" in pane.close_warning.text()
    assert pane._current_valid()  # allowed on purpose, with a warning
    pane.close_code.setEditText("nonsense")
    assert _level(pane.close_meaning) == "error"
    assert not pane._current_valid()
    pane.close_code.setCurrentIndex(pane.close_code.count() - 1)  # (no code)
    assert pane.close_code_value() is None
    pane.close_reason.setText("why")
    assert "a reason needs a code" in pane.close_warning.text()


def test_binary_input_errors_are_shown(pane: ComposePane) -> None:
    pane.tabs.setCurrentIndex(pane.TAB_BINARY)
    pane.binary_edit.setPlainText("de ad zz")
    assert _level(pane.binary_info) == "error"
    assert "'z' at character 7" in pane.binary_info.text()
    pane.binary_edit.setPlainText("de:ad:be:ef")
    assert pane.binary_info.text() == "4 bytes"
    pane.binary_format.setCurrentIndex(1)  # Base64: ':' is not in its alphabet
    assert _level(pane.binary_info) == "error"
    pane.binary_edit.setPlainText("3q2+7w==")
    assert pane.binary_info.text() == "4 bytes"
    assert pane.binary_payload() == b"\xde\xad\xbe\xef"


def test_binary_from_a_file(pane: ComposePane, tmp_path: Any) -> None:
    small = tmp_path / "small.bin"
    small.write_bytes(bytes(range(40)))
    pane.load_binary_file(str(small))
    assert pane.binary_payload() == bytes(range(40))
    assert "small.bin" in pane.binary_info.text()
    big = tmp_path / "big.bin"
    big.write_bytes(b"\x01" * (300 * 1024))
    pane.load_binary_file(str(big))
    assert pane.binary_payload() == b"\x01" * (300 * 1024)
    assert pane.binary_edit.isReadOnly()
    pane.clear_binary_file()
    assert pane.binary_payload() == b""
    pane.load_binary_file(str(tmp_path / "missing.bin"))
    assert _level(pane.binary_info) == "error"


def test_ping_payload_limit(pane: ComposePane) -> None:
    pane.tabs.setCurrentIndex(pane.TAB_CONTROL)
    pane.control_payload.setText("x" * 125)
    assert pane.control_info.text() == "125 / 125 bytes"
    pane.control_payload.setText("x" * 126)
    assert _level(pane.control_info) == "error"
    assert not pane._current_valid()
    pane.control_format.setCurrentIndex(1)
    pane.control_payload.setText("01 02 0")
    assert "odd number" in pane.control_info.text()


def test_text_info_counts_bytes_and_checks_json(pane: ComposePane) -> None:
    pane.text_edit.setPlainText('{"a": "ü"}')
    assert "11 bytes UTF-8" in pane.text_info.text()
    assert "valid JSON" in pane.text_info.text()
    pane.text_edit.setPlainText('{"a": ')
    assert "not valid JSON" in pane.text_info.text()
    pane.text_edit.setPlainText('{"a":1,"b":[1,2]}')
    pane.format_json_button.click()
    assert pane.text_edit.toPlainText().startswith('{\n  "a": 1')


# ---------------------------------------------------------------- crafted frames
def _set_frame(
    pane: ComposePane,
    *,
    payload: str = "Hello",
    opcode: int = Opcode.TEXT,
    fin: bool = True,
    rsv: tuple[bool, bool, bool] = (False, False, False),
    mask: bool = True,
    key: bytes = KEY,
    form_index: int = 0,
    declared: int | None = None,
    fragments: int = 1,
) -> None:
    pane.tabs.setCurrentIndex(pane.TAB_FRAME)
    pane.frame_payload_format.setCurrentIndex(0)
    pane.frame_payload.setPlainText(payload)
    pane.opcode_combo.setCurrentIndex(opcode)
    pane.fin_check.setChecked(fin)
    for box, on in zip(pane.rsv_checks, rsv, strict=True):
        box.setChecked(on)
    pane.mask_check.setChecked(mask)
    pane.mask_key_edit.setText(key.hex())
    pane.length_form_combo.setCurrentIndex(form_index)
    pane.declared_check.setChecked(declared is not None)
    pane.declared_edit.setText("" if declared is None else str(declared))
    pane.frame_fragments.setValue(fragments)


def _wire(*specs: FrameSpec) -> bytes:
    return b"".join(b"".join(encode_frame(s, Role.CLIENT)) for s in specs)


def test_preview_is_exactly_encode_frame(pane: ComposePane) -> None:
    _set_frame(pane)
    spec = FrameSpec(Opcode.TEXT, b"Hello", mask=True, mask_key=KEY)
    assert pane.preview_bytes() == _wire(spec)
    header, wire = encode_frame(spec, Role.CLIENT)
    text = pane.frame_preview.toPlainText()
    assert header.hex(" ") in text
    assert wire.hex(" ") in text
    assert "key=0a1b2c3d" in text
    assert pane.frame_error.text() == ""  # a valid frame: nothing to warn about


def test_preview_of_a_rule_breaking_frame(pane: ComposePane) -> None:
    _set_frame(
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
        0x3,
        b"abc",
        fin=False,
        rsv2=True,
        rsv3=True,
        mask=False,
        length_form=64,
        declared_length=10,
    )
    assert pane.preview_bytes() == _wire(spec)
    assert pane.preview_bytes()[:10] == bytes.fromhex("33 7f 00 00 00 00 00 00 00 0a")
    notes = pane.frame_error.text()
    for words in ("reserved opcode", "unmasked", "RSV bit", "declared length", "non-minimal"):
        assert words in notes


def test_preview_of_fragments(pane: ComposePane) -> None:
    _set_frame(
        pane, payload="abcdefghi", opcode=Opcode.BINARY, rsv=(True, False, False), fragments=3
    )
    specs = pane.crafted_specs()
    assert [s.opcode for s in specs] == [Opcode.BINARY, Opcode.CONT, Opcode.CONT]
    assert [s.fin for s in specs] == [False, False, True]
    assert [s.rsv1 for s in specs] == [True, False, False]
    assert [s.payload for s in specs] == [b"abc", b"def", b"ghi"]
    expected = _wire(
        FrameSpec(Opcode.BINARY, b"abc", fin=False, rsv1=True, mask=True, mask_key=KEY),
        FrameSpec(Opcode.CONT, b"def", fin=False, mask=True, mask_key=KEY),
        FrameSpec(Opcode.CONT, b"ghi", mask=True, mask_key=KEY),
    )
    assert pane.preview_bytes() == expected
    assert "Frame 3 of 3" in pane.frame_preview.toPlainText()
    assert pane.send_button.text() == "Send frames"


def test_frame_errors(pane: ComposePane) -> None:
    _set_frame(pane, key=b"\x01\x02")
    assert "4 bytes" in pane.frame_error.text()
    assert pane.frame_preview.toPlainText() == ""
    _set_frame(pane, payload="x" * 200, form_index=1)  # 7-bit form cannot hold 200
    assert "125" in pane.frame_error.text()
    _set_frame(pane, declared=5, fragments=2)
    assert "single frame" in pane.frame_error.text()
    pane.frame_payload_format.setCurrentIndex(1)
    pane.frame_fragments.setValue(1)
    pane.declared_check.setChecked(False)
    pane.frame_payload.setPlainText("0g")
    assert "not a hex digit" in pane.frame_error.text()


def test_random_key_button(pane: ComposePane) -> None:
    _set_frame(pane)
    keys = set()
    for _ in range(5):
        pane.random_key_button.click()
        keys.add(pane.mask_key_edit.text())
    assert len(keys) > 1 and all(len(k) == 8 for k in keys)
    key = bytes.fromhex(pane.mask_key_edit.text())
    assert pane.preview_bytes() == _wire(FrameSpec(1, b"Hello", mask=True, mask_key=key))


def test_send_is_disabled_while_not_connected(pane: ComposePane) -> None:
    pane.text_edit.setPlainText("hi")
    assert not pane.send_button.isEnabled()
    assert not pane.send_current()
    assert "connect first" in pane.status_label.text().lower()


# ------------------------------------------------------------- on a live session
def test_crafted_frames_go_on_the_wire_as_previewed(
    qtbot: Any, echo_server: Any, arun: Any, until: Any
) -> None:
    controller = SessionController()
    pane = ComposePane(controller)
    qtbot.addWidget(pane)

    async def scenario() -> None:
        controller.connect_to(echo_server.url)
        await until(lambda: controller.state is ConnectionState.OPEN, 5, "open")
        await until(pane.send_button.isEnabled, 2, "Send enabled once open")
        store = controller.store
        assert store is not None

        # One frame, Ctrl+Enter in the payload editor.
        _set_frame(pane, payload="crafted!")
        preview = pane.preview_bytes()
        qtbot.keyClick(pane.frame_payload, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
        # Three fragments of a text message, sent with the button.
        _set_frame(pane, payload="in three parts", fragments=3)
        preview += pane.preview_bytes()
        qtbot.mouseClick(pane.send_button, Qt.MouseButton.LeftButton)
        await until(lambda: store.counters(Direction.IN).frames >= 2, 3, "echoes")

        sent = [r for r in range(len(store)) if store.direction(r) is Direction.OUT]
        assert len(sent) == 4
        on_wire = b"".join(store.header(r) + encode_frame_payload(store, r) for r in sent)
        assert on_wire == preview
        # Echoed: the frame's own payload, or the inflated message when compressed.
        received = []
        for r in range(len(store)):
            if store.direction(r) is Direction.IN:
                message = store.message_for(r)
                received.append(message.data if message is not None else store.frame(r).payload)
        assert b"crafted!" in received
        assert pane.history_list.count() == 2
        assert pane.history_list.item(0).text().startswith("FRAME ×3")

        # Raw bytes: an unmasked TEXT frame, which the server reports as a violation.
        pane.tabs.setCurrentIndex(pane.TAB_RAW)
        pane.raw_edit.setPlainText("81 02 68 69")
        assert pane.send_current()
        assert pane.history_list.item(0).text().startswith("RAW  4 B")

        # Resend from the history: the crafted fragments again.
        pane.history_list.setCurrentRow(1)
        assert pane.resend_selected()

        controller.close_connection()
        await until(lambda: not pane.send_button.isEnabled(), 5, "Send disabled once closed")
        assert controller.state is ConnectionState.CLOSED

    arun(scenario(), 15)
    controller.detach()


def encode_frame_payload(store: Any, row: int) -> bytes:
    """The payload of a stored frame as it was on the wire (masked again)."""
    return bytes(store.frame(row).masked_payload)
