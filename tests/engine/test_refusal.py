"""The one sentence for a refused upgrade, from the parts a person acts on: the
status, a redirect's target, a challenge, the versions, what the body is and a few
of its words, never cut mid-word."""

from __future__ import annotations

import pytest

from inspector.engine.refusal import QUOTE_LIMIT, Refusal, body_quote, clip_words
from inspector.protocol.handshake import HandshakeResponse, build_client_request, parse_response
from inspector.views.text import format_bytes


def refusal(head: str, body: bytes = b"") -> Refusal:
    request = build_client_request("example.test")
    response = parse_response(request, head.replace("\n", "\r\n").encode("latin-1") + body)
    assert isinstance(response, HandshakeResponse)
    return Refusal.from_response(response)


def test_a_web_page_is_named_by_its_title() -> None:
    page = (
        b"<!doctype html><html><head><title>Welcome \n to  Example</title>"
        b"<style>body { color: red }</style></head><body><h1>Hello</h1>"
        + b"<p>words</p>" * 500
        + b"</body></html>"
    )
    found = refusal(
        f"HTTP/1.1 200 OK\nContent-Type: text/html; charset=utf-8\nContent-Length: {len(page)}\n\n",
        page,
    )
    assert (found.status, found.content_type, found.body_size) == (200, "text/html", len(page))
    assert found.quote == "Welcome to Example"
    assert found.sentence == (
        "the server answered 200 OK, not 101 Switching Protocols; "
        f"body ({format_bytes(len(page))}, text/html): “Welcome to Example”"
    )


def test_a_page_without_a_title_is_quoted_by_its_first_visible_words() -> None:
    page = b"<html><script>var secret = 1;</script><h1>Not found</h1><p>Try " + b"again " * 40
    quote = body_quote(page, "text/html")
    assert quote.startswith("Not found Try again again")
    assert "secret" not in quote
    assert quote.endswith("again…") and len(quote) <= QUOTE_LIMIT


def test_a_redirect_says_where_to() -> None:
    found = refusal(
        "HTTP/1.1 302 Found\nLocation: https://example.test/login\nContent-Length: 0\n\n"
    )
    assert found.location == "https://example.test/login"
    assert found.sentence == (
        "the server answered 302 Found, not 101 Switching Protocols; "
        "it redirects to https://example.test/login"
    )
    # A Location on a status that is not a redirect is not a redirect.
    assert refusal("HTTP/1.1 200 OK\nLocation: /x\n\n").location is None


def test_a_challenge_and_a_plain_text_body() -> None:
    found = refusal(
        'HTTP/1.1 401 Unauthorized\nWWW-Authenticate: Bearer realm="api"\n'
        "Content-Type: text/plain\nContent-Length: 21\n\n",
        b"missing bearer token\n",
    )
    assert found.sentence == (
        "the server answered 401 Unauthorized, not 101 Switching Protocols; "
        'it asks for authentication: Bearer realm="api"; '
        "body (21 B, text/plain): “missing bearer token”"
    )


def test_a_version_mismatch_names_the_versions() -> None:
    found = refusal("HTTP/1.1 426 Upgrade Required\nSec-WebSocket-Version: 8, 7\n\n")
    assert found.versions == ("8, 7",)
    assert found.sentence.endswith("; it supports Sec-WebSocket-Version 8, 7")


@pytest.mark.parametrize(
    ("body", "kind"),
    [
        (b"\x00\x01\x02binary", ""),
        (b"\x89PNG\r\n\x1a\n", "image/png"),
        (b"caf\xe9 latin-1", "text/plain"),
        (b"plain words", "application/octet-stream"),
    ],
)
def test_a_body_that_is_not_text_is_not_quoted(body: bytes, kind: str) -> None:
    assert body_quote(body, kind) == ""
    head = f"HTTP/1.1 500 Oops\nContent-Type: {kind}\n\n" if kind else "HTTP/1.1 500 Oops\n\n"
    found = refusal(head, body)
    assert found.sentence.endswith(f"body ({len(body)} B{', ' + kind if kind else ''})")


def test_json_and_a_body_declared_but_not_kept() -> None:
    assert body_quote(b'{\n  "error": "forbidden",\n  "code": 42\n}', "application/json") == (
        '{ "error": "forbidden", "code": 42 }'
    )
    # A body the server declared but did not send (or that was not kept) still counts.
    declared = refusal("HTTP/1.1 403 Forbidden\nContent-Length: 10\n\n")
    assert declared.sentence.endswith("; body (10 B)")


def test_words_are_cut_between_words() -> None:
    assert clip_words("one  two\nthree", 80) == "one two three"
    assert clip_words("alpha beta gamma delta", 14) == "alpha beta…"
    assert clip_words("x" * 30, 10) == "x" * 9 + "…"
    assert clip_words("the end, of a sentence", 10) == "the end…"  # no dangling comma


def test_the_sentence_is_one_line_whatever_the_peer_sends() -> None:
    found = refusal(
        "HTTP/1.1 200 \x1b]0;title\x07\nLocation: /\nContent-Type: text/plain\n\n",
        b"line one\r\nline two\x1b[2J",
    )
    assert "\n" not in found.sentence and "\r" not in found.sentence
    assert found.quote == ""  # a body with a terminal escape in it is not quoted
