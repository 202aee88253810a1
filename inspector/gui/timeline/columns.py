"""The timeline's columns and the item roles its model answers."""

from __future__ import annotations

from PySide6.QtCore import Qt

from ...protocol.constants import opcode_name

__all__ = [
    "ALIGNMENTS",
    "COLUMNS",
    "COLUMN_TIPS",
    "COL_DIR",
    "COL_FIN",
    "COL_KEY",
    "COL_LENGTH",
    "COL_MASK",
    "COL_OPCODE",
    "COL_PAYLOAD",
    "COL_ROW",
    "COL_RSV",
    "COL_TIME",
    "FRAGMENT_ROLE",
    "OPNAME",
    "RSV_TEXT",
    "STORE_ROW_ROLE",
]

#: Column titles, in order; the ``COL_*`` constants index them.
COLUMNS = ("#", "Time", "Dir", "FIN", "RSV", "Opcode", "MASK", "Mask key", "Length", "Summary")
(
    COL_ROW,
    COL_TIME,
    COL_DIR,
    COL_FIN,
    COL_RSV,
    COL_OPCODE,
    COL_MASK,
    COL_KEY,
    COL_LENGTH,
    COL_PAYLOAD,
) = range(len(COLUMNS))

COLUMN_TIPS = (
    "Row in the capture (both directions, in arrival order); \u26a0 a rule the peer "
    "broke, \u2691 a rule we broke on purpose",
    "Seconds since the session started (or wall-clock time)",
    "Direction: \u2191 sent by us, \u2193 received from the peer",
    "FIN bit: 1 on the last frame of a message (RFC 6455 \u00a75.2)",
    "RSV1, RSV2, RSV3 bits: 1 shown as the digit, 0 as '-' (RFC 6455 \u00a75.2)",
    "Opcode; \u250c \u2502 \u2514 bracket the frames of a fragmented message",
    "MASK bit: 1 when the payload is masked (clients must mask, RFC 6455 \u00a75.3)",
    "The 32-bit masking key, in hex",
    "Payload length the header declares, in bytes",
    "What the payload says, by the best view of it (text, JSON, hex, close code and "
    "reason, or an application protocol: Socket.IO, STOMP, MQTT...; right-click: Show "
    "payloads as); \u21f2 a compressed message (its last frame shows it inflated)",
)

#: ``data(index, STORE_ROW_ROLE)`` gives the store row shown at ``index``.
STORE_ROW_ROLE = int(Qt.ItemDataRole.UserRole) + 1
#: ``data(index, FRAGMENT_ROLE)``: the frame's :func:`~.fragments.fragment_position`.
FRAGMENT_ROLE = int(Qt.ItemDataRole.UserRole) + 2

RSV_TEXT = tuple(
    ("1" if b0 & 0x40 else "-") + ("2" if b0 & 0x20 else "-") + ("3" if b0 & 0x10 else "-")
    for b0 in range(256)
)
OPNAME = tuple(opcode_name(i) for i in range(16))

_RIGHT = int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
_CENTER = int(Qt.AlignmentFlag.AlignCenter)
_LEFT = int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
ALIGNMENTS = (_RIGHT, _RIGHT, _LEFT, _CENTER, _CENTER, _LEFT, _CENTER, _LEFT, _RIGHT, _LEFT)
