"""The probe's words: sizes, messages, close codes and expectations as reports say them.

Case titles, the expected behaviour of each case and the observed behaviour in the
grades are all sentences for a person; they are made here so that the same thing is
always said the same way.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..protocol.constants import Opcode, describe_close
from .model import KIB, MIB, CloseReply, Echo, Expectation, Fail, Payload, payload_size

__all__ = [
    "code_words",
    "describe_expectation",
    "describe_messages",
    "kind_words",
    "size_words",
]


_KINDS: dict[int, str] = {int(Opcode.TEXT): "text", int(Opcode.BINARY): "binary"}


def size_words(n: int) -> str:
    """An exact size: ``16 MiB``, ``64 KiB``, ``65535 bytes``, ``1 byte`` (case titles
    name exact sizes, unlike the rounded :func:`inspector.views.text.format_bytes`)."""
    if n >= MIB and n % MIB == 0:
        return f"{n // MIB} MiB"
    if n >= KIB and n % KIB == 0:
        return f"{n // KIB} KiB"
    return f"{n} byte" + ("" if n == 1 else "s")


def kind_words(opcode: int) -> str:
    """``text``, ``binary`` or ``opcode N``."""
    return _KINDS.get(opcode, f"opcode {opcode}")


def describe_messages(messages: Sequence[tuple[int, Payload]]) -> str:
    if len(messages) == 1:
        opcode, payload = messages[0]
        size = payload_size(payload)
        if size == 0:
            return f"the empty {kind_words(opcode)} message"
        return f"the {kind_words(opcode)} message of {size_words(size)}"
    kinds = {op for op, _ in messages}
    what = kind_words(next(iter(kinds))) + " " if len(kinds) == 1 else ""
    return f"the {len(messages)} {what}messages, in order"


def code_words(code: int | None) -> str:
    """``1002`` -> ``"1002 (protocol error)"``: a close code as the reports word it."""
    return describe_close(code)


def describe_expectation(expect: Expectation) -> str:
    """The expected behaviour, in words."""
    if isinstance(expect, Echo):
        return _echo_words(expect)
    if isinstance(expect, Fail):
        codes = " or ".join(code_words(c) for c in expect.codes)
        text = f"Fail the connection: a close frame with {codes}"
        if expect.before:
            text = f"Echo {describe_messages(expect.before)} first, then f" + text[1:]
        if expect.by_phase is not None:
            text += ", as soon as the offending bytes arrive (only at the end: non-strict)"
        if expect.ignore_ok:
            text += "; waiting for the rest of the message is non-strict"
        return text + "; another error code, or dropping TCP without a close frame, is non-strict"
    if isinstance(expect, CloseReply):
        codes = " or ".join(code_words(c) for c in expect.codes)
        text = f"A close frame with {codes} in reply"
        if expect.lenient:
            text += " (" + " or ".join(code_words(c) for c in expect.lenient) + ": non-strict)"
        if expect.drop_ok:
            text += "; dropping TCP without a close frame is non-strict"
        text += "; no data after the close frame"
        if expect.no_pongs:
            text += ", no pong for a ping sent after it"
        return text + "; the server then closes TCP"
    return expect.note


def _echo_words(expect: Echo) -> str:
    parts = []
    if expect.messages:
        parts.append("echo " + describe_messages(expect.messages))
    if expect.pongs:
        n = len(expect.pongs)
        parts.append(
            "a pong with the same payload for the ping"
            if n == 1
            else f"a pong for each of the {n} pings, in order"
        )
        if expect.some_pongs_ok:
            parts.append("pongs for only the latest pings are allowed (non-strict)")
    if not parts:
        parts.append("ignore it; the connection stays usable")
    text = "; ".join(parts) + "; then a clean closing handshake"
    if expect.limit_ok:
        text += " (refusing it with 1009, message too big, is graded info)"
    return text[0].upper() + text[1:]
