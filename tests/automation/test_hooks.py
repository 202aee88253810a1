"""Scripts' hooks on real connections: loading, each hook called with what it
should get, exceptions and slow hooks reported without harm to the connection,
async hooks, the server position, and the proxy's transform contract."""

from __future__ import annotations

import asyncio
import contextlib
import textwrap
from pathlib import Path
from typing import Any

import pytest
from websockets.asyncio.server import ServerConnection
from websockets.exceptions import ConnectionClosed

from inspector.automation.hooks import (
    HookConnection,
    HookReport,
    HookRunner,
    ReportKind,
    Script,
    ScriptError,
)
from inspector.automation.messages import messages_of
from inspector.automation.replay import listen_then_close
from inspector.capture.events import Direction, MessageCaptured
from inspector.engine.client import connect, new_client_connection
from inspector.engine.connection import Connection
from inspector.protocol.constants import Role
from inspector.protocol.events import Message

from ._peers import PEERS, TIMEOUT_FACTOR, bounded, peer

ROOT = Path(__file__).resolve().parent.parent.parent
SCRIPTS = ROOT / "resources" / "scripts"


def write(tmp_path: Path, source: str, name: str = "hooks.py") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(source))
    return path


class Reports(list[HookReport]):
    def of(self, kind: ReportKind) -> list[HookReport]:
        return [r for r in self if r.kind is kind]


async def until(predicate: Any, timeout: float = 5.0) -> None:
    async def poll() -> None:
        while not predicate():
            await asyncio.sleep(0.005)

    await asyncio.wait_for(poll(), timeout * TIMEOUT_FACTOR)


async def hooked(url: str, runner: HookRunner) -> Connection:
    conn = new_client_connection(url)
    runner.attach(conn)  # before the open: on_open is called
    await connect(url, connection=conn)
    return conn


# ------------------------------------------------------------------- loading
def test_a_script_that_cannot_be_used_says_why(tmp_path: Path) -> None:
    with pytest.raises(ScriptError, match=r"cannot read .*none\.py: No such file"):
        Script.load(tmp_path / "none.py")
    with pytest.raises(ScriptError, match=r"bad.py \(line 2\): "):
        Script.load(write(tmp_path, "x = 1\ndef on_open(conn)\n", "bad.py"))
    with pytest.raises(ScriptError, match="raised ZeroDivisionError when loaded") as raised:
        Script.load(write(tmp_path, "def on_open(conn): pass\n1 / 0\n", "boom.py"))
    assert 'boom.py", line 2' in raised.value.detail
    with pytest.raises(ScriptError, match=r"defines none of the hooks.*; it defines on_mesage"):
        Script.load(write(tmp_path, "def on_mesage(conn, m): pass\n", "typo.py"))
    with pytest.raises(ScriptError, match="raised SystemExit"):
        Script.load(write(tmp_path, "import sys\nsys.exit(3)\n", "exits.py"))


def test_a_misspelt_hook_beside_real_ones_is_a_note(tmp_path: Path) -> None:
    script = Script.load(write(tmp_path, "def on_open(conn): pass\ndef on_mesage(c, m): pass\n"))
    reports = Reports()
    HookRunner(script, reports.append).close()
    [note] = reports.of(ReportKind.NOTE)
    assert note.text.startswith("on_mesage is not a hook and is never called")


# ------------------------------------------------------------ client position
CLIENT_SCRIPT = """
    seen = []

    def on_open(conn):
        seen.append(("open", conn.role, conn.is_open))
        conn.send_text("hi from the script")

    def on_message(conn, message):
        seen.append(("message", message.text))
        if message.text == "hi from the script":
            conn.send_binary(b"\\x01\\x02")
        elif message.text is None:
            conn.send_frame("opcode=1,payload=crafted")
        elif message.text == "crafted":
            conn.close(4000, "done")

    def on_frame(conn, frame):
        seen.append(("frame", frame.opcode))

    def on_close(conn, code, reason):
        seen.append(("close", code, reason))
"""


@pytest.mark.parametrize("kind", PEERS)
def test_each_hook_gets_its_event_against_real_peers(tmp_path: Path, kind: str) -> None:
    script = Script.load(write(tmp_path, CLIENT_SCRIPT))
    reports = Reports()

    async def main() -> None:
        runner = HookRunner(script, reports.append)
        async with peer(kind) as url:
            conn = await hooked(url, runner)
            await asyncio.wait_for(conn.wait_closed(), 5 * TIMEOUT_FACTOR)
        await runner.aclose()
        assert conn.final_state is not None and conn.final_state.clean

    bounded(main())
    seen = script.module.seen
    assert seen[0] == ("open", "client", True)
    messages = [s[1] for s in seen if s[0] == "message"]
    assert messages == ["hi from the script", None, "crafted"]
    assert [s[1] for s in seen if s[0] == "frame"] == [1, 2, 1, 8]
    assert seen[-1] == ("close", 4000, "done" if kind == "websockets" else "")
    assert reports == []


def test_a_hook_that_raises_is_reported_and_the_connection_goes_on(tmp_path: Path) -> None:
    script = Script.load(
        write(
            tmp_path,
            """
            def on_message(conn, message):
                raise ValueError("no " + message.text)
            """,
        )
    )
    reports = Reports()

    async def main() -> Connection:
        runner = HookRunner(script, reports.append)
        async with peer("ours") as url:
            conn = await hooked(url, runner)
            for n in range(5):
                conn.send_text(f"m{n}")
            await until(lambda: len(runner.errors) and runner.errors["on_message"] == 5)
            await conn.close()
        await runner.aclose()
        return conn

    conn: Connection = bounded(main())
    assert conn.final_state is not None and conn.final_state.clean
    errors = reports.of(ReportKind.ERROR)
    assert [r.text for r in errors] == [
        "on_message raised ValueError: no m0",
        "on_message raised ValueError: no m1",
        "on_message raised ValueError: no m2 (later exceptions of on_message are counted, "
        "not shown)",
    ]
    assert errors[0].detail.startswith("Traceback (most recent call last):")
    assert 'hooks.py", line 3, in on_message' in errors[0].detail
    assert "inspector/automation" not in errors[0].detail  # the runner's own frames left out
    assert reports.of(ReportKind.NOTE)[-1].text == "on_message raised 5 times in all"


def test_a_hook_that_blocks_is_reported_while_and_after(tmp_path: Path) -> None:
    script = Script.load(
        write(
            tmp_path,
            """
            import time

            def on_message(conn, message):
                time.sleep(0.3)
                conn.send_text("after the nap")
            """,
        )
    )
    reports = Reports()

    async def main() -> Connection:
        runner = HookRunner(script, reports.append, slow_after=0.1, watchdog=True)
        async with peer("ours") as url:
            conn = await hooked(url, runner)
            conn.send_text("sleep")
            await until(lambda: b"after the nap" in _sent(conn))
            await conn.close()
        await runner.aclose()
        return conn

    conn: Connection = bounded(main())
    assert conn.final_state is not None and conn.final_state.clean
    slow = [r.text for r in reports.of(ReportKind.SLOW)]
    assert slow[0] == "on_message has been running for more than 0.1 s: the connection waits for it"
    assert slow[1].startswith("on_message held the connection up for 0.3")
    assert slow[1].endswith("(more than 0.1 s): nothing is read or sent while a hook runs")


def _sent(conn: Connection) -> list[bytes]:
    """The data of the messages ``conn`` sent (inflated)."""
    store = conn.store
    assert store is not None
    return [m.data for m in messages_of(store, Role.CLIENT)]


def test_async_hooks_run_as_tasks_and_their_exceptions_are_reported(tmp_path: Path) -> None:
    script = Script.load(
        write(
            tmp_path,
            """
            import asyncio

            async def on_message(conn, message):
                await asyncio.sleep(0.01)
                if message.text == "fail":
                    raise RuntimeError("later")
                if message.text == "go":
                    conn.send_text("async answer")
            """,
        )
    )
    reports = Reports()

    async def main() -> Connection:
        runner = HookRunner(script, reports.append)
        async with peer("ours") as url:
            conn = await hooked(url, runner)
            conn.send_text("go")
            conn.send_text("fail")
            await until(lambda: b"async answer" in _sent(conn) and runner.errors)
            await conn.close()
        await runner.aclose()
        return conn

    bounded(main())
    [error] = reports.of(ReportKind.ERROR)
    assert error.text == "on_message raised RuntimeError: later"


# ------------------------------------------------------------ server position
def test_the_example_login_server_in_the_server_position() -> None:
    reports = Reports()
    runner = HookRunner(Script.load(SCRIPTS / "login_server.py"), reports.append)
    answers: list[str] = []

    async def main() -> None:
        async with peer("ours", on_event=runner.server_listener()) as url:
            conn = new_client_connection(url)
            conn.subscribe(
                lambda e: (
                    answers.append(e.message.text or "")
                    if isinstance(e, MessageCaptured) and e.dir is Direction.IN
                    else None
                )
            )
            await connect(url, connection=conn)
            await until(lambda: answers)
            conn.send_text('{"type": "login", "user": "ann", "token": "secret"}')
            await until(lambda: len(answers) >= 3)
            await conn.close()
            bad = await connect(url)
            bad.send_text('{"type": "login", "user": "eve", "token": "guess"}')
            await asyncio.wait_for(bad.wait_closed(), 5 * TIMEOUT_FACTOR)
            assert bad.final_state is not None and bad.final_state.code == 4003
        await runner.aclose()

    bounded(main())
    assert answers[0] == '{"type": "login-required"}'
    assert '{"type": "welcome", "user": "ann"}' in answers
    logs = [(r.label, r.text) for r in reports.of(ReportKind.LOG)]
    assert ("[1]", "closed 1000 user ann") in logs
    assert ("[2]", "refused a login with a wrong token") in logs


# ------------------------------------------------------------- proxy contract
def _message(text: str) -> Message:
    data = text.encode()
    return Message(1, data, text, 0, 0, len(data))


def test_transform_relays_what_the_hook_returns(tmp_path: Path) -> None:
    script = Script.load(
        write(
            tmp_path,
            """
            def on_client_message(conn, message):
                if message.text == "drop":
                    return None
                if message.text == "raise":
                    raise KeyError("x")
                if message.text == "number":
                    return 42
                if message.text == "bin":
                    return b"\\x00"
                return message
            """,
        )
    )
    reports = Reports()
    runner = HookRunner(script, reports.append)
    hconn = HookConnection(new_connection(), runner)

    def through(text: str, hook: str = "on_client_message") -> Message | None:
        return runner.transform(hook, hconn, _message(text))

    kept = _message("keep")
    assert runner.transform("on_client_message", hconn, kept) is kept
    assert through("drop") is None
    assert through("raise") == _message("raise")  # an error never drops
    assert through("number") == _message("number")
    binary = through("bin")
    assert binary is not None and (binary.opcode, binary.data, binary.text) == (2, b"\x00", None)
    assert through("anything", "on_server_message") == _message("anything")  # no such hook
    assert [r.text for r in reports.of(ReportKind.ERROR)] == [
        "on_client_message raised KeyError: 'x'",
        "on_client_message raised TypeError: on_client_message returned int: return the "
        "message, a str, bytes or None",
    ]


def test_the_example_rewrite_script_doubles_prices() -> None:
    runner = HookRunner(Script.load(SCRIPTS / "rewrite.py"), lambda r: None)
    hconn = HookConnection(new_connection(), runner)
    changed = runner.transform("on_server_message", hconn, _message('{"price": 2, "n": "a"}'))
    assert changed is not None and changed.text == '{"price": 4, "n": "a"}'
    plain = _message("hello")
    assert runner.transform("on_server_message", hconn, plain) is plain


def new_connection() -> Connection:
    async def make() -> Connection:
        return new_client_connection("ws://127.0.0.1:9/")

    conn: Connection = asyncio.run(make())
    return conn


async def _greeting(ws: ServerConnection) -> None:
    with contextlib.suppress(ConnectionClosed):
        await ws.send('{"type": "login-required"}')
        async for message in ws:
            await ws.send(message)


def test_the_example_login_script_answers_a_websockets_server() -> None:
    reports = Reports()
    runner = HookRunner(Script.load(SCRIPTS / "login.py"), reports.append)

    async def main() -> Connection:
        async with peer("websockets", _greeting) as url:
            conn = await hooked(url, runner)
            await until(lambda: any(b'"type": "login"' in d for d in _sent(conn)))
            await listen_then_close(conn, 0.0)
        await runner.aclose()
        return conn

    bounded(main())
    assert [r.text for r in reports.of(ReportKind.LOG)] == ["answered the login request as demo"]


def test_on_message_is_called_when_the_connection_callback_is_taken(tmp_path: Path) -> None:
    # A client's on_message callback carries the messages to the hook; when something
    # else holds it, the capture events do.
    script = Script.load(
        write(tmp_path, "seen = []\ndef on_message(conn, m):\n    seen.append(m.text)\n")
    )
    theirs: list[str | None] = []

    async def main() -> None:
        runner = HookRunner(script, lambda r: None)
        async with peer("ours") as url:
            conn = new_client_connection(url)
            conn.on_message = lambda m: theirs.append(m.text)
            runner.attach(conn)
            await connect(url, connection=conn)
            conn.send_text("one")
            await until(lambda: script.module.seen)
            await conn.close()
        await runner.aclose()

    bounded(main())
    assert script.module.seen == ["one"] and theirs == ["one"]
