"""The vocabulary the category modules write their cases in: frames, fragment splits,
close payloads, and the registry that checks ids are unique."""

from __future__ import annotations

import itertools
from collections.abc import Sequence

from ...protocol.constants import Opcode
from ...protocol.frames import FrameSpec
from ..case import Case
from ..model import Expectation, Step

__all__ = [
    "BINARY",
    "CLOSE",
    "CONT",
    "PING",
    "PONG",
    "TEXT",
    "Registry",
    "bytewise",
    "close_payload",
    "frame",
    "rsv_name",
    "split",
]

CONT = int(Opcode.CONT)
TEXT = int(Opcode.TEXT)
BINARY = int(Opcode.BINARY)
CLOSE = int(Opcode.CLOSE)
PING = int(Opcode.PING)
PONG = int(Opcode.PONG)


def frame(
    opcode: int,
    payload: bytes = b"",
    *,
    fin: bool = True,
    rsv: int = 0,
    mask: bool | None = None,
    mask_key: bytes | None = None,
    length_form: int | None = None,
    declared_length: int | None = None,
) -> FrameSpec:
    """A frame; ``rsv`` is the three reserved bits as a number, RSV1 = 4 ... RSV3 = 1."""
    return FrameSpec(
        opcode,
        payload,
        fin=fin,
        rsv1=bool(rsv & 4),
        rsv2=bool(rsv & 2),
        rsv3=bool(rsv & 1),
        mask=mask,
        mask_key=mask_key,
        length_form=length_form,
        declared_length=declared_length,
    )


def split(opcode: int, payload: bytes, cuts: Sequence[int]) -> tuple[FrameSpec, ...]:
    """A message as frames cut at the given offsets (repeated or end offsets give
    empty fragments)."""
    bounds = [0, *cuts, len(payload)]
    chunks = [payload[a:b] for a, b in itertools.pairwise(bounds)]
    last = len(chunks) - 1
    return tuple(
        frame(opcode if i == 0 else CONT, chunk, fin=i == last) for i, chunk in enumerate(chunks)
    )


def bytewise(opcode: int, payload: bytes) -> tuple[FrameSpec, ...]:
    """A message in fragments of one byte each."""
    return split(opcode, payload, range(1, len(payload)))


def close_payload(code: int | None, reason: bytes = b"") -> bytes:
    return b"" if code is None else code.to_bytes(2, "big") + reason


def rsv_name(rsv: int) -> str:
    """``5`` -> ``"RSV1+RSV3"``."""
    return "+".join(n for bit, n in ((4, "RSV1"), (2, "RSV2"), (1, "RSV3")) if rsv & bit)


class Registry:
    """Collects the cases of every category; a duplicate id is a programming error."""

    def __init__(self) -> None:
        self.cases: list[Case] = []
        self._ids: set[str] = set()

    def add(
        self,
        id: str,
        category: str,
        title: str,
        steps: Sequence[Step],
        expect: Expectation,
        *,
        expected: str = "",
        deflate: str | None = None,
        wait: float | None = None,
    ) -> None:
        if id in self._ids:
            raise ValueError(f"duplicate case id {id}")
        self._ids.add(id)
        self.cases.append(
            Case(
                id,
                category,
                title,
                tuple(steps),
                expect,
                expected=expected,
                deflate=deflate,
                wait=wait,
            )
        )
