"""What may hold or change a proxy's traffic: :class:`Controls` (breakpoints, rules,
a hook, the queue's limits) shared by all of a proxy's connections, the units that
cross the pipeline (:class:`Unit`) and the ones held (:class:`HeldItem`). The
pipeline itself is :mod:`.intercept`.
"""

from __future__ import annotations

import dataclasses
import enum
import itertools
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from ...capture.events import Direction
from ...protocol.constants import Opcode, Role
from ...protocol.events import Message
from ...protocol.frames import Frame, FrameSpec, encode_frame
from .rules import Rules, side_name

if TYPE_CHECKING:
    from ...views.registry import Registry
    from .intercept import Interceptor, Pipe
    from .session import ProxiedConnection

__all__ = [
    "DEFAULT_LIMIT_BYTES",
    "DEFAULT_LIMIT_COUNT",
    "BreakFilter",
    "Controls",
    "HeldItem",
    "Hook",
    "QueueFull",
    "Unit",
    "UnitKind",
    "sender_role",
]

DEFAULT_LIMIT_BYTES: Final = 8 * 1024 * 1024
DEFAULT_LIMIT_COUNT: Final = 10_000

#: A proxy hook: the message to relay instead (None: drop it); see
#: :meth:`inspector.automation.hooks.HookRunner.transform`.
Hook = Callable[["ProxiedConnection", Direction, Message], Message | None]


def sender_role(side: Direction) -> Role:
    """Who sends the frames of ``side`` (OUT: the client)."""
    return Role.CLIENT if side is Direction.OUT else Role.SERVER


class QueueFull(enum.StrEnum):
    PAUSE = "pause"  # stop reading from the sender until the held item is dealt with
    FORWARD = "forward"  # forward the oldest held item unchanged


class UnitKind(enum.StrEnum):
    MESSAGE = "message"  # a whole data message, one or more frames
    CONTROL = "control"  # one control frame
    FRAMES = "frames"  # frames that are no whole message (too large, or out of place)


@dataclass(slots=True)
class Unit:
    """What crosses the pipeline as one: its frames as they arrived, and what goes on."""

    side: Direction
    kind: UnitKind
    frames: list[Frame]
    arrived: bytes  # the bytes that came, exactly
    wire: bytes  # the bytes that go on (``arrived`` unless changed)
    opcode: int
    payload: bytes  # reassembled and unmasked (a control frame's own payload)
    compressed: bool = False
    #: Who changed it so far (rule labels, "script", "user").
    by: list[str] = dataclasses.field(default_factory=list)

    @property
    def text(self) -> str | None:
        if self.opcode != Opcode.TEXT or self.compressed:
            return None
        try:
            return self.payload.decode("utf-8")
        except UnicodeDecodeError:
            return None

    @property
    def changed(self) -> bool:
        return self.wire is not self.arrived and self.wire != self.arrived

    def message(self) -> Message:
        first = self.frames[0].seq if self.frames else 0
        last = self.frames[-1].seq if self.frames else 0
        return Message(
            self.opcode,
            self.payload,
            self.text,
            first,
            last,
            sum(len(f.payload) for f in self.frames),
            self.compressed,
            False,
            len(self.frames),
        )

    def replace(self, specs: Iterable[FrameSpec], by: str) -> None:
        """Send these frames instead, encoded as this unit's sender would."""
        role = sender_role(self.side)
        parts: list[bytes] = []
        frames: list[Frame] = []
        for spec in specs:
            header, wire = encode_frame(spec, role)
            parts += (header, wire)
            frames.append(Frame(0, 0, header, spec.payload))
        self.wire = b"".join(parts)
        self.frames = frames
        if frames:
            self.opcode = frames[0].opcode
            self.payload = b"".join(f.payload for f in frames if not f.is_control)
            if frames[0].is_control:
                self.payload = frames[0].payload
        self.compressed = False
        self.by.append(by)


@dataclass(frozen=True, slots=True)
class BreakFilter:
    """Which units a breakpoint holds: all given conditions must hold.

    ``side``: the sender's direction (None: both); ``opcodes``: the message's or
    control frame's opcode (empty: any); ``pattern``: a regular expression searched
    in the payload's text (UTF-8, undecodable bytes replaced) or, with ``field``,
    in that decoded field of the payload (:meth:`inspector.views.registry.Registry.fields`;
    a payload without that field does not match).
    """

    side: Direction | None = None
    opcodes: frozenset[int] = frozenset()
    pattern: str = ""
    field: str = ""
    _re: re.Pattern[str] | None = dataclasses.field(
        init=False, repr=False, compare=False, default=None
    )

    def __post_init__(self) -> None:
        if self.pattern:
            try:
                object.__setattr__(self, "_re", re.compile(self.pattern))
            except re.error as exc:
                raise ValueError(f"{self.pattern!r}: not a regular expression: {exc}") from None
        elif self.field:
            raise ValueError("a field breakpoint needs a pattern to match its value")

    def describe(self) -> str:
        parts = [side_name(self.side) if self.side is not None else "both sides"]
        if self.opcodes:
            parts.append("opcode " + "/".join(str(o) for o in sorted(self.opcodes)))
        if self.field:
            parts.append(f"{self.field} ~ /{self.pattern}/")
        elif self.pattern:
            parts.append(f"/{self.pattern}/")
        return ", ".join(parts)

    def matches(self, unit: Unit, registry: Callable[[], Registry]) -> bool:
        if self.side is not None and unit.side is not self.side:
            return False
        if self.opcodes and unit.opcode not in self.opcodes:
            return False
        if self._re is None:
            return True
        if self.field:
            from ...views.base import PayloadMeta

            meta = PayloadMeta(unit.opcode, sender=sender_role(unit.side), size=len(unit.payload))
            value = registry().fields(unit.payload, meta).get(self.field)
            return value is not None and self._re.search(value) is not None
        text = unit.text
        if text is None:
            text = unit.payload.decode("utf-8", "replace")
        return self._re.search(text) is not None


_ids = itertools.count(1)


@dataclass(slots=True)
class HeldItem:
    """A unit held by a breakpoint, waiting for the user."""

    item_id: int
    conn_id: int
    unit: Unit
    since: float  # time.monotonic() when it was held
    reason: str
    pipe: Pipe = dataclasses.field(repr=False)

    @property
    def side(self) -> Direction:
        return self.unit.side

    def age(self, now: float | None = None) -> float:
        return (time.monotonic() if now is None else now) - self.since

    @property
    def queued(self) -> tuple[int, int]:
        """Units and bytes waiting behind this one."""
        return len(self.pipe.queue), self.pipe.queued_bytes

    @property
    def editable(self) -> bool:
        return not self.unit.compressed


class Controls:
    """The controls of one proxy, shared by all its connections; the window and the
    command line change them, each connection's :class:`Interceptor` reads them.

    ``intercept``: keep every new connection uncompressed and in the pipeline even
    while no breakpoint or rule is on, so that one set later applies at once.
    """

    def __init__(
        self,
        *,
        rules: Rules | None = None,
        hook: Hook | None = None,
        limit_bytes: int = DEFAULT_LIMIT_BYTES,
        limit_count: int = DEFAULT_LIMIT_COUNT,
        on_full: QueueFull = QueueFull.PAUSE,
    ) -> None:
        self._pause_all = False
        self._breakpoints: tuple[BreakFilter, ...] = ()
        self._rules = rules or Rules()
        self._hook = hook
        self._intercept = False
        self.limit_bytes = limit_bytes
        self.limit_count = limit_count
        self.on_full = on_full
        #: Every held item of every connection, by id.
        self.held: dict[int, HeldItem] = {}
        #: Bumped on every change of the held items or controls (the window polls it).
        self.version = 0
        self._interceptors: set[Interceptor] = set()
        self._registry: Registry | None = None

    # ------------------------------------------------------------- reading
    @property
    def pause_all(self) -> bool:
        return self._pause_all

    @property
    def breakpoints(self) -> tuple[BreakFilter, ...]:
        return self._breakpoints

    @property
    def rules(self) -> Rules:
        return self._rules

    @property
    def hook(self) -> Hook | None:
        return self._hook

    @property
    def intercept(self) -> bool:
        return self._intercept

    @property
    def active(self) -> bool:
        """Whether anything can hold or change traffic now."""
        return (
            self._pause_all
            or bool(self._breakpoints)
            or not self._rules.empty
            or self._hook is not None
        )

    @property
    def armed(self) -> bool:
        """Whether a connection opening now goes uncompressed through the pipeline."""
        return self.active or self._intercept

    def registry(self) -> Registry:
        if self._registry is None:
            from ...views.registry import default_registry

            self._registry = default_registry()
        return self._registry

    # ------------------------------------------------------------ changing
    def set_pause_all(self, on: bool) -> None:
        self._pause_all = on
        self._changed()

    def set_breakpoints(self, filters: Iterable[BreakFilter]) -> None:
        self._breakpoints = tuple(filters)
        self._changed()

    def set_rules(self, rules: Rules) -> None:
        self._rules = rules
        self._changed()

    def set_hook(self, hook: Hook | None) -> None:
        self._hook = hook
        self._changed()

    def set_intercept(self, on: bool) -> None:
        self._intercept = on
        self._changed()

    def _changed(self) -> None:
        self.version += 1
        if self.active:
            for icpt in list(self._interceptors):
                icpt.engage()
        else:
            for icpt in list(self._interceptors):
                icpt.settle()

    def break_reason(self, unit: Unit) -> str:
        """Why ``unit`` is held ("" when it is not)."""
        if self._pause_all:
            return "pause all"
        registry = self.registry
        for n, bp in enumerate(self._breakpoints, 1):
            if bp.matches(unit, registry):
                return f"breakpoint {n}: {bp.describe()}"
        return ""

    # ----------------------------------------------------------- held items
    def next_id(self) -> int:
        return next(_ids)

    def _held_now(self, item: HeldItem) -> None:
        self.held[item.item_id] = item
        self.version += 1

    def _released(self, item: HeldItem) -> None:
        self.held.pop(item.item_id, None)
        self.version += 1

    def item(self, item_id: int) -> HeldItem:
        try:
            return self.held[item_id]
        except KeyError:
            raise KeyError(f"nothing is held as item {item_id} (any more)") from None

    def forward(self, item_id: int) -> None:
        """Send the held unit on as it is (changed by the rules, if they changed it)."""
        item = self.item(item_id)
        item.pipe.release(item)

    def edit(self, item_id: int, specs: Iterable[FrameSpec]) -> None:
        """Send these frames on instead of the held unit."""
        item = self.item(item_id)
        if not item.editable:
            raise ValueError(
                "a compressed message can only be forwarded: the receiver's inflate "
                "context depends on it"
            )
        item.unit.replace(list(specs), "user")
        item.pipe.release(item)

    def drop(self, item_id: int) -> None:
        """The held unit never reaches the other side."""
        item = self.item(item_id)
        if not item.editable:
            raise ValueError(
                "a compressed message cannot be dropped: the receiver's inflate context "
                "depends on it"
            )
        item.pipe.release(item, drop="user")

    def answer(self, item_id: int, specs: Iterable[FrameSpec]) -> None:
        """Drop the held unit and send these frames back to its sender instead."""
        item = self.item(item_id)
        if not item.editable:
            raise ValueError("a compressed message can only be forwarded")
        item.pipe.release(item, answer=list(specs))
