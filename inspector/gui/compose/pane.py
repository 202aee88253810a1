"""Compose and send: text, binary, ping/pong, close, a hand-crafted frame, raw bytes.

Ctrl+Enter sends what the current tab holds. Everything sent goes into a history
list; double-click an entry (or press Resend) to send it again. The Frame tab shows
the exact bytes (computed with :func:`~inspector.protocol.frames.encode_frame`)
before they are sent, with the masking key the preview shows.
"""

from __future__ import annotations

import base64
import binascii
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QKeyEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QFileDialog,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QRadioButton,
    QScrollArea,
    QSizePolicy,
    QSpinBox,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from ...capture.events import ConnectionState, StateChanged
from ...protocol.constants import Role, close_code_meaning, is_valid_close_code, opcode_name
from ...protocol.frames import FrameSpec, LengthForm, encode_frame
from ..session.controller import SessionController
from ..widgets import theme
from ..widgets.naming import named as _named
from .repeat import RepeatControl

__all__ = [
    "CLOSE_REASON_LIMIT",
    "ComposePane",
    "format_hex",
    "parse_base64",
    "parse_hex",
    "split_payload",
]

#: A close frame's payload is at most 125 bytes: 2 for the code, 123 for the reason.
CLOSE_REASON_LIMIT = 123
CONTROL_PAYLOAD_LIMIT = 125
HISTORY_MAX = 200
#: Files up to this size are loaded into the hex editor; larger ones are kept aside.
EDITABLE_FILE_LIMIT = 256 * 1024

_HEX_TOKEN = re.compile(r"0[xX]|[0-9a-fA-F]|[\s:,\-]|.", re.DOTALL)
_HEXDIGITS = frozenset("0123456789abcdefABCDEF")

CLOSE_CODES: list[tuple[int | None, str]] = [
    (1000, "Normal closure"),
    (1001, "Going away"),
    (1002, "Protocol error"),
    (1003, "Unsupported data"),
    (1004, "Reserved (must not be sent)"),
    (1005, "No status received (must not be sent)"),
    (1006, "Abnormal closure (must not be sent)"),
    (1007, "Invalid frame payload data"),
    (1008, "Policy violation"),
    (1009, "Message too big"),
    (1010, "Mandatory extension"),
    (1011, "Internal error"),
    (1012, "Service restart"),
    (1013, "Try again later"),
    (1014, "Bad gateway"),
    (1015, "TLS handshake (must not be sent)"),
    (3000, "Registered with IANA (3000-3999)"),
    (4000, "Private use (4000-4999)"),
    (None, "(no code: empty close payload)"),
]


# --------------------------------------------------------------------------- parsing
def parse_hex(text: str) -> bytes:
    """Hex digits to bytes. Spaces, line breaks, ``:``, ``,``, ``-`` and ``0x``
    prefixes are ignored; anything else raises ``ValueError`` saying where."""
    digits: list[str] = []
    for m in _HEX_TOKEN.finditer(text):
        token = m.group()
        if token in _HEXDIGITS:
            digits.append(token)
        elif (len(token) == 2 and token[0] == "0") or token.isspace() or token in ":,-":
            continue
        else:
            raise ValueError(
                f"{token!r} at character {m.start() + 1} is not a hex digit (0-9, a-f)"
            )
    if len(digits) % 2:
        raise ValueError(
            f"odd number of hex digits ({len(digits)}): each byte is two digits, "
            "e.g. 0a rather than a"
        )
    return bytes.fromhex("".join(digits))


def parse_base64(text: str) -> bytes:
    """Base64 (standard or URL-safe alphabet, padding optional) to bytes."""
    cleaned = "".join(text.split())
    if not cleaned:
        return b""
    urlsafe = "-" in cleaned or "_" in cleaned
    stripped = cleaned.rstrip("=")
    if len(stripped) % 4 == 1:
        raise ValueError(
            f"{len(stripped)} base64 characters cannot encode whole bytes (one too many or too few)"
        )
    padded = stripped + "=" * (-len(stripped) % 4)
    bad = re.search(r"[^A-Za-z0-9\-_=]" if urlsafe else r"[^A-Za-z0-9+/=]", padded)
    if bad:
        raise ValueError(
            f"{bad.group()!r} at character {cleaned.find(bad.group()) + 1} is not a base64 "
            "character"
        )
    try:
        if urlsafe:
            return base64.urlsafe_b64decode(padded)
        return base64.b64decode(padded, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValueError(f"not valid base64: {exc}") from None


def format_hex(data: bytes, per_line: int = 16) -> str:
    """``de ad be ef ...`` with ``per_line`` bytes per line."""
    return "\n".join(data[i : i + per_line].hex(" ") for i in range(0, len(data), per_line))


def split_payload(payload: bytes, n: int) -> list[bytes]:
    """Split into ``n`` parts as evenly as the bytes allow (never more parts than
    bytes, except that an empty payload is one empty part)."""
    n = max(1, min(n, len(payload) or 1))
    size = len(payload)
    return [payload[i * size // n : (i + 1) * size // n] for i in range(n)]


def _preview_lines(specs: list[FrameSpec], limit: int = 96) -> str:
    lines: list[str] = []
    total = 0
    for i, spec in enumerate(specs):
        header, wire = encode_frame(spec, Role.CLIENT)
        total += len(header) + len(wire)
        b0, b1 = header[0], header[1]
        n7 = b1 & 0x7F
        form = 7 if n7 < 126 else 16 if n7 == 126 else 64
        declared = len(spec.payload) if spec.declared_length is None else spec.declared_length
        rsv = f"{(b0 >> 6) & 1}{(b0 >> 5) & 1}{(b0 >> 4) & 1}"
        key = header[-4:].hex() if b1 & 0x80 else None
        title = f"Frame {i + 1} of {len(specs)}" if len(specs) > 1 else "Frame"
        lines.append(
            f"{title}: FIN={b0 >> 7} RSV={rsv} opcode=0x{b0 & 0xF:X} {opcode_name(b0)}"
            f"  MASK={b1 >> 7} length={declared} ({form}-bit)" + (f"  key={key}" if key else "")
        )
        lines.append(f"  header  ({len(header):>2} B): {header.hex(' ')}")
        shown = wire[:limit].hex(" ")
        more = f" … (+{len(wire) - limit} B)" if len(wire) > limit else ""
        label = "masked payload" if key else "payload"
        lines.append(f"  {label} ({len(wire)} B): {shown or '(empty)'}{more}")
    lines.append(f"Total on the wire: {total} bytes")
    return "\n".join(lines)


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    kind: str
    label: str
    action: Callable[[], bool]


def _scrolled(page: QWidget) -> QScrollArea:
    """``page`` in a frameless scroll area, so its many controls do not force a
    minimum size on the whole window."""
    area = QScrollArea()
    area.setObjectName(page.objectName() + "Scroll" if page.objectName() else "composeScroll")
    area.setWidgetResizable(True)
    area.setFrameShape(QScrollArea.Shape.NoFrame)
    area.setWidget(page)
    return area


def _bytes_count(n: int) -> str:
    return f"{n} byte" if n == 1 else f"{n} bytes"


class ComposePane(QWidget):
    """Send anything, valid or not, through a :class:`SessionController`.

    ``sent(label)`` is emitted after each successful send.
    """

    sent = Signal(str)

    TAB_TEXT, TAB_BINARY, TAB_CONTROL, TAB_CLOSE, TAB_FRAME, TAB_RAW = range(6)

    def __init__(self, session: SessionController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("composePane")
        self.setAccessibleName("Compose")
        self.session = session
        self._file_data: tuple[str, bytes] | None = None
        self._file_dialog: QFileDialog | None = None

        self.tabs = QTabWidget(self)
        _named(self.tabs, "composeTabs", "Message kind")
        self.tabs.setDocumentMode(True)
        self.tabs.addTab(self._build_text_tab(), "Text")
        self.tabs.addTab(self._build_binary_tab(), "Binary")
        self.tabs.addTab(self._build_control_tab(), "Ping / Pong")
        self.tabs.addTab(self._build_close_tab(), "Close")
        self.tabs.addTab(_scrolled(self._build_frame_tab()), "Frame (advanced)")
        self.tabs.addTab(self._build_raw_tab(), "Raw bytes")
        self.tabs.currentChanged.connect(self._update_send)

        self.send_button = QPushButton("Send", self)
        _named(self.send_button, "sendButton", "Send")
        self.send_button.setToolTip("Send (Ctrl+Enter)")
        self.send_button.setAutoDefault(False)
        self.send_button.clicked.connect(self.send_current)
        self.status_label = QLabel(self)
        _named(self.status_label, "composeStatus", "Send status")
        self.status_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.status_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)

        left = QWidget(self)
        lv = QVBoxLayout(left)
        lv.setContentsMargins(0, 0, 0, 0)
        lv.setSpacing(4)
        lv.addWidget(self.tabs, 1)
        row = QHBoxLayout()
        row.addWidget(self.status_label, 1)
        self.repeat = RepeatControl(session, self._entry_for_current, self)
        row.addWidget(self.repeat)
        row.addWidget(self.send_button)
        lv.addLayout(row)

        history_box = QGroupBox("Sent", self)
        history_box.setObjectName("historyBox")
        hv = QVBoxLayout(history_box)
        hv.setContentsMargins(4, 4, 4, 4)
        self.history_list = QListWidget(history_box)
        _named(self.history_list, "historyList", "Sent history")
        self.history_list.setToolTip("Double-click to send again")
        self.history_list.setFont(theme.monospace_font(-1))
        self.history_list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.history_list.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.history_list.itemDoubleClicked.connect(self._resend_item)
        self.history_list.currentRowChanged.connect(lambda _: self._update_history_buttons())
        hv.addWidget(self.history_list, 1)
        hrow = QHBoxLayout()
        self.resend_button = QPushButton("Resend", history_box)
        _named(self.resend_button, "resendButton", "Resend")
        self.resend_button.clicked.connect(self.resend_selected)
        self.clear_history_button = QPushButton("Clear", history_box)
        _named(self.clear_history_button, "clearHistoryButton", "Clear history")
        self.clear_history_button.clicked.connect(self.history_list.clear)
        self.clear_history_button.clicked.connect(self._update_history_buttons)
        hrow.addWidget(self.resend_button)
        hrow.addWidget(self.clear_history_button)
        hrow.addStretch(1)
        hv.addLayout(hrow)

        splitter = QSplitter(Qt.Orientation.Horizontal, self)
        splitter.setObjectName("composeSplitter")
        splitter.addWidget(left)
        splitter.addWidget(history_box)
        splitter.setStretchFactor(0, 4)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([900, 260])
        splitter.setChildrenCollapsible(False)
        self.splitter = splitter
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 2, 4, 4)
        layout.addWidget(splitter)

        for keys in ("Ctrl+Return", "Ctrl+Enter"):
            sc = QShortcut(QKeySequence(keys), self)
            sc.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            sc.activated.connect(self.send_current)

        # Also catch Ctrl+Enter on the editors themselves: a QShortcut fires only in
        # the active window, a key event filter wherever the key press arrives.
        for editor in (
            self.text_edit,
            self.binary_edit,
            self.control_payload,
            self.close_reason,
            self.frame_payload,
            self.raw_edit,
        ):
            editor.installEventFilter(self)

        session.stateChanged.connect(self._on_state)
        session.errorOccurred.connect(self._on_error)
        self._update_text_info()
        self._update_binary_info()
        self._update_control_info()
        self._update_close_info()
        self._update_frame_preview()
        self._update_raw_info()
        self._update_history_buttons()
        self._update_send()

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange:  # light <-> dark: colour again
            for label in self.findChildren(QLabel):
                level = label.property("level")
                if level:
                    self._show(label, label.text(), str(level))

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.KeyPress and isinstance(event, QKeyEvent):
            ctrl = event.modifiers() & Qt.KeyboardModifier.ControlModifier
            if ctrl and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
                self.send_current()
                return True
        return super().eventFilter(watched, event)

    # ------------------------------------------------------------- building
    def _info_label(self, name: str, accessible: str) -> QLabel:
        label = QLabel(self)
        _named(label, name, accessible)
        label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        label.setWordWrap(True)
        return label

    def _build_text_tab(self) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.setContentsMargins(4, 4, 4, 0)
        self.text_edit = QPlainTextEdit(page)
        _named(self.text_edit, "textEdit", "Text message")
        self.text_edit.setPlaceholderText(
            'Type a text message, e.g. {"type": "ping"} — Ctrl+Enter sends'
        )
        self.text_edit.setTabChangesFocus(True)
        self.text_edit.textChanged.connect(self._update_text_info)
        layout.addWidget(self.text_edit, 1)
        row = QHBoxLayout()
        row.addWidget(QLabel("Fragments:"))
        self.text_fragments = QSpinBox(page)
        _named(self.text_fragments, "textFragments", "Text fragments")
        self.text_fragments.setRange(1, 1000)
        self.text_fragments.setToolTip("Split the message into this many frames (RFC 6455 §5.4)")
        self.text_fragments.valueChanged.connect(self._update_text_info)
        row.addWidget(self.text_fragments)
        self.text_compress = QCheckBox("Compress", page)
        _named(self.text_compress, "textCompress", "Compress text message")
        self.text_compress.setChecked(True)
        self.text_compress.setToolTip("Use permessage-deflate when it was negotiated")
        row.addWidget(self.text_compress)
        self.format_json_button = QPushButton("Format JSON", page)
        _named(self.format_json_button, "formatJsonButton", "Format JSON")
        self.format_json_button.clicked.connect(self._format_json)
        row.addWidget(self.format_json_button)
        self.text_info = self._info_label("textInfo", "Text message size")
        row.addWidget(self.text_info, 1)
        layout.addLayout(row)
        return page

    def _build_binary_tab(self) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.setContentsMargins(4, 4, 4, 0)
        self.binary_edit = QPlainTextEdit(page)
        _named(self.binary_edit, "binaryEdit", "Binary message")
        self.binary_edit.setPlaceholderText("de ad be ef 00 01 …   (hex; or choose Base64)")
        self.binary_edit.setFont(theme.monospace_font())
        self.binary_edit.setTabChangesFocus(True)
        self.binary_edit.textChanged.connect(self._update_binary_info)
        layout.addWidget(self.binary_edit, 1)
        row = QHBoxLayout()
        self.binary_format = QComboBox(page)
        _named(self.binary_format, "binaryFormat", "Binary input format")
        self.binary_format.addItems(["Hex", "Base64"])
        self.binary_format.currentIndexChanged.connect(self._update_binary_info)
        row.addWidget(self.binary_format)
        self.load_file_button = QPushButton("Load file…", page)
        _named(self.load_file_button, "loadFileButton", "Load binary from file")
        self.load_file_button.clicked.connect(self._browse_file)
        row.addWidget(self.load_file_button)
        self.clear_file_button = QPushButton("Clear file", page)
        _named(self.clear_file_button, "clearFileButton", "Clear loaded file")
        self.clear_file_button.clicked.connect(self.clear_binary_file)
        self.clear_file_button.hide()
        row.addWidget(self.clear_file_button)
        row.addWidget(QLabel("Fragments:"))
        self.binary_fragments = QSpinBox(page)
        _named(self.binary_fragments, "binaryFragments", "Binary fragments")
        self.binary_fragments.setRange(1, 1000)
        row.addWidget(self.binary_fragments)
        self.binary_info = self._info_label("binaryInfo", "Binary message size")
        row.addWidget(self.binary_info, 1)
        layout.addLayout(row)
        return page

    def _build_control_tab(self) -> QWidget:
        page = QWidget()
        layout = QGridLayout(page)
        layout.setContentsMargins(4, 8, 4, 0)
        self.ping_radio = QRadioButton("&Ping", page)
        _named(self.ping_radio, "pingRadio", "Ping")
        self.pong_radio = QRadioButton("P&ong (unsolicited)", page)
        _named(self.pong_radio, "pongRadio", "Pong")
        self.ping_radio.setChecked(True)
        group = QButtonGroup(page)
        group.addButton(self.ping_radio)
        group.addButton(self.pong_radio)
        group.buttonToggled.connect(lambda *_: self._update_send())
        kinds = QHBoxLayout()
        kinds.addWidget(self.ping_radio)
        kinds.addWidget(self.pong_radio)
        kinds.addStretch(1)
        layout.addLayout(kinds, 0, 0, 1, 3)
        layout.addWidget(QLabel("Payload:"), 1, 0)
        self.control_payload = QLineEdit(page)
        _named(self.control_payload, "controlPayload", "Ping or pong payload")
        self.control_payload.setPlaceholderText("(empty)  up to 125 bytes")
        self.control_payload.textChanged.connect(self._update_control_info)
        layout.addWidget(self.control_payload, 1, 1)
        self.control_format = QComboBox(page)
        _named(self.control_format, "controlFormat", "Ping payload format")
        self.control_format.addItems(["Text", "Hex"])
        self.control_format.currentIndexChanged.connect(self._update_control_info)
        layout.addWidget(self.control_format, 1, 2)
        self.control_info = self._info_label("controlInfo", "Ping payload size")
        layout.addWidget(self.control_info, 2, 1, 1, 2)
        hint = QLabel(
            "A ping's payload comes back in the pong; the round-trip time shows in the status bar."
        )
        hint.setWordWrap(True)
        self._show(hint, hint.text(), "muted")
        layout.addWidget(hint, 3, 0, 1, 3)
        layout.setRowStretch(4, 1)
        layout.setColumnStretch(1, 1)
        return page

    def _build_close_tab(self) -> QWidget:
        page = QWidget()
        layout = QGridLayout(page)
        layout.setContentsMargins(4, 8, 4, 0)
        layout.addWidget(QLabel("Code:"), 0, 0)
        self.close_code = QComboBox(page)
        _named(self.close_code, "closeCode", "Close code")
        self.close_code.setEditable(True)
        self.close_code.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        for code, name in CLOSE_CODES:
            self.close_code.addItem(f"{code} {name}" if code is not None else name, code)
        self.close_code.setCurrentIndex(0)
        self.close_code.currentTextChanged.connect(self._update_close_info)
        self.close_code.setMinimumContentsLength(28)
        layout.addWidget(self.close_code, 0, 1)
        self.close_meaning = self._info_label("closeMeaning", "Close code meaning")
        layout.addWidget(self.close_meaning, 1, 1, 1, 2)
        layout.addWidget(QLabel("Reason:"), 2, 0)
        self.close_reason = QLineEdit(page)
        _named(self.close_reason, "closeReason", "Close reason")
        self.close_reason.setPlaceholderText("(optional) UTF-8 text, at most 123 bytes")
        self.close_reason.textChanged.connect(self._update_close_info)
        layout.addWidget(self.close_reason, 2, 1)
        self.close_counter = self._info_label("closeCounter", "Close reason size")
        self.close_counter.setWordWrap(False)
        layout.addWidget(self.close_counter, 2, 2)
        self.close_warning = self._info_label("closeWarning", "Close warning")
        layout.addWidget(self.close_warning, 3, 1, 1, 2)
        layout.setRowStretch(4, 1)
        layout.setColumnStretch(1, 1)
        return page

    def _build_frame_tab(self) -> QWidget:
        page = QWidget()
        outer = QVBoxLayout(page)
        outer.setContentsMargins(4, 4, 4, 0)
        outer.setSpacing(3)
        row1 = QHBoxLayout()
        self.fin_check = QCheckBox("FIN", page)
        _named(self.fin_check, "finCheck", "FIN bit")
        self.fin_check.setChecked(True)
        self.rsv_checks: list[QCheckBox] = []
        row1.addWidget(self.fin_check)
        for i in (1, 2, 3):
            box = QCheckBox(f"RSV{i}", page)
            _named(box, f"rsv{i}Check", f"RSV{i} bit")
            self.rsv_checks.append(box)
            row1.addWidget(box)
        row1.addSpacing(8)
        row1.addWidget(QLabel("Opcode:"))
        self.opcode_combo = QComboBox(page)
        _named(self.opcode_combo, "opcodeCombo", "Opcode")
        for op in range(16):
            name = opcode_name(op)
            suffix = " (reserved)" if name.startswith("RESERVED") else ""
            label = f"0x{op:X} {name.removeprefix('RESERVED_') if suffix else name}{suffix}"
            self.opcode_combo.addItem(label, op)
        self.opcode_combo.setCurrentIndex(1)
        row1.addWidget(self.opcode_combo)
        row1.addSpacing(8)
        row1.addWidget(QLabel("Split into"))
        self.frame_fragments = QSpinBox(page)
        _named(self.frame_fragments, "frameFragments", "Number of fragments")
        self.frame_fragments.setRange(1, 256)
        self.frame_fragments.setSuffix(" frame(s)")
        self.frame_fragments.setToolTip(
            "Send the payload as N frames: the first with the opcode and RSV bits, the "
            "rest as CONT; FIN on the last one only (if FIN is checked)"
        )
        row1.addWidget(self.frame_fragments)
        row1.addStretch(1)
        outer.addLayout(row1)

        row2 = QHBoxLayout()
        self.mask_check = QCheckBox("Mask, key:", page)
        _named(self.mask_check, "maskCheck", "Mask the payload")
        self.mask_check.setChecked(True)
        self.mask_check.setToolTip("A client must mask every frame (RFC 6455 §5.3)")
        row2.addWidget(self.mask_check)
        self.mask_key_edit = QLineEdit(page)
        _named(self.mask_key_edit, "maskKeyEdit", "Masking key in hex")
        self.mask_key_edit.setFont(theme.monospace_font())
        self.mask_key_edit.setMaxLength(16)
        self.mask_key_edit.setFixedWidth(110)
        self.mask_key_edit.setText(os.urandom(4).hex())
        row2.addWidget(self.mask_key_edit)
        self.random_key_button = QPushButton("Random", page)
        _named(self.random_key_button, "randomKeyButton", "New random masking key")
        self.random_key_button.clicked.connect(
            lambda: self.mask_key_edit.setText(os.urandom(4).hex())
        )
        row2.addWidget(self.random_key_button)
        row2.addSpacing(8)
        row2.addWidget(QLabel("Length form:"))
        self.length_form_combo = QComboBox(page)
        _named(self.length_form_combo, "lengthFormCombo", "Length form")
        self.length_form_combo.addItem("minimal", None)
        self.length_form_combo.addItem("7-bit", LengthForm.SHORT)
        self.length_form_combo.addItem("16-bit (126)", LengthForm.MEDIUM)
        self.length_form_combo.addItem("64-bit (127)", LengthForm.LONG)
        row2.addWidget(self.length_form_combo)
        row2.addSpacing(8)
        self.declared_check = QCheckBox("Declare length:", page)
        _named(self.declared_check, "declaredLengthCheck", "Override the declared length")
        self.declared_check.setToolTip(
            "Put a different length in the header than the payload has (a lie to the peer)"
        )
        row2.addWidget(self.declared_check)
        self.declared_edit = QLineEdit(page)
        _named(self.declared_edit, "declaredLengthEdit", "Declared length")
        self.declared_edit.setFixedWidth(120)
        self.declared_edit.setPlaceholderText("bytes")
        row2.addWidget(self.declared_edit)
        row2.addStretch(1)
        outer.addLayout(row2)

        split = QSplitter(Qt.Orientation.Horizontal, page)
        split.setObjectName("frameSplitter")
        payload_box = QWidget()
        pv = QVBoxLayout(payload_box)
        pv.setContentsMargins(0, 0, 0, 0)
        prow = QHBoxLayout()
        prow.addWidget(QLabel("Payload (before masking):"))
        self.frame_payload_format = QComboBox(page)
        _named(self.frame_payload_format, "framePayloadFormat", "Frame payload format")
        self.frame_payload_format.addItems(["Text (UTF-8)", "Hex"])
        prow.addWidget(self.frame_payload_format)
        prow.addStretch(1)
        pv.addLayout(prow)
        self.frame_payload = QPlainTextEdit(page)
        _named(self.frame_payload, "framePayloadEdit", "Frame payload")
        self.frame_payload.setPlaceholderText("payload of the frame (before masking)")
        self.frame_payload.setTabChangesFocus(True)
        pv.addWidget(self.frame_payload, 1)
        split.addWidget(payload_box)
        self.frame_preview = QPlainTextEdit(page)
        _named(self.frame_preview, "framePreview", "Bytes that will be sent")
        self.frame_preview.setReadOnly(True)
        self.frame_preview.setFont(theme.monospace_font(-1))
        self.frame_preview.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        preview_box = QWidget()
        rv = QVBoxLayout(preview_box)
        rv.setContentsMargins(0, 0, 0, 0)
        rv.setSpacing(2)
        self.frame_error = self._info_label("frameError", "Frame problem")
        rv.addWidget(self.frame_error)
        rv.addWidget(self.frame_preview, 1)
        split.addWidget(preview_box)
        split.setStretchFactor(0, 2)
        split.setStretchFactor(1, 3)
        outer.addWidget(split, 1)

        for box in (self.fin_check, self.mask_check, self.declared_check, *self.rsv_checks):
            box.toggled.connect(self._update_frame_preview)
        for combo in (self.opcode_combo, self.length_form_combo, self.frame_payload_format):
            combo.currentIndexChanged.connect(self._update_frame_preview)
        self.frame_fragments.valueChanged.connect(self._update_frame_preview)
        self.mask_key_edit.textChanged.connect(self._update_frame_preview)
        self.declared_edit.textChanged.connect(self._update_frame_preview)
        self.frame_payload.textChanged.connect(self._update_frame_preview)
        return page

    def _build_raw_tab(self) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.setContentsMargins(4, 4, 4, 0)
        self.raw_edit = QPlainTextEdit(page)
        _named(self.raw_edit, "rawEdit", "Raw bytes in hex")
        self.raw_edit.setFont(theme.monospace_font())
        self.raw_edit.setPlaceholderText(
            "Bytes written to the socket as they are, no framing: e.g. 81 05 48 65 6c 6c 6f "
            "(an unmasked TEXT frame)"
        )
        self.raw_edit.setTabChangesFocus(True)
        self.raw_edit.textChanged.connect(self._update_raw_info)
        layout.addWidget(self.raw_edit, 1)
        self.raw_info = self._info_label("rawInfo", "Raw bytes size")
        layout.addWidget(self.raw_info)
        return page

    # --------------------------------------------------------------- values
    def _show(self, label: QLabel, text: str, level: str = "") -> None:
        """Show ``text`` in ``label``: level "" normal, "muted", "warn" or "error"."""
        t = theme.current()
        color = {
            "": "",
            "muted": t.muted.name(),
            "warn": t.control.name(),
            "error": t.violation.name(),
        }[level]
        label.setText(text)
        label.setProperty("level", level)
        label.setStyleSheet(f"color: {color};" if color else "")

    def binary_payload(self) -> bytes:
        """The bytes of the Binary tab; raises ValueError when they do not parse."""
        if self._file_data is not None:
            return self._file_data[1]
        text = self.binary_edit.toPlainText()
        if self.binary_format.currentIndex() == 1:
            return parse_base64(text)
        return parse_hex(text)

    def control_payload_bytes(self) -> bytes:
        text = self.control_payload.text()
        if self.control_format.currentIndex() == 1:
            return parse_hex(text)
        return text.encode("utf-8")

    def close_code_value(self) -> int | None:
        """The code typed or picked; None for "no code". Raises ValueError."""
        text = self.close_code.currentText().strip()
        index = self.close_code.findText(text)
        if index >= 0:
            data = self.close_code.itemData(index)
            return int(data) if data is not None else None
        m = re.match(r"\s*(\d+)", text)
        if not m:
            if not text or text.startswith("("):
                return None
            raise ValueError(f"{text!r} is not a close code: type a number such as 1000")
        code = int(m.group(1))
        if code > 0xFFFF:
            raise ValueError(f"{code} does not fit in the 2-byte close code field")
        return code

    def crafted_specs(self) -> list[FrameSpec]:
        """The frames the Frame tab describes; raises ValueError saying what is wrong."""
        text = self.frame_payload.toPlainText()
        if self.frame_payload_format.currentIndex() == 1:
            payload = parse_hex(text)
        else:
            payload = text.encode("utf-8")
        key: bytes | None = None
        masked = self.mask_check.isChecked()
        if masked:
            key_text = self.mask_key_edit.text()
            try:
                key = parse_hex(key_text)
            except ValueError as exc:
                raise ValueError(f"masking key: {exc}") from None
            if len(key) != 4:
                raise ValueError(
                    f"the masking key is 4 bytes (8 hex digits); {len(key)} given — "
                    "press Random for a fresh one"
                )
        declared: int | None = None
        if self.declared_check.isChecked():
            dtext = self.declared_edit.text().strip().replace("_", "").replace(",", "")
            if not dtext:
                raise ValueError("type the length to declare, or uncheck “Declare length”")
            try:
                declared = int(dtext, 0)
            except ValueError:
                raise ValueError(f"declared length {dtext!r} is not a number") from None
        form = self.length_form_combo.currentData()
        opcode = int(self.opcode_combo.currentData())
        rsv = [box.isChecked() for box in self.rsv_checks]
        n = self.frame_fragments.value()
        if n > 1 and declared is not None:
            raise ValueError("declare a length only for a single frame (Split into 1)")
        parts = split_payload(payload, n)
        specs = []
        for i, part in enumerate(parts):
            last = i == len(parts) - 1
            specs.append(
                FrameSpec(
                    opcode=opcode if i == 0 else 0,
                    payload=part,
                    fin=self.fin_check.isChecked() if last else False,
                    rsv1=rsv[0] if i == 0 else False,
                    rsv2=rsv[1] if i == 0 else False,
                    rsv3=rsv[2] if i == 0 else False,
                    mask=masked,
                    mask_key=key,
                    length_form=form,
                    declared_length=declared,
                )
            )
        return specs

    def preview_bytes(self) -> bytes:
        """Exactly the bytes the Frame tab would send (header + masked payload of each)."""
        out = bytearray()
        for spec in self.crafted_specs():
            header, wire = encode_frame(spec, Role.CLIENT)
            out += header + wire
        return bytes(out)

    # --------------------------------------------------------- live updates
    def _update_text_info(self) -> None:
        text = self.text_edit.toPlainText()
        size = len(text.encode("utf-8", "surrogatepass"))
        parts = [f"{_bytes_count(size)} UTF-8"]
        n = self.text_fragments.value()
        if n > 1:
            parts.append(f"in {min(n, max(size, 1))} frames")
        stripped = text.strip()
        if stripped[:1] in ("{", "["):
            import json

            try:
                json.loads(stripped)
                parts.append("valid JSON")
            except ValueError as exc:
                parts.append(f"not valid JSON ({exc})")
        self._show(self.text_info, " · ".join(parts), "muted")
        self._update_send()

    def _format_json(self) -> None:
        import json

        text = self.text_edit.toPlainText()
        try:
            value = json.loads(text)
        except ValueError as exc:
            self._show(self.text_info, f"not valid JSON: {exc}", "error")
            return
        self.text_edit.setPlainText(json.dumps(value, indent=2, ensure_ascii=False))

    def _update_binary_info(self) -> None:
        if self._file_data is not None:
            name, data = self._file_data
            self._show(self.binary_info, f"{_bytes_count(len(data))} from {name}", "muted")
        else:
            try:
                data = self.binary_payload()
            except ValueError as exc:
                self._show(self.binary_info, str(exc), "error")
            else:
                self._show(self.binary_info, _bytes_count(len(data)), "muted")
        self._update_send()

    def _update_control_info(self) -> None:
        try:
            data = self.control_payload_bytes()
        except ValueError as exc:
            self._show(self.control_info, str(exc), "error")
        else:
            if len(data) > CONTROL_PAYLOAD_LIMIT:
                self._show(
                    self.control_info,
                    f"{len(data)} / {CONTROL_PAYLOAD_LIMIT} bytes: a control frame's payload "
                    "is at most 125 bytes (§5.5); use the Frame tab to send it anyway",
                    "error",
                )
            else:
                self._show(
                    self.control_info, f"{len(data)} / {CONTROL_PAYLOAD_LIMIT} bytes", "muted"
                )
        self._update_send()

    def reason_bytes(self) -> int:
        return len(self.close_reason.text().encode("utf-8", "surrogatepass"))

    def _update_close_info(self) -> None:
        n = self.reason_bytes()
        over = n > CLOSE_REASON_LIMIT
        self._show(
            self.close_counter, f"{n} / {CLOSE_REASON_LIMIT} bytes", "error" if over else "muted"
        )
        warnings: list[str] = []
        level = "warn"
        try:
            code = self.close_code_value()
        except ValueError as exc:
            self._show(self.close_meaning, str(exc), "error")
            code = None
            warnings.append("fix the close code")
            level = "error"
        else:
            if code is None:
                self._show(
                    self.close_meaning,
                    "An empty close frame: the peer sees 1005 (no status received).",
                    "muted",
                )
                if self.close_reason.text():
                    warnings.append("a reason needs a code; choose a code or clear the reason")
                    level = "error"
            else:
                self._show(self.close_meaning, close_code_meaning(code), "muted")
                if not is_valid_close_code(code):
                    warnings.append(
                        f"{code} may not be sent on the wire (RFC 6455 §7.4): the peer "
                        "should fail the connection with 1002"
                    )
        if over:
            warnings.insert(
                0,
                f"the reason is {n - CLOSE_REASON_LIMIT} byte(s) too long: a close frame's "
                "payload is at most 125 bytes, 2 for the code and 123 for the reason "
                "(§5.5.1); use the Frame tab to send it anyway",
            )
            level = "error"
        self._show(self.close_warning, "⚠ " + "; ".join(warnings) if warnings else "", level)
        self.close_warning.setVisible(bool(warnings))
        self._update_send()

    def _update_frame_preview(self) -> None:
        self.mask_key_edit.setEnabled(self.mask_check.isChecked())
        self.random_key_button.setEnabled(self.mask_check.isChecked())
        self.declared_edit.setEnabled(self.declared_check.isChecked())
        try:
            specs = self.crafted_specs()
            preview = _preview_lines(specs)
        except ValueError as exc:
            self.frame_preview.setPlainText("")
            self._show(self.frame_error, str(exc), "error")
        else:
            self.frame_preview.setPlainText(preview)
            notes = self._frame_notes(specs)
            self._show(self.frame_error, notes, "warn" if notes else "")
        self._update_send()

    def _frame_notes(self, specs: list[FrameSpec]) -> str:
        """Rules the crafted frame breaks, so nobody sends a broken frame by accident."""
        first = specs[0]
        notes = []
        if first.opcode in range(3, 8) or first.opcode in range(0xB, 0x10):
            notes.append("reserved opcode")
        if not first.mask:
            notes.append("unmasked (a client must mask)")
        if first.rsv2 or first.rsv3 or (first.rsv1 and not self.session.deflate_negotiated):
            notes.append("RSV bit without an extension")
        if first.opcode >= 8 and (len(specs) > 1 or not specs[-1].fin):
            notes.append("fragmented control frame")
        if first.opcode >= 8 and any(len(s.payload) > 125 for s in specs):
            notes.append("control payload over 125 bytes")
        if first.declared_length is not None and first.declared_length != len(first.payload):
            notes.append("declared length differs from the payload")
        if first.length_form is not None and first.length_form != LengthForm.minimal(
            first.declared_length if first.declared_length is not None else len(first.payload)
        ):
            notes.append("non-minimal length form")
        if first.opcode == 0:
            notes.append("continuation with no message to continue, unless one is open")
        return ("⚠ breaks the rules: " + ", ".join(notes)) if notes else ""

    def _update_raw_info(self) -> None:
        try:
            data = parse_hex(self.raw_edit.toPlainText())
        except ValueError as exc:
            self._show(self.raw_info, str(exc), "error")
        else:
            self._show(
                self.raw_info,
                f"{_bytes_count(len(data))}, written to the socket without framing",
                "muted",
            )
        self._update_send()

    def _current_valid(self) -> bool:
        tab = self.tabs.currentIndex()
        try:
            if tab == self.TAB_BINARY:
                self.binary_payload()
            elif tab == self.TAB_CONTROL:
                return len(self.control_payload_bytes()) <= CONTROL_PAYLOAD_LIMIT
            elif tab == self.TAB_CLOSE:
                code = self.close_code_value()
                if code is None and self.close_reason.text():
                    return False
                return self.reason_bytes() <= CLOSE_REASON_LIMIT
            elif tab == self.TAB_FRAME:
                self.crafted_specs()
            elif tab == self.TAB_RAW:
                return bool(parse_hex(self.raw_edit.toPlainText()))
        except ValueError:
            return False
        return True

    def _update_send(self, *_: object) -> None:
        if not hasattr(self, "send_button"):
            return  # still building
        tab = self.tabs.currentIndex()
        label = {
            self.TAB_TEXT: "Send text",
            self.TAB_BINARY: "Send binary",
            self.TAB_CONTROL: "Send pong" if self.pong_radio.isChecked() else "Send ping",
            self.TAB_CLOSE: "Send close",
            self.TAB_FRAME: "Send frame",
            self.TAB_RAW: "Send bytes",
        }.get(tab, "Send")
        if tab == self.TAB_FRAME and self.frame_fragments.value() > 1:
            label = "Send frames"
        self.send_button.setText(label)
        connected = self.session.can_send_frames
        self.send_button.setEnabled(connected and self._current_valid())
        self.send_button.setToolTip(
            f"{label} (Ctrl+Enter)" if connected else "Connect first: nothing to send on"
        )

    def _on_state(self, event: StateChanged) -> None:
        self._update_send()
        if event.state is ConnectionState.OPEN:
            self.text_compress.setEnabled(self.session.deflate_negotiated)
            self._update_frame_preview()

    def _on_error(self, step: str, message: str, fatal: bool) -> None:
        if step == "send":
            self._show(self.status_label, message, "error")

    # -------------------------------------------------------------- binary
    def _browse_file(self) -> None:
        dialog = QFileDialog(self, "Send a file as a binary message")
        dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.fileSelected.connect(self.load_binary_file)
        self._file_dialog = dialog
        dialog.open()

    def load_binary_file(self, path: str) -> None:
        try:
            data = Path(path).read_bytes()
        except OSError as exc:
            self._show(self.binary_info, f"cannot read {path}: {exc.strerror or exc}", "error")
            return
        name = Path(path).name
        self.binary_format.setCurrentIndex(0)
        if len(data) <= EDITABLE_FILE_LIMIT:
            self._file_data = None
            self.binary_edit.setReadOnly(False)
            self.binary_edit.setPlainText(format_hex(data))
            self._show(self.binary_info, f"{_bytes_count(len(data))} from {name}", "muted")
        else:
            self._file_data = (name, data)
            self.binary_edit.setPlainText(
                format_hex(data[:1024]) + f"\n… ({len(data) - 1024} more bytes of {name})"
            )
            self.binary_edit.setReadOnly(True)
            self.clear_file_button.show()
            self._update_binary_info()
        self._update_send()

    def clear_binary_file(self) -> None:
        self._file_data = None
        self.binary_edit.setReadOnly(False)
        self.binary_edit.clear()
        self.clear_file_button.hide()
        self._update_binary_info()

    # ---------------------------------------------------------------- send
    def _compress(self) -> bool | None:
        return None if self.text_compress.isChecked() else False

    def _entry_for_current(self) -> HistoryEntry:
        """What the current tab would send, as a history entry; raises ValueError."""
        s = self.session
        tab = self.tabs.currentIndex()
        if tab == self.TAB_TEXT:
            text = self.text_edit.toPlainText()
            n = self.text_fragments.value()
            compress = self._compress()
            one_line = " ".join(text.split())
            short = one_line if len(one_line) <= 60 else one_line[:57] + "…"
            frag = f" ×{n}" if n > 1 else ""
            return HistoryEntry(
                "text",
                f"TEXT{frag}  {short!r}",
                lambda: s.send_text(text, fragments=n, compress=compress),
            )
        if tab == self.TAB_BINARY:
            data = self.binary_payload()
            n = self.binary_fragments.value()
            frag = f" ×{n}" if n > 1 else ""
            shown = data[:12].hex(" ") + (" …" if len(data) > 12 else "")
            return HistoryEntry(
                "binary",
                f"BINARY{frag}  {len(data)} B  {shown}",
                lambda: s.send_binary(data, fragments=n),
            )
        if tab == self.TAB_CONTROL:
            payload = self.control_payload_bytes()
            if len(payload) > CONTROL_PAYLOAD_LIMIT:
                raise ValueError("the payload is over 125 bytes")
            shown = payload.decode("utf-8", "replace")
            if self.pong_radio.isChecked():
                return HistoryEntry("pong", f"PONG  {shown!r}", lambda: s.send_pong(payload))
            return HistoryEntry("ping", f"PING  {shown!r}", lambda: s.send_ping(payload))
        if tab == self.TAB_CLOSE:
            code = self.close_code_value()
            reason = self.close_reason.text()
            if self.reason_bytes() > CLOSE_REASON_LIMIT:
                raise ValueError("the close reason is over 123 bytes")
            label = f"CLOSE  {code if code is not None else '(no code)'}"
            if reason:
                label += f"  {reason!r}"
            return HistoryEntry("close", label, lambda: s.send_close(code, reason))
        if tab == self.TAB_FRAME:
            specs = self.crafted_specs()
            first = specs[0]
            bits = "F" if specs[-1].fin else "-"
            bits += "".join("1" if b else "-" for b in (first.rsv1, first.rsv2, first.rsv3))
            size = sum(len(sp.payload) for sp in specs)
            count = f" ×{len(specs)}" if len(specs) > 1 else ""
            return HistoryEntry(
                "frame",
                f"FRAME{count}  0x{first.opcode:X} {opcode_name(first.opcode)} {bits}  {size} B",
                lambda: s.send_frames(specs),
            )
        data = parse_hex(self.raw_edit.toPlainText())
        shown = data[:12].hex(" ") + (" …" if len(data) > 12 else "")
        return HistoryEntry("raw", f"RAW  {len(data)} B  {shown}", lambda: s.send_raw(data))

    def send_current(self) -> bool:
        """Send what the current tab holds (Ctrl+Enter). True when it was sent."""
        if not self.send_button.isEnabled():
            if not self.session.can_send_frames:
                self._show(self.status_label, "Not connected: connect first.", "error")
            return False
        try:
            entry = self._entry_for_current()
        except ValueError as exc:
            self._show(self.status_label, str(exc), "error")
            return False
        return self._run(entry)

    def send_entry(self, kind: str, label: str, action: Callable[[], bool]) -> bool:
        """Run ``action`` (a send through the controller) and, when it succeeds, list
        it in the history under ``label`` so it can be sent again."""
        return self._run(HistoryEntry(kind, label, action))

    def _run(self, entry: HistoryEntry) -> bool:
        if not entry.action():
            return False
        self._show(self.status_label, f"Sent {entry.label}", "muted")
        item = QListWidgetItem(entry.label)
        item.setData(Qt.ItemDataRole.UserRole, entry)
        item.setToolTip(entry.label)
        self.history_list.insertItem(0, item)
        while self.history_list.count() > HISTORY_MAX:
            self.history_list.takeItem(self.history_list.count() - 1)
        self.history_list.setCurrentRow(0)
        self._update_history_buttons()
        self.sent.emit(entry.label)
        if entry.kind == "close":
            self._update_send()
        return True

    def _resend_item(self, item: QListWidgetItem) -> None:
        entry = item.data(Qt.ItemDataRole.UserRole)
        if isinstance(entry, HistoryEntry):
            self._run(entry)

    def resend_selected(self) -> bool:
        item = self.history_list.currentItem()
        if item is None:
            return False
        entry = item.data(Qt.ItemDataRole.UserRole)
        return isinstance(entry, HistoryEntry) and self._run(entry)

    def _update_history_buttons(self) -> None:
        has = self.history_list.currentItem() is not None
        self.resend_button.setEnabled(has)
        self.clear_history_button.setEnabled(self.history_list.count() > 0)
