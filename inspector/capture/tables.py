"""Lookup tables and packers the capture store's bulk paths share: per-byte tables for
``bytes.translate`` and ``map`` (so whole columns are worked on in C), and the
direction codes of the ``dir`` column."""

from __future__ import annotations

import struct
from operator import itemgetter

from ..protocol.frames import header_length
from .events import Direction

_OUT = 0
_IN = 1
_DIR_CODE = {Direction.OUT: _OUT, Direction.IN: _IN}
_DIR_OF_CODE = (Direction.OUT, Direction.IN)
_DIR_OUT = Direction.OUT
_DIR_IN = Direction.IN

_unpack_H = struct.Struct("!H").unpack_from
_unpack_Q = struct.Struct("!Q").unpack_from
_unpack_L = struct.Struct("!L").unpack_from
_first = itemgetter(0)
_second = itemgetter(1)
_LAST4 = itemgetter(slice(-4, None))
#: b1 -> 1 when the MASK bit is set; the 7-bit length field -> 1 when extended.
_MASK_BIT = bytes(b >> 7 for b in range(256))
_EXTENDED = bytes(1 if b >= 126 else 0 for b in range(256))
_DIR_CODES = frozenset((0, 1))
_pack_L = struct.Struct("!L").pack

#: Header length by second byte, so a batch's header bytes sum up in C.
_HLEN = tuple(header_length(b1) for b1 in range(256))
_HLEN_BYTES = bytes(_HLEN)
#: Length form (7, 16, 64) by the 7-bit length field.
_FORM = tuple(7 if n < 126 else 16 if n == 126 else 64 for n in range(128))
#: b1 -> b1 & 0x7F, for bytes.translate.
_LOW7 = bytes(b & 0x7F for b in range(256))
#: First bytes of a data frame that is a whole message by itself (FIN, TEXT or
#: BINARY, any RSV): the flood case, where every frame starts its own group.
_WHOLE_MESSAGE_B0 = frozenset(b for b in range(256) if b & 0x80 and (b & 0x0F) in (1, 2))
