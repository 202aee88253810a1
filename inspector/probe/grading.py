"""Grading: what was observed on a case's connection, judged against what the case
expects, in words.

Pure functions of plain data: :class:`Observation` is what the runner's observer
recorded (echoed messages, pongs, the server's close frame, how TCP ended), and
:func:`grade` turns it and the case's :data:`~inspector.probe.model.Expectation`
into a :class:`~inspector.probe.model.Grade` and a sentence. Nothing here touches a
socket or a clock, so grading is tested with recorded observations alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from ..protocol.events import Message
from ..views.text import shorten
from .case import Case
from .model import (
    CloseReply,
    Echo,
    Fail,
    Grade,
    Observe,
    Payload,
    materialize,
    payload_size,
)
from .wording import code_words, describe_messages, kind_words

__all__ = ["ERROR_CODES", "Observation", "ServerClose", "grade"]

#: Close codes that say something was wrong (a failed connection's codes).
ERROR_CODES = frozenset({1002, 1003, 1007, 1008, 1009, 1010, 1011})


@dataclass(frozen=True, slots=True)
class ServerClose:
    """The server's (first) close frame."""

    code: int | None
    reason: str | None = None
    #: The close frame had no payload at all (not even a code).
    empty: bool = False
    #: It came before any close frame of ours: the server closed on its own.
    first: bool = True
    #: The case's phase when it came (phases are separated by pauses and syncs).
    phase: int = 0


@dataclass
class Observation:
    """What one case's connection showed, as grading needs it."""

    #: Data messages the server sent (echoes), in order.
    messages: list[Message] = field(default_factory=list)
    #: Payloads of pongs to the case's own pings (not the probe's sync pings).
    pongs: list[bytes] = field(default_factory=list)
    #: A sync ping of the probe was answered: the server read everything before it.
    synced: bool = False
    close: ServerClose | None = None
    #: The TCP connection has ended (whoever ended it).
    tcp_closed: bool = False
    #: The phase when TCP ended.
    end_phase: int = 0
    #: A close frame of ours is on the wire ...
    we_closed: bool = False
    #: ... the one the probe sends at the end of a case, not one of the case's steps.
    final_close: bool = False
    #: Data messages the case sent before its close frame.
    messages_before_our_close: int = 0
    #: The server did not close TCP after the closing handshake (it was closed, or
    #: aborted, by us).
    tcp_left_open: bool = False
    #: The probe aborted TCP (the server neither closed it nor answered in time).
    aborted: bool = False
    #: The case's time limit ran out before the case was over.
    timed_out: bool = False
    #: Frames received, of any kind.
    frames_in: int = 0
    #: Rules the server's own frames broke (the first few, in words).
    server_problems: list[str] = field(default_factory=list)

    @property
    def ended(self) -> bool:
        """The server sent a close frame, or the connection is gone."""
        return self.close is not None or self.tcp_closed

    @property
    def closed_by_server(self) -> bool:
        """TCP ended, and not by us (neither our abort nor our engine's close timer)."""
        return self.tcp_closed and not self.aborted and not self.tcp_left_open

    @property
    def dropped(self) -> bool:
        """The server closed TCP without a close frame."""
        return self.closed_by_server and self.close is None

    @property
    def server_closed_first(self) -> bool:
        return self.close is not None and self.close.first

    @property
    def reacted(self) -> bool:
        """The server did something: sent a frame, or closed TCP itself. A TCP drop in
        answer to our frames is a reaction, not silence."""
        return self.frames_in > 0 or self.closed_by_server


def grade(case: Case, obs: Observation, waited: float) -> tuple[Grade, str]:
    """The grade of ``case`` given ``obs``, with the observed behaviour in words.
    ``waited`` is how long the case waited for a reaction (for the words)."""
    expect = case.expect
    if isinstance(expect, Echo):
        result, words = _grade_echo(expect, obs)
    elif isinstance(expect, Fail):
        result, words = _grade_fail(expect, obs, waited)
    elif isinstance(expect, CloseReply):
        result, words = _grade_close(expect, obs, waited)
    else:
        result, words = _grade_observe(expect, obs)
    if obs.server_problems:
        words += "; its own frames broke rules: " + "; ".join(obs.server_problems)
    return result, words


# -------------------------------------------------------------------------------- words
def _close_words(close: ServerClose) -> str:
    if close.empty:
        return "no status code (empty close frame)"
    text = code_words(close.code)
    if close.reason:
        text += f" and reason {shorten(close.reason, 60)!r}"
    return text


def _ending(obs: Observation) -> str:
    """How the connection ended, in words."""
    close = obs.close
    if close is not None:
        who = "closed on its own with" if close.first else "answered our close frame with"
        text = f"the server {who} {_close_words(close)}"
        if not obs.tcp_closed or obs.tcp_left_open:
            text += ", but did not close TCP"
        return text
    if obs.dropped:
        if obs.we_closed:
            return "the server dropped TCP without answering our close frame"
        return "the server dropped TCP without a close frame"
    return "the connection was still open (aborted)"


def _compare(expected: Sequence[tuple[int, Payload]], got: Sequence[Message]) -> str | None:
    """``None`` if ``got`` echoes ``expected``; else what differs."""
    for i, (opcode, payload) in enumerate(expected):
        if i >= len(got):
            n = len(got)
            if len(expected) == 1:
                return "no echo"
            return f"echoed {n} of the {len(expected)} messages"
        message = got[i]
        where = f"message {i + 1}" if len(expected) > 1 else "the echo"
        if message.opcode != opcode:
            return (
                f"{where} came back as {kind_words(message.opcode)} instead of {kind_words(opcode)}"
            )
        size = payload_size(payload)
        if len(message.data) != size:
            return f"{where} has {len(message.data)} bytes instead of {size}"
        data = materialize(payload)
        if message.data != data:
            at = next(j for j in range(size) if message.data[j] != data[j])
            return f"{where} differs from what was sent at byte {at}"
    if len(got) > len(expected):
        extra = len(got) - len(expected)
        return f"{extra} unexpected message{'s' if extra > 1 else ''} came back"
    return None


def _pong_words(expected: Sequence[bytes], got: Sequence[bytes]) -> tuple[str, str]:
    """("all" | "last" | "missing", words)."""
    if not expected:
        return "all", ""
    answered = [p for p in expected if p in got]
    n, m = len(answered), len(expected)
    if n == m:
        return "all", "answered the ping" if m == 1 else f"answered all {m} pings"
    if n and expected[-1] in got:
        return "last", f"answered {n} of the {m} pings, the last one included"
    if m == 1:
        return "missing", "did not answer the ping"
    return "missing", f"answered {n} of the {m} pings"


# ------------------------------------------------------------------------ expectations
def _grade_echo(expect: Echo, obs: Observation) -> tuple[Grade, str]:
    diff = _compare(expect.messages, obs.messages)
    pong_state, pong_text = _pong_words(expect.pongs, obs.pongs)
    parts: list[str] = []
    if expect.messages:
        parts.append("echoed " + describe_messages(expect.messages) if diff is None else diff)
    if pong_text:
        parts.append(pong_text)
    if not parts:
        parts.append("ignored it and stayed usable")
    close = obs.close
    if diff is None and pong_state != "missing":
        if obs.server_closed_first:
            return Grade.FAILED, "; ".join(parts) + f"; then {_ending(obs)}"
        result = Grade.PASSED if pong_state == "all" else Grade.NON_STRICT
        if close is not None and close.code in (1000, None):
            closing = "closed cleanly"
            if not obs.tcp_closed or obs.tcp_left_open:
                closing += " (but the server left TCP open)"
                result = Grade.NON_STRICT
        else:
            closing = _ending(obs)
            result = Grade.NON_STRICT
        return result, "; ".join(parts) + f"; {closing}"
    if expect.limit_ok and obs.server_closed_first and close is not None and close.code == 1009:
        return Grade.INFO, f"the server refused the message as too big: {_ending(obs)}"
    if obs.timed_out and not obs.ended:
        parts.append(f"nothing more within the time limit ({_ending(obs)})")
    else:
        parts.append(_ending(obs))
    return Grade.FAILED, "; ".join(parts)


def _grade_fail(expect: Fail, obs: Observation, waited: float) -> tuple[Grade, str]:
    before = list(obs.messages[: len(expect.before)])
    extra = obs.messages[len(expect.before) :]
    echoed = ""
    if extra:
        n = len(extra)
        echoed = f"echoed {'the offending message' if n == 1 else f'{n} offending messages'}"
    if obs.server_closed_first or (obs.dropped and not obs.final_close):
        if echoed:
            return Grade.FAILED, f"{echoed}, then {_ending(obs)}"
        return _failed_on_its_own(expect, obs, before)
    if echoed:
        return Grade.FAILED, f"{echoed} instead of failing the connection; {_ending(obs)}"
    if obs.synced:
        words = "ignored it: kept the connection open and answered our ping"
        if expect.ignore_ok:
            return Grade.NON_STRICT, f"{words} (it waits for the rest of the message)"
        return Grade.FAILED, f"{words}; {_ending(obs)} when we closed"
    return Grade.FAILED, f"no reaction within {waited:g} s (no close, no pong); {_ending(obs)}"


def _failed_on_its_own(
    expect: Fail, obs: Observation, before: Sequence[Message]
) -> tuple[Grade, str]:
    """The server failed the connection by itself: with the right code?"""
    ending = _ending(obs)
    close = obs.close
    if close is None:
        result, words = Grade.NON_STRICT, ending
    elif close.code in expect.codes:
        result, words = Grade.PASSED, ending
    elif close.code is None:
        result, words = Grade.NON_STRICT, ending
    elif close.code in ERROR_CODES:
        want = " or ".join(str(c) for c in expect.codes)
        result, words = Grade.NON_STRICT, f"{ending}: an error, but {want} fits better"
    else:
        return Grade.FAILED, f"{ending}, a code that does not say anything was wrong"
    if expect.before and _compare(expect.before, before) is not None:
        if result is Grade.PASSED:
            result = Grade.NON_STRICT
        words = (
            f"{words}, without echoing {describe_messages(expect.before)} that came "
            "before the offending frame"
        )
    elif expect.before:
        words = f"echoed {describe_messages(expect.before)}; then {words}"
    if expect.by_phase is not None:
        phase = close.phase if close is not None else obs.end_phase
        if phase > expect.by_phase:
            if result is Grade.PASSED:
                result = Grade.NON_STRICT
            words += " only after the rest of the message, not as soon as the bad bytes came"
        else:
            words += " as soon as the bad bytes came"
    return result, words


def _grade_close(expect: CloseReply, obs: Observation, waited: float) -> tuple[Grade, str]:
    if len(obs.messages) > obs.messages_before_our_close:
        return Grade.FAILED, f"echoed data sent after our close frame; {_ending(obs)}"
    if any(p in obs.pongs for p in expect.no_pongs):
        return Grade.FAILED, f"answered a ping sent after our close frame; {_ending(obs)}"
    close = obs.close
    if close is not None:
        words = _ending(obs)
        if close.code in expect.codes:
            result = Grade.PASSED
        elif close.code in expect.lenient:
            result = Grade.NON_STRICT
        else:
            want = " or ".join(code_words(c) for c in expect.codes)
            return Grade.FAILED, f"{words}; {want} is expected"
        if result is Grade.PASSED and (not obs.tcp_closed or obs.tcp_left_open):
            result = Grade.NON_STRICT
        return result, words
    if obs.dropped:
        return (Grade.NON_STRICT if expect.drop_ok else Grade.FAILED), _ending(obs)
    return Grade.FAILED, f"no answer to our close frame within {waited:g} s"


def _grade_observe(expect: Observe, obs: Observation) -> tuple[Grade, str]:
    parts: list[str] = []
    if expect.messages:
        diff = _compare(expect.messages, obs.messages)
        parts.append("echoed " + describe_messages(expect.messages) if diff is None else diff)
    elif obs.messages:
        parts.append(f"sent {len(obs.messages)} message(s) back")
    if obs.pongs:
        parts.append("answered with a pong")
    if obs.server_closed_first or (obs.dropped and not obs.final_close):
        parts.append(_ending(obs))
    elif obs.synced:
        parts.append("answered our ping afterwards")
        parts.append(_ending(obs))
    else:
        parts.append("no reaction (a ping sent after it got no answer)")
        parts.append(_ending(obs))
    return Grade.INFO, "; ".join(parts)
