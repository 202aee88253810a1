"""``ws-inspector convert`` and ``capture -o FILE.har``, run as a user runs them: a
subprocess each, bounded by a timeout. Failures are one line on stderr and exit 2."""

from __future__ import annotations

import asyncio
import copy
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from inspector.capture.events import ConnectionState, SessionInfo, SessionRole, StateChanged
from inspector.capture.formats.har import WITHHELD
from inspector.capture.formats.journal import JournalWriter
from inspector.capture.formats.jsonl import JOURNAL_UNFINISHED, read_jsonl, write_jsonl
from inspector.capture.store import CaptureStore
from inspector.engine.server import EchoServer

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = ROOT / "tests" / "capture" / "formats" / "fixtures" / "chrome-devtools.har"
HUGE = str(10**400)

pytestmark = pytest.mark.slow  # a subprocess each


def cli(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "inspector", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=ROOT,
        stdin=subprocess.DEVNULL,
    )


def one_line_failure(result: subprocess.CompletedProcess[str], words: str) -> None:
    assert result.returncode == 2, result
    assert "Traceback" not in result.stderr
    (line,) = result.stderr.splitlines()
    assert line.startswith("ws-inspector convert: ") and words in line, line


def live_capture(tmp_path: Path, *extra: str) -> Path:
    """A real session against our echo server, saved by ``capture -o``."""
    path = tmp_path / "live.jsonl"

    async def main() -> None:
        async with EchoServer("127.0.0.1", 0) as server:
            proc = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "inspector", "capture", server.url,
                "-H", "Cookie: session=s3cr3t", "-H", "Authorization: Bearer tok3n",
                "--send", "hello", "--send-binary", "00ff", "--send", "é" * 300,
                "--close", "1000", "--no-journal", "-o", str(path), *extra,
                cwd=ROOT, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
            )  # fmt: skip
            _, err = await proc.communicate()
            assert proc.returncode == 0, err

    asyncio.run(asyncio.wait_for(main(), 30))
    return path


def chrome_ws_entry() -> dict[str, Any]:
    fixture = json.loads(FIXTURE.read_text(encoding="utf-8"))
    entry: dict[str, Any] = copy.deepcopy(fixture["log"]["entries"][2])
    return entry


# ------------------------------------------------------------------ conversions


def test_a_capture_to_har_and_back(tmp_path: Path) -> None:
    capture = live_capture(tmp_path)
    har_path = tmp_path / "live.har"
    result = cli("convert", str(capture), str(har_path))
    assert result.returncode == 0 and result.stderr == "", result.stderr
    assert result.stdout.startswith(f"{har_path}: 1 session(s), ")
    har = json.loads(har_path.read_text(encoding="utf-8"))
    (entry,) = har["log"]["entries"]
    assert entry["_resourceType"] == "websocket" and entry["response"]["status"] == 101
    messages = entry["_webSocketMessages"]
    sent = [("send", 1, "hello"), ("send", 2, "AP8="), ("send", 1, "é" * 300)]
    echoed = [("receive", op, data) for _, op, data in sent]
    got = [(m["type"], m["opcode"], m["data"]) for m in messages]
    assert sorted(got) == sorted(sent + echoed)
    assert [m for m in got if m[0] == "send"] == sent
    headers = {h["name"]: h["value"] for h in entry["request"]["headers"]}
    assert headers["Cookie"] == WITHHELD and headers["Authorization"] == WITHHELD
    assert "s3cr3t" not in har_path.read_text(encoding="utf-8")

    back = tmp_path / "back.jsonl"
    result = cli("convert", str(har_path), str(back))
    assert result.returncode == 0, result.stderr
    loaded = read_jsonl(back)
    assert loaded.complete and loaded.store.session.source == "har"
    payloads = [b"hello", b"\x00\xff", ("é" * 300).encode()] * 2
    assert sorted(loaded.store.payloads) == sorted(payloads)


def test_include_secrets_keeps_credentials(tmp_path: Path) -> None:
    capture = live_capture(tmp_path)
    har_path = tmp_path / "secret.har"
    result = cli("convert", str(capture), str(har_path), "--include-secrets")
    assert result.returncode == 0, result.stderr
    text = har_path.read_text(encoding="utf-8")
    assert "session=s3cr3t" in text and "Bearer tok3n" in text and WITHHELD not in text


def test_capture_writes_har_directly(tmp_path: Path) -> None:
    async def main() -> None:
        async with EchoServer("127.0.0.1", 0) as server:
            proc = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "inspector", "capture", server.url,
                "-H", "Authorization: Bearer tok3n", "--send", "straight to HAR",
                "--close", "1000", "--no-journal", "-o", str(tmp_path / "direct.har"),
                cwd=ROOT, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
            )  # fmt: skip
            _, err = await proc.communicate()
            assert proc.returncode == 0 and err == b"", err

    asyncio.run(asyncio.wait_for(main(), 30))
    har = json.loads((tmp_path / "direct.har").read_text(encoding="utf-8"))
    (entry,) = har["log"]["entries"]
    assert [m["data"] for m in entry["_webSocketMessages"]] == ["straight to HAR"] * 2
    assert "tok3n" not in json.dumps(har)


def test_the_chrome_fixture_to_a_capture(tmp_path: Path) -> None:
    out = tmp_path / "chrome.jsonl"
    result = cli("convert", str(FIXTURE), str(out))
    assert result.returncode == 0 and result.stderr == ""
    assert result.stdout == f"{out}: 1 session(s), 8 frame(s)\n"
    loaded = read_jsonl(out)
    assert loaded.complete and len(loaded.store) == 8
    assert loaded.store.session.url == "wss://chat.example.com/socket?room=lobby&v=2"


def test_several_websocket_entries_give_numbered_files(tmp_path: Path) -> None:
    second = chrome_ws_entry()
    second["request"]["url"] = "wss://chat.example.com/second"
    second["_webSocketMessages"] = second["_webSocketMessages"][:3]
    log: dict[str, Any] = {"version": "1.2", "creator": {"name": "t", "version": "1"}}
    log["entries"] = [chrome_ws_entry(), second]
    source = tmp_path / "two.har"
    source.write_text(json.dumps({"log": log}), encoding="utf-8")
    result = cli("convert", str(source), str(tmp_path / "out.jsonl"))
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        f"{tmp_path / 'out-1.jsonl'}: 1 session(s), 8 frame(s)",
        f"{tmp_path / 'out-2.jsonl'}: 1 session(s), 3 frame(s)",
    ]
    assert not (tmp_path / "out.jsonl").exists()
    second_store = read_jsonl(tmp_path / "out-2.jsonl").store
    assert second_store.session.url == "wss://chat.example.com/second"
    # To HAR, all sessions go in one file.
    result = cli("convert", str(source), str(tmp_path / "again.har"))
    assert result.returncode == 0
    again = json.loads((tmp_path / "again.har").read_text(encoding="utf-8"))
    assert len(again["log"]["entries"]) == 2


def test_a_crashed_journal_converts_with_a_warning(tmp_path: Path) -> None:
    session = SessionInfo("ws://crashed.test/", SessionRole.CLIENT, "", 0.0)
    writer = JournalWriter(tmp_path / "crashed.jsonl", session)
    writer.add(StateChanged(0.0, ConnectionState.OPEN))
    writer.flush()
    writer.abandon()
    result = cli("convert", str(tmp_path / "crashed.jsonl"), str(tmp_path / "saved.jsonl"))
    assert result.returncode == 0
    assert result.stderr.splitlines() == [
        f"ws-inspector convert: warning: {tmp_path / 'crashed.jsonl'}: {JOURNAL_UNFINISHED}"
    ]
    saved = read_jsonl(tmp_path / "saved.jsonl")
    assert saved.complete and saved.kind == "capture"


def test_har_problems_are_warnings(tmp_path: Path) -> None:
    entry = chrome_ws_entry()
    entry["_webSocketMessages"].append({"type": "send", "opcode": 1, "data": "no time"})
    source = tmp_path / "odd.har"
    source.write_text(json.dumps({"log": {"entries": [entry]}}), encoding="utf-8")
    result = cli("convert", str(source), str(tmp_path / "odd.jsonl"))
    assert result.returncode == 0
    assert result.stderr.splitlines() == [
        f"ws-inspector convert: warning: {source}: entry 1: message 9 skipped: "
        '"time" must be seconds since the Unix epoch, not null'
    ]


def strict_loads(text: str) -> Any:
    def refuse(token: str) -> Any:
        raise ValueError(f"{token} is not JSON")

    return json.loads(text, parse_constant=refuse)


def test_numbers_json_cannot_hold_are_warnings_not_tracebacks(tmp_path: Path) -> None:
    store = CaptureStore(SessionInfo("ws://x/", SessionRole.CLIENT, "", 0.0))
    store.add(StateChanged(0.5, ConnectionState.OPEN))
    store.add(StateChanged(0.6, ConnectionState.CLOSED, 1000, "", True))
    source = tmp_path / "odd.jsonl"
    write_jsonl(store, source)
    lines = source.read_text().splitlines()
    lines[1] = lines[1].replace('"t":0.5', f'"t":{HUGE}')
    lines[2] = lines[2].replace('"t":0.6', '"t":NaN')
    source.write_text("\n".join(lines) + "\n")
    for target in (tmp_path / "odd.har", tmp_path / "again.jsonl"):
        result = cli("convert", str(source), str(target))
        assert result.returncode == 0 and "Traceback" not in result.stderr
        warnings = result.stderr.splitlines()
        assert warnings[:2] == [
            f"ws-inspector convert: warning: {source}: line 2: state skipped: "
            '"t" must be a finite number, not ' + HUGE[:37] + "...",
            f"ws-inspector convert: warning: {source}: line 3: state skipped: "
            '"t" must be a finite number, not NaN',
        ]
        text = target.read_text(encoding="utf-8")
        for line in text.splitlines() if target.suffix == ".jsonl" else [text]:
            strict_loads(line)
    entry = chrome_ws_entry()
    entry["response"]["status"] = 12345
    har = tmp_path / "huge.har"
    har.write_text(json.dumps({"log": {"entries": [entry]}}).replace("12345", HUGE))
    result = cli("convert", str(har), str(tmp_path / "huge.jsonl"))
    assert result.returncode == 0 and "Traceback" not in result.stderr
    assert 'the response "status" is not a number' in result.stderr


# --------------------------------------------------------------------- failures


def capture_file(tmp_path: Path) -> Path:
    path = tmp_path / "small.jsonl"
    write_jsonl(CaptureStore(SessionInfo("ws://x/", SessionRole.CLIENT, "", 0.0)), path)
    return path


@pytest.mark.parametrize(
    ("make", "words"),
    [
        (lambda p: (capture_file(p), p / "out.txt"), "out.txt: unknown extension '.txt'"),
        (lambda p: (p / "in.pcap", p / "out.har"), "in.pcap: unknown extension '.pcap'"),
        (lambda p: (capture_file(p), p / "noext"), "unknown extension '(none)'"),
        (lambda p: (p / "missing.jsonl", p / "out.har"), "cannot read"),
        (lambda p: (p / "missing.har", p / "out.jsonl"), "No such file or directory"),
        (lambda p: (capture_file(p), p / "no" / "dir" / "x.har"), "cannot write"),
        (lambda p: (capture_file(p), p / "small.jsonl"), "the same file"),
    ],
)
def test_usage_and_file_errors(tmp_path: Path, make: Any, words: str) -> None:
    source, target = make(tmp_path)
    one_line_failure(cli("convert", str(source), str(target)), words)


@pytest.mark.parametrize(
    ("name", "content", "words"),
    [
        ("junk.har", b"\x00\x01\x02garbage", "not a HAR file: it holds binary data"),
        ("cut.har", FIXTURE.read_bytes()[:3000], "not a HAR file: it is not valid JSON"),
        ("nolog.har", b'{"entries": []}', 'not a HAR file: it has no "log" object'),
        (
            "plain.har",
            b'{"log": {"entries": [{"request": {"url": "https://x/"}}]}}',
            "no WebSocket connection",
        ),
        ("junk.jsonl", b"\x89PNG\r\n\x1a\n\x00", "not a ws-inspector capture"),
        ("empty.jsonl", b"", "the file is empty"),
        ("har.jsonl", FIXTURE.read_bytes(), "it looks like a HAR file"),
        (
            "v9.jsonl",
            b'{"type":"session","format":"ws-inspector-capture","version":9}\n',
            "newer than this program reads",
        ),
    ],
)
def test_files_that_cannot_be_read(tmp_path: Path, name: str, content: bytes, words: str) -> None:
    source = tmp_path / name
    source.write_bytes(content)
    target = tmp_path / ("out.jsonl" if name.endswith(".har") else "out.har")
    one_line_failure(cli("convert", str(source), str(target)), words)
    assert not target.exists()


def test_convert_has_help() -> None:
    result = cli("convert", "--help")
    assert result.returncode == 0 and "--include-secrets" in result.stdout
    assert "OUT-1.jsonl" in result.stdout.replace("\n", " ")
