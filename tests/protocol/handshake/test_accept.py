"""Tests of Sec-WebSocket-Key and Sec-WebSocket-Accept (protocol.handshake.accept),
RFC 6455 sections 1.3 and 4.2.2."""

from __future__ import annotations

import base64
import hashlib

import websockets.utils
from hypothesis import given
from hypothesis import strategies as st

from inspector.protocol.constants import GUID
from inspector.protocol.handshake import (
    build_client_request,
    build_server_response,
    check_accept,
    compute_accept,
    derive_accept,
    generate_key,
)
from inspector.protocol.handshake.accept import key_problem

from .conftest import RFC_ACCEPT, RFC_KEY, parsed_request, parsed_response


def test_rfc_6455_section_1_3_example_step_by_step() -> None:
    derivation = derive_accept(RFC_KEY)
    assert derivation.key == RFC_KEY
    assert derivation.guid == GUID == "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
    assert derivation.concatenated == RFC_KEY + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
    # The SHA-1 bytes RFC 6455 section 1.3 prints for this key.
    rfc_sha1 = bytes.fromhex("b3 7a 4f 2c c0 62 4f 16 90 f6 46 06 cf 38 59 45 b2 be c4 ea")
    assert derivation.sha1_digest == rfc_sha1
    assert derivation.sha1_hex == "b37a4f2cc0624f1690f64606cf385945b2bec4ea"
    assert derivation.accept == RFC_ACCEPT
    assert compute_accept(RFC_KEY) == RFC_ACCEPT


def test_check_accept_reports_match_mismatch_and_absence() -> None:
    good = check_accept(RFC_KEY, RFC_ACCEPT)
    assert good.ok and good.expected == RFC_ACCEPT and good.received == RFC_ACCEPT
    assert good.sha1_hex.startswith("b37a4f2c") and good.concatenated == RFC_KEY + GUID
    assert good.key == RFC_KEY and not good.missing
    bad = check_accept(RFC_KEY, RFC_ACCEPT.lower())
    assert not bad.ok and bad.expected == RFC_ACCEPT and not bad.missing
    missing = check_accept(RFC_KEY, None)
    assert not missing.ok and missing.received is None and missing.missing


def test_the_capture_keeps_the_same_accept_check() -> None:
    from inspector.capture.events import AcceptCheck

    assert AcceptCheck is type(check_accept(RFC_KEY, RFC_ACCEPT))


def test_generate_key_is_base64_of_16_fresh_bytes() -> None:
    keys = {generate_key() for _ in range(8)}
    assert len(keys) == 8
    for key in keys:
        assert len(base64.b64decode(key, validate=True)) == 16
        assert key_problem(key) is None


def test_key_problems() -> None:
    assert key_problem("c2hvcnQ=") == "decodes to 5 bytes, not 16"
    assert key_problem("not base64!!") == "is not valid base64"


@given(st.binary(min_size=16, max_size=16))
def test_any_16_byte_key_round_trips_and_matches_an_independent_implementation(
    raw_key: bytes,
) -> None:
    key = base64.b64encode(raw_key).decode("ascii")
    derivation = derive_accept(key)
    assert derivation.accept == websockets.utils.accept_key(key)
    assert base64.b64decode(derivation.accept) == derivation.sha1_digest
    assert derivation.sha1_digest == hashlib.sha1((key + GUID).encode()).digest()
    assert check_accept(key, derivation.accept).ok
    request = parsed_request(build_client_request("h", key=key).raw)
    assert request.ok
    response = parsed_response(build_client_request("h", key=key), build_server_response(request))
    assert response.ok and response.accept_check.received == derivation.accept
