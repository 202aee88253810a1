"""``ws-inspector probe`` as a script runs it: JSON Lines, HTML, the table, exit
statuses (subprocesses, against a websockets server in a thread)."""

from __future__ import annotations

import contextlib
import json
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from _probe_support import ROOT, free_port

from inspector.probe import select_cases

pytestmark = pytest.mark.slow
SUMMARY = re.compile(r"^\d+ cases?: \d+ passed, \d+ non-strict, \d+ failed, \d+ info$")


@contextlib.contextmanager
def threaded_server() -> Iterator[str]:
    """A websockets echo server in a thread, for the command in a subprocess."""
    from websockets.sync.server import ServerConnection, serve

    def echo(ws: ServerConnection) -> None:
        with contextlib.suppress(Exception):
            for message in ws:
                ws.send(message)

    server = serve(echo, "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"ws://127.0.0.1:{server.socket.getsockname()[1]}/"
    finally:
        server.shutdown()
        thread.join(5)


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "inspector", "probe", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_cli_json_html_and_table(tmp_path: Path) -> None:
    html_file = tmp_path / "report.html"
    with threaded_server() as url:
        done = cli(url, "--category", "pings", "--category", "opcodes", "--json")
        text = cli(url, "--case", "7.9", "--html", str(html_file))
    assert done.returncode == 0, done.stderr
    records = [json.loads(line) for line in done.stdout.splitlines()]
    expected_ids = [c.id for c in select_cases(["pings", "opcodes"])]
    assert [r["id"] for r in records] == expected_ids
    for r in records:
        assert {"id", "category", "title", "grade", "expected", "observed", "close_code"} <= set(r)
        assert r["grade"] in {"passed", "non-strict", "failed", "info"}
        assert r["category"] in {"pings", "opcodes"} and r["duration"] >= 0
    by_id = {r["id"]: r for r in records}
    assert by_id["2.5"]["grade"] == "passed" and by_id["2.5"]["close_code"] == 1002
    assert by_id["4.1.3"]["close_code"] == 1002
    assert SUMMARY.match(done.stderr.strip().splitlines()[-1])

    assert text.returncode == 0, text.stderr
    last = text.stdout.strip().splitlines()[-1]
    assert SUMMARY.match(last) and last.startswith("12 cases: 12 passed")
    assert re.search(
        r"^7\.9\.4\s+passed\s+close\s+Close with invalid code 1005 \[1002\]$", text.stdout, re.M
    )
    page = html_file.read_text(encoding="utf-8")
    assert "7.9.12" in page and "<script>" in page and url in page


def test_cli_exit_statuses() -> None:
    port = free_port()
    refused = cli(f"ws://127.0.0.1:{port}/", "--category", "pings")
    assert refused.returncode == 1 and "cannot reach" in refused.stderr
    assert cli("ws://127.0.0.1:1/", "--category", "nope").returncode == 2
    assert cli("http://127.0.0.1/").returncode == 2
    assert cli("ws://127.0.0.1:1/", "--timeout", "0").returncode == 2
    assert cli().returncode == 2
    listing = cli("--list", "--category", "limits")
    assert listing.returncode == 0 and listing.stdout.strip().endswith(
        f"{len(select_cases(['limits']))} cases"
    )
