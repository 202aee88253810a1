"""Names for captures: the suggested file name and the title of a kept capture."""

from __future__ import annotations

import datetime

from inspector.capture.naming import capture_title, host_of, suggested_file_name

START = datetime.datetime(2024, 5, 1, 12, 0, 5).timestamp()  # local time


def test_the_host_leaves_out_credentials_and_the_path() -> None:
    assert host_of("wss://user:pw@echo.example:8765/feed?x=1") == "echo.example:8765"
    assert host_of("ws://[::1]:9/") == "[::1]:9"
    assert host_of("not a url") == "not a url"


def test_a_suggested_file_name_says_host_and_start_time() -> None:
    assert suggested_file_name("ws://echo.example:8765/x", START) == (
        "echo.example_8765-20240501-120005.jsonl"
    )
    assert suggested_file_name("ws://[::1]:9/", START, "har") == "1_9-20240501-120005.har"
    # Nothing usable of a host: still a name.
    assert suggested_file_name("", START) == "capture-20240501-120005.jsonl"
    # A start time out of range does not raise.
    assert suggested_file_name("ws://h/", 1e300).startswith("h-")


def test_a_kept_capture_is_titled_with_its_host_and_time() -> None:
    assert capture_title("ws://127.0.0.1:4242/echo", START) == "127.0.0.1:4242 12:00:05"
