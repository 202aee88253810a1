"""``ws-inspector probe`` as scripts use it: case order, the window's grade words,
``--fail-on``, and what the server says about itself shown escaped."""

from __future__ import annotations

import json
import re
import socket

import pytest

from inspector.cli.probe import FAIL_ON, failing
from inspector.probe import CASES, CaseResult, Grade
from inspector.probe.model import case_key

from ._cli_support import TERMINAL_CONTROLS, Serve, cli, thread_server, upgrade_response

# Against the lenient (observe mode) echo server: 1.1.1 passes; 3.1.1 fails (the
# message with RSV3 is echoed instead of failing the connection).
PASSING = ("--case", "1.1.1", "--case", "7.7.1")
MIXED = ("--case", "7.7.1", "--case", "3.1.1", "--case", "7.1.1", "--case", "1.1.1")


def result(case_id: str, grade: Grade) -> CaseResult:
    return CaseResult(case_id, "framing", "a case", grade, "expected", "observed")


def test_fail_on_counts_the_grade_and_worse() -> None:
    results = [result("1", Grade.PASSED), result("2", Grade.INFO), result("3", Grade.NON_STRICT)]
    assert failing(results, "failed") == []
    assert [r.id for r in failing(results, "non-strict")] == ["3"]
    results.append(result("4", Grade.FAILED))
    assert [r.id for r in failing(results, "failed")] == ["4"]
    assert [r.id for r in failing(results, "non-strict")] == ["3", "4"]
    assert set(FAIL_ON) == {Grade.FAILED.value, Grade.NON_STRICT.value}


def test_case_order_is_numeric() -> None:
    ids = ["7.9.10", "7.1.1", "7.9.2", "10.1", "6.21.2", "6.4.1"]
    assert sorted(ids, key=case_key) == ["6.4.1", "6.21.2", "7.1.1", "7.9.2", "7.9.10", "10.1"]
    # Every case id sorts (no id the key cannot take).
    assert len(sorted((c.id for c in CASES), key=case_key)) == len(CASES)


@pytest.mark.slow
def test_output_is_in_case_order_with_the_windows_grade_words(serve: Serve) -> None:
    table = cli("probe", serve.url, *MIXED, "--timeout", "2")
    assert table.returncode == 0, table.stderr
    rows = [line.split() for line in table.stdout.splitlines() if re.match(r"\d+\.\d", line)]
    assert [(r[0], r[1]) for r in rows] == [
        ("1.1.1", "passed"),
        ("3.1.1", "failed"),
        ("7.1.1", "passed"),
        ("7.7.1", "passed"),
    ]
    assert table.stdout.splitlines()[-1] == "4 cases: 3 passed, 0 non-strict, 1 failed, 0 info"
    as_json = cli("probe", serve.url, *MIXED, "--timeout", "2", "--json")
    records = [json.loads(line) for line in as_json.stdout.splitlines()]
    assert [(r["id"], r["grade"]) for r in records] == [(r[0], r[1]) for r in rows]


@pytest.mark.slow
def test_fail_on_sets_the_exit_status(serve: Serve) -> None:
    assert cli("probe", serve.url, *PASSING, "--fail-on", "non-strict").returncode == 0
    failed = cli("probe", serve.url, *MIXED, "--fail-on", "failed", "--json")
    assert failed.returncode == 1
    assert failed.stderr.splitlines()[-1] == "ws-inspector probe: 1 case(s) graded failed: 3.1.1"
    assert len(failed.stdout.splitlines()) == 4  # the report is printed all the same
    assert cli("probe", serve.url, *MIXED).returncode == 0  # without --fail-on
    usage = cli("probe", serve.url, *PASSING, "--fail-on", "info")
    assert usage.returncode == 2 and "--fail-on" in usage.stderr


HOSTILE = "\x1b]0;pwned\x07\x1b[2J\x9b31m\u202eevil\u2066"


@pytest.mark.slow
def test_what_the_server_says_is_shown_escaped() -> None:
    reason = HOSTILE.encode()[:40]

    def hostile(sock: socket.socket, head: bytes) -> None:
        sock.sendall(
            # Header bytes are ISO-8859-1 (RFC 9110 §5.5): 0x9b is the C1 CSI.
            upgrade_response(head, extra=b"Server: \x1b]0;pwned\x07\x1b[2J\x9b31mevil\r\n")
            + bytes([0x88, 2 + len(reason)])
            + b"\x03\xf0"
            + reason
        )
        sock.recv(4096)

    with thread_server(hostile) as port:
        result = cli("probe", f"ws://127.0.0.1:{port}/", *PASSING, "-v", "--timeout", "1")
    assert result.returncode == 0, result.stderr
    for text in (result.stdout, result.stderr):
        assert not any(c in text for c in TERMINAL_CONTROLS), repr(text)
    summary = next(line for line in result.stdout.splitlines() if line.startswith("ws://"))
    assert "(\\e]0;pwned\\x07\\e[2J\\x9b31mevil)" in summary


@pytest.mark.slow
def test_a_refused_upgrade_is_the_engines_one_sentence() -> None:
    """Issue 9 item 17: the probe says why it cannot start as the capture does."""

    def redirect(sock: socket.socket, head: bytes) -> None:
        sock.sendall(
            b"HTTP/1.1 302 Found\r\nLocation: https://example.test/login\r\n"
            b"Content-Length: 0\r\n\r\n"
        )

    with thread_server(redirect) as port:
        url = f"ws://127.0.0.1:{port}/"
        result = cli("probe", url, *PASSING, "--timeout", "2")
    assert result.returncode != 0
    assert result.stderr.splitlines() == [
        f"ws-inspector probe: cannot reach {url}: the server answered 302 Found, not 101 "
        "Switching Protocols; it redirects to https://example.test/login"
    ]
