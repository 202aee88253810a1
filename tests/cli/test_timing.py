"""Tests of time in ``capture``'s action language (inspector.cli.timing): repeated
sends folded into the send they modify, the preamble a reconnect replays, the file
each attempt writes, and the command lines that cannot be run."""

from __future__ import annotations

import argparse

import pytest

from inspector.cli.capture import check_actions, connect_options
from inspector.cli.main import parse_args
from inspector.cli.options import UsageError
from inspector.cli.timing import Repeat, attempt_path, preamble, reconnect_policy


def _ns(*args: str) -> argparse.Namespace:
    return parse_args(["capture", "ws://127.0.0.1:9/", *args])


def test_every_and_repeat_modify_the_send_that_follows() -> None:
    actions = check_actions(
        _ns(
            "--send", "a",
            "--every", "0.5", "--send", "hb",
            "--repeat", "3", "--send-binary", "01ff",
            "--every", "2", "--repeat", "4", "--ping", "p",
            "--close", "1000",
        ).actions
    )  # fmt: skip
    assert actions == [
        ("send", "a"),
        ("repeat", Repeat("send", "hb", None, 0.5)),
        ("repeat", Repeat("send_binary", b"\x01\xff", 3, None)),
        ("repeat", Repeat("ping", b"p", 4, 2.0)),
        ("close", (1000, "")),
    ]
    assert [a[1].background for a in actions[1:4]] == [True, False, True]


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--every", "1"], "--every 1 applies to the send that follows it"),
        (["--repeat", "2", "--close", "1000"], "and --close follows it"),
        (["--every", "0", "--send", "x"], "--every 0: a number of seconds above 0"),
        (["--repeat", "0", "--send", "x"], "--repeat 0: a number of times, 1 or more"),
    ],
)
def test_a_modifier_that_modifies_nothing_is_refused(args: list[str], words: str) -> None:
    with pytest.raises(UsageError, match=words):
        check_actions(_ns(*args).actions)


def test_the_preamble_is_the_sends_before_the_mark() -> None:
    actions = check_actions(
        _ns(
            "--send", "login",
            "--every", "5", "--send", "hb",
            "--expect", "ok",
            "--mark",
            "--send", "query",
            "--close", "1000",
        ).actions
    )  # fmt: skip
    assert preamble(actions) == [("send", "login"), ("repeat", Repeat("send", "hb", None, 5.0))]


def test_without_a_mark_every_send_is_the_preamble() -> None:
    actions = check_actions(_ns("--send", "a", "--ping", "--send", "b", "--close", "1000").actions)
    assert preamble(actions) == [("send", "a"), ("ping", b""), ("send", "b")]


def test_each_attempt_after_the_first_writes_its_own_file() -> None:
    assert attempt_path("out/cap.jsonl", 1) == "out/cap.jsonl"
    assert attempt_path("out/cap.jsonl", 2) == "out/cap.attempt-2.jsonl"
    assert attempt_path("cap.har", 12) == "cap.attempt-12.har"


def test_pong_and_ping_flags_reach_the_connect_options() -> None:
    options = connect_options(
        _ns("--pong-delay", "250", "--ping-every", "2", "--ping-timeout", "1.5")
    )
    assert options.auto_pong and options.pong_delay == 0.25
    assert options.keepalive_interval == 2 and options.ping_timeout == 1.5
    assert options.ping_late_fails and options.ping_payload == b""
    recorded = connect_options(
        _ns("--ping-every", "1", "--ping-late", "record", "--ping-payload", "hb")
    )
    assert not recorded.ping_late_fails and recorded.ping_payload == b"hb"
    assert not connect_options(_ns("--no-auto-pong")).auto_pong


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--pong-delay", "10", "--no-auto-pong"], "choose one"),
        (["--ping-timeout", "1"], "go with --ping-every S"),
        (["--ping-every", "1", "--ping-payload", "p" * 126], "at most 125 bytes"),
    ],
)
def test_pong_and_ping_flags_that_contradict_are_refused(args: list[str], words: str) -> None:
    with pytest.raises(UsageError, match=words):
        connect_options(_ns(*args))


def test_reconnect_policy_from_the_flags() -> None:
    assert reconnect_policy(_ns()) is None
    policy = reconnect_policy(_ns("--reconnect", "--max-attempts", "3", "--reconnect-delay", "2"))
    assert policy is not None and policy.max_attempts == 3 and policy.backoff.first == 2
    with pytest.raises(UsageError, match="goes with --reconnect"):
        reconnect_policy(_ns("--max-attempts", "3"))
    with pytest.raises(UsageError, match="1 or more"):
        reconnect_policy(_ns("--reconnect", "--max-attempts", "0"))
