"""Tests of the rules and their records (inspector.protocol.violations)."""

from __future__ import annotations

from inspector.protocol.constants import CloseCode
from inspector.protocol.violations import Rule, Violation


def test_rule_metadata() -> None:
    assert Rule.UNMASKED_CLIENT_FRAME.rfc == "RFC 6455 §5.1"
    assert Rule.UNMASKED_CLIENT_FRAME.section == "5.1"
    assert Rule.UNMASKED_CLIENT_FRAME.url == "https://www.rfc-editor.org/rfc/rfc6455#section-5.1"
    assert Rule.INVALID_UTF8.close_code == 1007
    assert Rule.MESSAGE_TOO_LARGE.close_code == 1009
    assert Rule.COMPRESSED_CONTROL_FRAME.rfc == "RFC 7692 §6.1"
    for rule in Rule:
        assert Rule.from_slug(rule.slug) is rule
        assert rule.summary
        assert CloseCode(rule.close_code).name  # a registered code


def test_handshake_rules_name_their_sections() -> None:
    assert Rule.HANDSHAKE_INVALID.rfc == "RFC 6455 §4"
    assert Rule.REQUEST_KEY.rfc == "RFC 6455 §4.2.1"
    assert Rule.ACCEPT_MISSING.rfc == Rule.ACCEPT_MISMATCH.rfc == "RFC 6455 §4.1"
    assert Rule.KEY_REPEATED.url == "https://www.rfc-editor.org/rfc/rfc6455#section-11.3.1"
    assert Rule.HEADERS_TOO_LARGE.url == "https://www.rfc-editor.org/rfc/rfc7230#section-3.2.5"
    assert Rule.DEFLATE_NEGOTIATION.rfc == "RFC 7692 §7"
    # One rule per meaning: no two share a summary.
    assert len({rule.summary for rule in Rule}) == len(Rule)


def test_a_violation_in_words_and_in_json() -> None:
    ours = Violation(Rule.RESERVED_BIT, "RSV2 set", 10, deliberate=True)
    assert ours.sentence == "RSV2 set (RFC 6455 §5.2)"
    assert str(ours) == "reserved-bit (RFC 6455 §5.2) at byte 10: RSV2 set"
    assert ours.to_json() == {
        "rule": "reserved-bit",
        "rfc": "RFC 6455 §5.2",
        "message": "RSV2 set",
        "offset": 10,
        "close_code": 1002,
        "deliberate": True,
    }
    theirs = Violation(Rule.ACCEPT_MISSING, "no Sec-WebSocket-Accept header")
    assert theirs.sentence == "no Sec-WebSocket-Accept header (RFC 6455 §4.1)"
    assert str(theirs) == "accept-missing (RFC 6455 §4.1): no Sec-WebSocket-Accept header"
    assert theirs.to_json()["deliberate"] is False
