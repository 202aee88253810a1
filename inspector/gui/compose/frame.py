"""The Frame tab: one frame written field by field, valid or not, or split into N.

Every bit is the user's: FIN, RSV1-3, any of the 16 opcodes, masking on or off, the
masking key, the length form and a declared length that may lie. Split into N
frames, each frame gets its own masking key (RFC 6455 §5.3): the first is the one in
the key box, the others are drawn once and kept, so that the byte preview shows
exactly what Send puts on the wire.
"""

from __future__ import annotations

import os

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from ...protocol.constants import Role, opcode_name
from ...protocol.crafting import (
    CraftedFrame,
    crafted_specs,
    fragment_keys,
    parse_declared_length,
    parse_hex,
    parse_mask_key,
    rules_broken,
    wire_bytes,
)
from ...protocol.frames import FrameSpec, LengthForm
from ..session.controller import SessionController
from ..widgets import theme
from ..widgets.naming import named
from .entries import HistoryEntry, frames_label
from .preview import BytePreview
from .tab import ComposeTab

__all__ = ["MAX_FRAME_FRAGMENTS", "FrameTab"]

MAX_FRAME_FRAGMENTS = 256


def _new_key() -> str:
    return os.urandom(4).hex()


class FrameTab(ComposeTab):
    TEXT, HEX = range(2)

    def __init__(self, session: SessionController, parent: QWidget | None = None) -> None:
        super().__init__(session, parent)
        self.setObjectName("frameTab")
        #: The masking keys of fragments 2..N, drawn once, kept for the next preview.
        self._more_keys: list[bytes] = []
        outer = QVBoxLayout(self)
        outer.setContentsMargins(4, 4, 4, 0)
        outer.setSpacing(3)
        outer.addLayout(self._bits_row())
        outer.addLayout(self._mask_row())

        split = QSplitter(Qt.Orientation.Horizontal, self)
        split.setObjectName("frameSplitter")
        payload_box = QWidget(split)
        pv = QVBoxLayout(payload_box)
        pv.setContentsMargins(0, 0, 0, 0)
        prow = QHBoxLayout()
        prow.addWidget(QLabel("Payload (before masking):", payload_box))
        self.payload_format = QComboBox(payload_box)
        named(self.payload_format, "framePayloadFormat", "Frame payload format")
        self.payload_format.addItems(["Text (UTF-8)", "Hex"])
        prow.addWidget(self.payload_format)
        prow.addStretch(1)
        pv.addLayout(prow)
        self.payload_edit = QPlainTextEdit(payload_box)
        named(self.payload_edit, "framePayloadEdit", "Frame payload")
        self.payload_edit.setPlaceholderText("payload of the frame (before masking)")
        self.payload_edit.setTabChangesFocus(True)
        pv.addWidget(self.payload_edit, 1)
        split.addWidget(payload_box)
        self.preview = BytePreview(split)
        split.addWidget(self.preview)
        split.setStretchFactor(0, 2)
        split.setStretchFactor(1, 3)
        outer.addWidget(split, 1)

        for box in (self.fin_check, self.mask_check, self.declared_check, *self.rsv_checks):
            box.toggled.connect(self._update)
        for combo in (self.opcode_combo, self.length_form_combo, self.payload_format):
            combo.currentIndexChanged.connect(self._update)
        self.fragments.valueChanged.connect(self._update)
        self.mask_key_edit.textChanged.connect(self._update)
        self.declared_edit.textChanged.connect(self._update)
        self.payload_edit.textChanged.connect(self._update)
        self._update()

    def _bits_row(self) -> QHBoxLayout:
        row = QHBoxLayout()
        self.fin_check = QCheckBox("FIN", self)
        named(self.fin_check, "finCheck", "FIN bit")
        self.fin_check.setChecked(True)
        row.addWidget(self.fin_check)
        self.rsv_checks: list[QCheckBox] = []
        for i in (1, 2, 3):
            box = QCheckBox(f"RSV{i}", self)
            named(box, f"rsv{i}Check", f"RSV{i} bit")
            self.rsv_checks.append(box)
            row.addWidget(box)
        row.addSpacing(8)
        row.addWidget(QLabel("Opcode:", self))
        self.opcode_combo = QComboBox(self)
        named(self.opcode_combo, "opcodeCombo", "Opcode")
        for op in range(16):
            name = opcode_name(op)
            if name.startswith("RESERVED"):
                name = f"{name.removeprefix('RESERVED_')} (reserved)"
            self.opcode_combo.addItem(f"0x{op:X} {name}", op)
        self.opcode_combo.setCurrentIndex(1)
        row.addWidget(self.opcode_combo)
        row.addSpacing(8)
        row.addWidget(QLabel("Split into", self))
        self.fragments = QSpinBox(self)
        named(self.fragments, "frameFragments", "Number of fragments")
        self.fragments.setRange(1, MAX_FRAME_FRAGMENTS)
        self.fragments.setSuffix(" frame(s)")
        self.fragments.setToolTip(
            "Send the payload as N frames: the first with the opcode and RSV bits, the "
            "rest as CONT; FIN on the last one only (if FIN is checked); each frame "
            "masked with its own key"
        )
        row.addWidget(self.fragments)
        row.addStretch(1)
        return row

    def _mask_row(self) -> QHBoxLayout:
        row = QHBoxLayout()
        self.mask_check = QCheckBox("Mask, key:", self)
        named(self.mask_check, "maskCheck", "Mask the payload")
        self.mask_check.setChecked(True)
        self.mask_check.setToolTip("A client must mask every frame (RFC 6455 §5.3)")
        row.addWidget(self.mask_check)
        self.mask_key_edit = QLineEdit(self)
        named(self.mask_key_edit, "maskKeyEdit", "Masking key in hex")
        self.mask_key_edit.setToolTip("The first frame's key; each further fragment gets its own")
        self.mask_key_edit.setFont(theme.monospace_font())
        self.mask_key_edit.setMaxLength(16)
        self.mask_key_edit.setFixedWidth(96)
        self.mask_key_edit.setText(_new_key())
        row.addWidget(self.mask_key_edit)
        self.random_key_button = QPushButton("Random", self)
        named(self.random_key_button, "randomKeyButton", "New random masking keys")
        self.random_key_button.clicked.connect(self.new_keys)
        row.addWidget(self.random_key_button)
        row.addSpacing(8)
        row.addWidget(QLabel("Length form:", self))
        self.length_form_combo = QComboBox(self)
        named(self.length_form_combo, "lengthFormCombo", "Length form")
        self.length_form_combo.addItem("minimal", None)
        self.length_form_combo.addItem("7-bit", LengthForm.SHORT)
        self.length_form_combo.addItem("16-bit (126)", LengthForm.MEDIUM)
        self.length_form_combo.addItem("64-bit (127)", LengthForm.LONG)
        row.addWidget(self.length_form_combo)
        row.addSpacing(8)
        self.declared_check = QCheckBox("Declare length:", self)
        named(self.declared_check, "declaredLengthCheck", "Override the declared length")
        self.declared_check.setToolTip(
            "Put a different length in the header than the payload has (a lie to the peer)"
        )
        row.addWidget(self.declared_check)
        self.declared_edit = QLineEdit(self)
        named(self.declared_edit, "declaredLengthEdit", "Declared length")
        self.declared_edit.setFixedWidth(84)
        self.declared_edit.setPlaceholderText("bytes")
        row.addWidget(self.declared_edit)
        row.addStretch(1)
        return row

    # ------------------------------------------------------------------ values
    def new_keys(self) -> None:
        """Fresh masking keys for every frame (Random)."""
        self._more_keys = []
        self.mask_key_edit.setText(_new_key())

    def fields(self) -> CraftedFrame:
        """The frame the fields describe; ``ValueError`` says which field is wrong."""
        text = self.payload_edit.toPlainText()
        hex_input = self.payload_format.currentIndex() == self.HEX
        payload = parse_hex(text) if hex_input else text.encode("utf-8")
        keys: list[bytes] = []
        n = self.fragments.value()
        if self.mask_check.isChecked():
            try:
                first = parse_mask_key(self.mask_key_edit.text())
            except ValueError as exc:
                raise ValueError(f"{exc} — press Random for a fresh one") from None
            keys = fragment_keys(first, n, self._more_keys)
            self._more_keys = keys[1:]
        declared: int | None = None
        if self.declared_check.isChecked():
            if not self.declared_edit.text().strip():
                raise ValueError("type the length to declare, or uncheck “Declare length”")
            declared = parse_declared_length(self.declared_edit.text())
        rsv1, rsv2, rsv3 = (box.isChecked() for box in self.rsv_checks)
        return CraftedFrame(
            opcode=int(self.opcode_combo.currentData()),
            payload=payload,
            fin=self.fin_check.isChecked(),
            rsv1=rsv1,
            rsv2=rsv2,
            rsv3=rsv3,
            keys=keys,
            length_form=self.length_form_combo.currentData(),
            declared_length=declared,
            fragments=n,
        )

    def specs(self) -> list[FrameSpec]:
        """The frames Send would send; ``ValueError`` says what is wrong."""
        return crafted_specs(self.fields())

    def preview_bytes(self) -> bytes:
        """Exactly the bytes Send would put on the wire."""
        return wire_bytes(self.specs(), Role.CLIENT)

    def _update(self) -> None:
        masked = self.mask_check.isChecked()
        self.mask_key_edit.setEnabled(masked)
        self.random_key_button.setEnabled(masked)
        self.declared_edit.setEnabled(self.declared_check.isChecked())
        try:
            specs = self.specs()
            self.preview.show_frames(
                specs, rules_broken(specs, deflate=self.session.deflate_negotiated)
            )
        except ValueError as exc:
            self.preview.show_error(str(exc))
        self.changed.emit()

    # -------------------------------------------------------------------- send
    def send_label(self) -> str:
        return "Send frames" if self.fragments.value() > 1 else "Send frame"

    def entry(self) -> HistoryEntry:
        s = self.session
        specs = self.specs()
        return HistoryEntry("frame", frames_label(specs), lambda: s.send_frames(specs))

    def editors(self) -> list[QPlainTextEdit | QLineEdit]:
        return [self.payload_edit]

    def session_opened(self) -> None:
        self._update()  # RSV1 means something once deflate was negotiated
