"""Telling a HAR file from a capture by name and first bytes."""

from __future__ import annotations

from pathlib import Path

from inspector.capture.formats.sniff import looks_like_har


def test_har_by_name_or_content_and_a_capture_never(tmp_path: Path) -> None:
    har = tmp_path / "x.json"
    har.write_text('\ufeff  {"log": {"version": "1.2", "entries": []}}', encoding="utf-8")
    assert looks_like_har(har)
    capture = tmp_path / "x.har"
    capture.write_text('{"type": "session", "url": "ws://h/"}\n', encoding="utf-8")
    assert not looks_like_har(capture)  # a capture's session line, whatever its name
    assert looks_like_har(tmp_path / "missing.har")  # unreadable: the name decides
    assert not looks_like_har(tmp_path / "missing.jsonl")
    other = tmp_path / "notes.txt"
    other.write_text("log", encoding="utf-8")
    assert not looks_like_har(other)
