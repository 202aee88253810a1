"""Checking the frames we send against the rules of our own role (issue 9 item 13).

An inspector breaks rules on purpose: a crafted frame with RSV2 set, a reserved opcode,
an unmasked client frame, a length that lies, a continuation with no message open.
Each is recorded like a peer's violation, on the frame's record, with
``deliberate=True`` (contract 1), so that the capture, the files, the window and the
command line show it. Frames made by the ordinary ``send_*`` methods follow the rules
by construction and are not checked, so the plain send path costs nothing more.

Message-level rules need what came before: the fragmented message we have open, if
any, and whether our close frame is out. :class:`OutgoingChecks` keeps that, for the
frames of ``send_frame`` and for frames found in the bytes of ``send_raw``.
"""

from __future__ import annotations

from dataclasses import dataclass

from .constants import Opcode, Role, opcode_name
from .frames import parse_close_payload
from .parser import FrameParser, frame_violations
from .violations import Rule, Violation

__all__ = ["OutgoingChecks", "RawFrame"]


@dataclass(frozen=True, slots=True)
class RawFrame:
    """A frame found in bytes sent raw: its header, unmasked payload, offset in our
    stream, and the rules it breaks."""

    header: bytes
    payload: bytes
    offset: int
    violations: tuple[Violation, ...]


class OutgoingChecks:
    """What our own stream of frames looks like to the peer, as far as the rules go."""

    def __init__(self, role: Role, *, deflate: bool = False) -> None:
        self.role = role
        self.deflate = deflate
        self.rsv_allowed = 0x40 if deflate else 0
        #: Opcode of the fragmented data message we have open (None: none is).
        self.open_message: int | None = None
        self._raw: FrameParser | None = None
        self._raw_base = 0

    # ------------------------------------------------------------ crafted frames
    def check(
        self,
        header: bytes,
        payload: bytes,
        declared: int,
        offset: int,
        close_sent_seq: int | None,
    ) -> tuple[Violation, ...]:
        """The rules a frame we are about to send breaks, frame-level and message-level;
        ``close_sent_seq`` is the number of our close frame if one went out already."""
        found = list(
            frame_violations(
                header, declared, offset, self.role, rsv_allowed=self.rsv_allowed, deliberate=True
            )
        )
        if declared != len(payload):
            found.append(
                self._violation(
                    Rule.LENGTH_MISMATCH,
                    f"the header declares {declared} payload bytes; {len(payload)} follow",
                    offset,
                )
            )
        found.extend(self._message_rules(header[0], payload, offset, close_sent_seq))
        return tuple(found)

    def interrupts(self, opcode: int, offset: int) -> tuple[Violation, ...]:
        """A whole message of ``opcode`` goes out: the rule it breaks if a fragmented
        message of ours is still open (its peer must fail the connection)."""
        if self.open_message is None:
            return ()
        begun = self.open_message
        self.open_message = None
        return (
            self._violation(
                Rule.EXPECTED_CONTINUATION,
                f"{opcode_name(opcode)} message sent while our fragmented "
                f"{opcode_name(begun)} message is unfinished",
                offset,
            ),
        )

    def close_payload(self, payload: bytes, offset: int) -> tuple[Violation, ...]:
        """The close rules a close frame's payload breaks (code, length, UTF-8 reason)."""
        _, _, problems = parse_close_payload(payload)
        return tuple(self._violation(rule, message, offset) for rule, message in problems)

    def _message_rules(
        self, b0: int, payload: bytes, offset: int, close_sent_seq: int | None
    ) -> list[Violation]:
        op = b0 & 0x0F
        fin = bool(b0 & 0x80)
        compressed = bool(b0 & 0x40) and self.deflate
        found: list[Violation] = []
        if close_sent_seq is not None:
            found.append(
                self._violation(
                    Rule.FRAME_AFTER_CLOSE,
                    f"{opcode_name(op)} frame after our close frame #{close_sent_seq}",
                    offset,
                )
            )
        if op >= 8:
            if compressed:
                found.append(
                    self._violation(
                        Rule.COMPRESSED_CONTROL_FRAME, "control frame with RSV1 set", offset
                    )
                )
            if op == Opcode.CLOSE and len(payload) <= 125:
                found.extend(self.close_payload(payload, offset))
        elif op in (Opcode.TEXT, Opcode.BINARY):
            found.extend(self.interrupts(op, offset))
            self.open_message = None if fin else op
            if op == Opcode.TEXT and fin and not compressed:
                try:
                    payload.decode("utf-8")
                except UnicodeDecodeError as exc:
                    found.append(
                        self._violation(
                            Rule.INVALID_UTF8,
                            f"text frame is not UTF-8 at byte {exc.start}: {exc.reason}",
                            offset,
                        )
                    )
        elif op == Opcode.CONT:
            if self.open_message is None:
                found.append(
                    self._violation(
                        Rule.UNEXPECTED_CONTINUATION,
                        "continuation frame with no fragmented message of ours to continue",
                        offset,
                    )
                )
            else:
                if compressed:
                    found.append(
                        self._violation(
                            Rule.COMPRESSED_CONTINUATION,
                            "RSV1 set on a continuation frame",
                            offset,
                        )
                    )
                if fin:
                    self.open_message = None
        return found

    @staticmethod
    def _violation(rule: Rule, message: str, offset: int) -> Violation:
        return Violation(rule, message, offset, deliberate=True)

    # ---------------------------------------------------------------- raw bytes
    @property
    def raw_pending(self) -> bool:
        """Raw bytes have begun a frame that raw bytes have not finished."""
        return self._raw is not None

    def raw(
        self, data: bytes, offset: int, first_seq: int, close_sent_seq: int | None
    ) -> list[RawFrame]:
        """The frames that bytes sent raw at stream ``offset`` complete, numbered from
        ``first_seq``. A frame may span several raw sends; bytes sent any other way in
        between end it (see :meth:`forget_raw`)."""
        parser = self._raw
        if parser is None:
            # No size limit: these are our own bytes, already in memory.
            parser = FrameParser(self.role, max_frame_size=None, rsv_allowed=self.rsv_allowed)
            self._raw_base = offset
        batch = parser.feed(data)
        frames: list[RawFrame] = []
        for i in range(len(batch)):
            frame = batch[i]
            at = self._raw_base + frame.offset
            found = tuple(
                Violation(v.rule, v.message, at, deliberate=True) for v in frame.violations
            )
            found += tuple(self._message_rules(frame.header[0], frame.payload, at, close_sent_seq))
            frames.append(RawFrame(frame.header, frame.payload, at, found))
            if close_sent_seq is None and frame.opcode == Opcode.CLOSE:
                close_sent_seq = first_seq + i
        # Kept only while a frame is unfinished: the next raw bytes continue it.
        self._raw = parser if parser.pending or parser.skipping else None
        return frames

    def forget_raw(self) -> None:
        """Bytes went out another way while raw bytes had a frame unfinished: the peer
        reads them as the rest of that frame, which is no frame of ours to record."""
        self._raw = None
