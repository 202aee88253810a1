"""Python hooks: a user's script called by name on a connection's events.

A script is a Python file whose functions, when present, are called:
``on_open(conn)``, ``on_message(conn, message)`` (each data message the peer sent:
a :class:`~inspector.protocol.events.Message`), ``on_frame(conn, frame)`` (each
frame the peer sent: a :class:`~inspector.protocol.frames.Frame`) and
``on_close(conn, code, reason)``; in a proxy, ``on_client_message(conn, message)``
and ``on_server_message(conn, message)`` decide what is relayed
(:meth:`HookRunner.transform`). ``conn`` is a :class:`HookConnection`: send
methods, a log, and a ``data`` dict for the script's own state. A hook may be
``async def``: it then runs as a task. The API is documented in
``docs/scripting.md``.

:class:`HookRunner` is the one place that calls hooks: it times each call, reports
an exception with its traceback and a call that blocks the connection for longer
than ``slow_after`` seconds (a watchdog thread says so while it is still running),
and never lets either reach the connection. Reports go to a :data:`Reporter`
(standard error in the command line, a banner in the window).
"""

from __future__ import annotations

import asyncio
import enum
import importlib.util
import inspect
import itertools
import logging
import os
import threading
import traceback
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from time import perf_counter
from types import CoroutineType, ModuleType
from typing import Any, Final

from ..capture.events import (
    CaptureEvent,
    ConnectionState,
    Direction,
    FramesCaptured,
    MessageCaptured,
    StateChanged,
)
from ..engine.connection import Connection
from ..engine.publishing import MessageFilter
from ..protocol.constants import Opcode, Role
from ..protocol.crafting import parse_frame_spec
from ..protocol.events import Message
from ..protocol.frames import FrameSpec

__all__ = [
    "CONNECTION_HOOKS",
    "DEFAULT_SLOW_AFTER",
    "HOOKS",
    "PROXY_HOOKS",
    "HookConnection",
    "HookReport",
    "HookRunner",
    "ReportKind",
    "Reporter",
    "Script",
    "ScriptError",
]

log = logging.getLogger(__name__)

CONNECTION_HOOKS: Final = ("on_open", "on_message", "on_frame", "on_close")
PROXY_HOOKS: Final = ("on_client_message", "on_server_message")
HOOKS: Final = (*CONNECTION_HOOKS, *PROXY_HOOKS)
#: A hook that holds the connection up longer than this (seconds) is reported.
DEFAULT_SLOW_AFTER: Final = 1.0
#: Tracebacks shown in full per hook; later exceptions are counted.
SHOWN_ERRORS: Final = 3

_counter = itertools.count(1)
#: What :meth:`HookRunner._invoke` returns for a hook that raised.
_FAILED: Final = object()


class ScriptError(Exception):
    """A script that cannot be used: one line saying why (``detail``: a traceback)."""

    def __init__(self, message: str, detail: str = "") -> None:
        super().__init__(message)
        self.detail = detail


class ReportKind(enum.StrEnum):
    ERROR = "error"  # a hook raised
    SLOW = "slow"  # a hook held the connection up
    LOG = "log"  # the script's conn.log
    NOTE = "note"  # about the script itself (an unknown on_* name, counts)


@dataclass(frozen=True, slots=True)
class HookReport:
    kind: ReportKind
    hook: str  # the hook's name ("" for a note about the script)
    text: str  # one line
    detail: str = ""  # a traceback
    label: str = ""  # which connection ("" when there is one)


Reporter = Callable[[HookReport], None]


@dataclass(slots=True)
class Script:
    """A loaded script: its hooks by name, and the ``on_*`` names it defines that are
    not hooks (a misspelt hook is never called: worth a warning)."""

    path: str
    module: ModuleType
    hooks: dict[str, Callable[..., Any]] = field(default_factory=dict)
    unknown: list[str] = field(default_factory=list)

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Script:
        """Run the file as a module; ScriptError if it cannot be read, does not
        compile, raises, or defines no hook."""
        path = os.fspath(path)
        name = f"ws_inspector_script_{next(_counter)}"
        try:
            with open(path, "rb") as f:
                source = f.read()
        except OSError as exc:
            raise ScriptError(f"cannot read {path}: {exc.strerror or exc}") from None
        try:
            code = compile(source, path, "exec")
        except (SyntaxError, ValueError) as exc:
            where = f" (line {exc.lineno})" if isinstance(exc, SyntaxError) and exc.lineno else ""
            message = exc.msg if isinstance(exc, SyntaxError) else str(exc)
            raise ScriptError(f"{path}{where}: {message}") from None
        spec = importlib.util.spec_from_loader(name, loader=None, origin=path)
        assert spec is not None
        module = importlib.util.module_from_spec(spec)
        module.__file__ = path
        try:
            exec(code, module.__dict__)
        except BaseException as exc:  # its own sys.exit() included: the app goes on
            if isinstance(exc, KeyboardInterrupt):
                raise
            raise ScriptError(
                f"{path} raised {type(exc).__name__} when loaded: {exc}",
                _traceback(exc),
            ) from None
        hooks = {n: hook for n in HOOKS if callable(hook := getattr(module, n, None))}
        unknown = [
            n
            for n, f in vars(module).items()
            if n.startswith("on_") and n not in HOOKS and inspect.isfunction(f)
        ]
        if not hooks:
            raise ScriptError(
                f"{path} defines none of the hooks ({', '.join(HOOKS)})"
                + (f"; it defines {', '.join(unknown)}" if unknown else "")
            )
        return cls(path, module, hooks, unknown)


def _traceback(exc: BaseException) -> str:
    # The frames of the runner itself say nothing to the script's author.
    tb = exc.__traceback__
    while tb is not None and tb.tb_frame.f_code.co_filename == __file__:
        tb = tb.tb_next
    return "".join(traceback.format_exception(type(exc), exc, tb)).rstrip("\n")


class HookConnection:
    """What a hook gets as ``conn``: the connection's send methods, a log, and
    ``data``, a dict the script may keep its state in (one per connection)."""

    __slots__ = ("_conn", "_label", "_listener", "_runner", "data")

    def __init__(self, conn: Connection, runner: HookRunner, label: str = "") -> None:
        self._conn = conn
        self._runner = runner
        self._label = label
        #: What :meth:`HookRunner.attach` subscribed, for :meth:`HookRunner.detach`.
        self._listener: _Listener | None = None
        self.data: dict[str, Any] = {}

    @property
    def url(self) -> str:
        return self._conn.url

    @property
    def role(self) -> str:
        """``client`` or ``server``: which end we are."""
        return self._conn.role.value

    @property
    def is_open(self) -> bool:
        return self._conn.is_open and not self._conn.close_sent

    @property
    def connection(self) -> Connection:
        """The engine's connection, for what the methods here do not cover."""
        return self._conn

    def send_text(self, text: str) -> None:
        self._conn.send_text(text)

    def send_binary(self, data: bytes) -> None:
        self._conn.send_binary(bytes(data))

    def send_ping(self, payload: bytes = b"") -> None:
        self._conn.send_ping(bytes(payload))

    def send_frame(self, frame: FrameSpec | str) -> None:
        """A crafted frame, valid or not: a FrameSpec, or the ``key=value`` notation
        of ``capture --frame`` (``opcode=1,fin=0,payload=hi``)."""
        spec = parse_frame_spec(frame) if isinstance(frame, str) else frame
        self._conn.send_frame(spec)

    def close(self, code: int = 1000, reason: str = "") -> None:
        """Start the closing handshake (once; later calls do nothing)."""
        if not self._conn.close_sent and self._conn.is_open:
            self._conn.send_close(code, reason)

    def log(self, *parts: object) -> None:
        """A line in the session's report (standard error in the command line)."""
        self._runner.report(
            HookReport(ReportKind.LOG, "", " ".join(map(str, parts)), "", self._label)
        )


class _Listener:
    """One connection's events to its hooks (the connection holds this)."""

    __slots__ = ("_close", "_events_message", "_frame", "_hconn", "_message", "_open", "_runner")

    def __init__(self, runner: HookRunner, hconn: HookConnection) -> None:
        self._runner = runner
        self._hconn = hconn
        hooks = runner.script.hooks
        self._open = hooks.get("on_open")
        self._message = hooks.get("on_message")
        self._frame = hooks.get("on_frame")
        self._close = hooks.get("on_close")
        self._events_message = self._message

    def skip_messages(self) -> None:
        """Messages come through :meth:`message`: the events' copies are not for us."""
        self._events_message = None

    def message(self, message: Message) -> None:
        """``on_message`` straight from the connection's ``on_message`` callback: no
        capture event is made for it (half of what a hook cost in a flood)."""
        fn = self._message
        if fn is not None:
            self._runner._invoke("on_message", fn, (self._hconn, message))

    def __call__(self, event: CaptureEvent) -> None:
        if isinstance(event, MessageCaptured):
            fn = self._events_message
            if fn is not None and event.dir is Direction.IN:
                self._runner._invoke("on_message", fn, (self._hconn, event.message))
        elif isinstance(event, FramesCaptured):
            fn = self._frame
            if fn is not None and event.dir is Direction.IN:
                invoke = self._runner._invoke
                hconn = self._hconn
                for frame in event.frames:
                    invoke("on_frame", fn, (hconn, frame))
        elif isinstance(event, StateChanged):
            if event.state is ConnectionState.OPEN and self._open is not None:
                self._runner.call("on_open", self._open, self._hconn)
            elif event.state is ConnectionState.CLOSED and self._close is not None:
                self._runner.call("on_close", self._close, self._hconn, event.code, event.reason)


class HookRunner:
    """Calls a script's hooks, timed, with exceptions and slow calls reported.

    :meth:`attach` hooks a connection's events up; :meth:`server_listener` does the
    same for every connection of a server (``EchoServer(on_event=...)``);
    :meth:`transform` is for a proxy's ``on_client_message`` /
    ``on_server_message``; :meth:`call` is the one place a hook is called. Call
    :meth:`close` at the end (pending ``async`` hooks are cancelled, counts said).
    """

    def __init__(
        self,
        script: Script,
        report: Reporter,
        *,
        slow_after: float = DEFAULT_SLOW_AFTER,
        watchdog: bool = False,
    ) -> None:
        self.script = script
        self.report = report
        self.slow_after = slow_after
        self.errors: dict[str, int] = {}
        self.slow: dict[str, int] = {}
        self._tasks: set[asyncio.Task[Any]] = set()
        #: The hook being called and since when (0: none), for the watchdog.
        self._running = ""
        self._since = 0.0
        self._stop = threading.Event()
        self._watchdog: threading.Thread | None = None
        if watchdog:
            self._watchdog = threading.Thread(target=self._watch, name="hook-watchdog", daemon=True)
            self._watchdog.start()
        for name in script.unknown:
            self.report(
                HookReport(
                    ReportKind.NOTE,
                    "",
                    f"{name} is not a hook and is never called ({', '.join(HOOKS)})",
                )
            )

    def has(self, name: str) -> bool:
        return name in self.script.hooks

    # ------------------------------------------------------------- calling
    def call(self, name: str, fn: Callable[..., Any], *args: Any) -> Any:
        """``fn(*args)`` as hook ``name``; its result, or None when it raised (then
        reported). A coroutine it returns runs as a task."""
        result = self._invoke(name, fn, args)
        return None if result is _FAILED else result

    def _invoke(self, name: str, fn: Callable[..., Any], args: tuple[Any, ...]) -> Any:
        # Once per message in a flood: kept lean (no tuples made, no calls but the hook).
        self._running = name
        self._since = t0 = perf_counter()
        try:
            result = fn(*args)
        except (Exception, SystemExit) as exc:  # a script's sys.exit() ends nothing
            self._since = 0.0
            self._failed(name, exc)
            return _FAILED
        self._since = 0.0
        if perf_counter() - t0 > self.slow_after:
            self._held_up(name, perf_counter() - t0)
        if result is not None and type(result) is CoroutineType:
            self._spawn(name, result)
            return None
        return result

    def _spawn(self, name: str, coro: Coroutine[Any, Any, Any]) -> None:
        try:
            task = asyncio.get_running_loop().create_task(coro)
        except RuntimeError:  # no loop: a hook called outside the engine
            coro.close()
            self._failed(name, RuntimeError(f"async {name} needs a running event loop"))
            return
        self._tasks.add(task)
        task.add_done_callback(lambda t: self._task_done(name, t))

    def _task_done(self, name: str, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if task.cancelled():
            return
        exc = task.exception()
        if exc is not None:
            self._failed(name, exc)

    def _failed(self, name: str, exc: BaseException) -> None:
        n = self.errors[name] = self.errors.get(name, 0) + 1
        if n > SHOWN_ERRORS:
            return
        text = f"{name} raised {type(exc).__name__}: {exc}"
        detail = _traceback(exc)
        if n == SHOWN_ERRORS:
            text += f" (later exceptions of {name} are counted, not shown)"
        self.report(HookReport(ReportKind.ERROR, name, text, detail))

    def _held_up(self, name: str, took: float) -> None:
        n = self.slow[name] = self.slow.get(name, 0) + 1
        if n > SHOWN_ERRORS:
            return
        self.report(
            HookReport(
                ReportKind.SLOW,
                name,
                f"{name} held the connection up for {took:.2f} s (more than {self.slow_after:g} s):"
                " nothing is read or sent while a hook runs",
            )
        )

    def _watch(self) -> None:
        said = 0.0
        step = max(self.slow_after / 4, 0.01)
        while not self._stop.wait(step):
            since, name = self._since, self._running
            if not since or since == said:
                continue
            if perf_counter() - since > self.slow_after:
                said = since
                self.report(
                    HookReport(
                        ReportKind.SLOW,
                        name,
                        f"{name} has been running for more than {self.slow_after:g} s: "
                        "the connection waits for it",
                    )
                )

    # --------------------------------------------------------- positions
    def attach(self, conn: Connection, label: str = "") -> HookConnection:
        """Call the hooks on ``conn``'s events; subscribe before it opens."""
        hconn = HookConnection(conn, self, label)
        listener = _Listener(self, hconn)
        wants = MessageFilter.NONE
        if "on_message" in self.script.hooks:
            # A client's on_message callback is free (a server's echoes): the cheap way
            # to the messages. Otherwise the capture events carry them.
            if conn.role is Role.CLIENT and conn.on_message is None:
                conn.on_message = listener.message
                listener.skip_messages()
            else:
                wants = MessageFilter.ALL
        conn.subscribe(listener, messages=wants)
        hconn._listener = listener
        return hconn

    def detach(self, hconn: HookConnection) -> None:
        """No more hooks on ``hconn``'s connection (the window's Detach); the
        connection goes on. Calling it twice does nothing."""
        listener, hconn._listener = hconn._listener, None
        if listener is None:
            return
        conn = hconn.connection
        conn.unsubscribe(listener)
        if conn.on_message == listener.message:  # bound methods: equal, never identical
            conn.on_message = None

    def server_listener(self) -> Callable[[Connection, CaptureEvent], None]:
        """An ``EchoServer`` ``on_event`` that attaches every new connection, labelled
        ``[1]``, ``[2]``... in the order they came (as the serve console numbers them)."""
        seen: dict[int, _Listener] = {}
        numbers = itertools.count(1)

        def on_event(conn: Connection, event: CaptureEvent) -> None:
            listener = seen.get(id(conn))
            if listener is None:
                hconn = HookConnection(conn, self, f"[{next(numbers)}]")
                listener = seen[id(conn)] = _Listener(self, hconn)
            listener(event)
            if type(event) is StateChanged and event.state is ConnectionState.CLOSED:
                seen.pop(id(conn), None)

        return on_event

    def transform(self, name: str, hconn: HookConnection, message: Message) -> Message | None:
        """The message a proxy relays after hook ``name`` (``on_client_message`` or
        ``on_server_message``): the hook's return value as a message (a str is a text
        message, bytes a binary one, a Message itself), None when it returned None
        (dropped). Without the hook, when it raises or returns something else, the
        message is relayed unchanged (and the problem reported)."""
        fn = self.script.hooks.get(name)
        if fn is None:
            return message
        result = self._invoke(name, fn, (hconn, message))
        if result is _FAILED:
            return message
        if result is None:
            return None
        if result is message or isinstance(result, Message):
            return result
        if isinstance(result, str):
            data = result.encode("utf-8")
            return message._replace(opcode=Opcode.TEXT, data=data, text=result, compressed=False)
        if isinstance(result, bytes | bytearray | memoryview):
            data = bytes(result)
            return message._replace(opcode=Opcode.BINARY, data=data, text=None, compressed=False)
        self._failed(
            name,
            TypeError(
                f"{name} returned {type(result).__name__}: return the message, a str, bytes or None"
            ),
        )
        return message

    # ---------------------------------------------------------------- end
    async def aclose(self, timeout: float = 1.0) -> None:
        """Let running ``async`` hooks finish (bounded), cancel the rest, stop the
        watchdog and say how many exceptions were not shown."""
        if self._tasks:
            _, pending = await asyncio.wait(set(self._tasks), timeout=timeout)
            for task in pending:
                task.cancel()
            if pending:
                await asyncio.wait(pending, timeout=timeout)
        self.close()

    def close(self) -> None:
        self._stop.set()
        if self._watchdog is not None:
            self._watchdog.join(1.0)
            self._watchdog = None
        for name, n in self.errors.items():
            if n > SHOWN_ERRORS:
                self.report(HookReport(ReportKind.NOTE, name, f"{name} raised {n} times in all"))
