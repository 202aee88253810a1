"""Fingerprints and pins, and a certificate read from its bytes alone."""

from __future__ import annotations

import hashlib
import ssl
from typing import TYPE_CHECKING

import pytest

from inspector.engine.certificates import decode_certificate, fingerprint, same_fingerprint

if TYPE_CHECKING:
    import trustme
else:
    trustme = pytest.importorskip("trustme")


def test_fingerprint_and_pins_in_any_spelling() -> None:
    der = b"not really a certificate"
    digest = hashlib.sha256(der).hexdigest()
    shown = fingerprint(der)
    assert shown == ":".join(digest[i : i + 2] for i in range(0, 64, 2)).upper()
    for pin in (shown, shown.lower(), digest, digest.upper(), shown.replace(":", " ")):
        assert same_fingerprint(pin, der)
    assert not same_fingerprint(digest[:-2], der)  # a prefix is not a pin
    assert not same_fingerprint(fingerprint(b"another"), der)
    assert not same_fingerprint("", der)


def test_a_certificate_is_read_from_its_bytes_without_verifying_it() -> None:
    leaf = trustme.CA().issue_cert("example.test", "127.0.0.1", common_name="leaf.test")
    der = ssl.PEM_cert_to_DER_cert(leaf.cert_chain_pems[0].bytes().decode("ascii"))
    cert = decode_certificate(der)
    assert "commonName=leaf.test" in cert.subject
    assert "organizationName=trustme" in cert.issuer
    assert cert.sans == ("DNS:example.test", "IP:127.0.0.1")
    assert cert.not_before.endswith("GMT") and cert.not_after.endswith("GMT")
    assert cert.sha256 == fingerprint(der)
    labels = [label for label, _ in cert.fields()]
    assert labels == ["Subject", "Issuer", "Valid from", "Valid until", "SHA-256", "Names"]


def test_bytes_that_are_no_certificate_still_have_a_fingerprint() -> None:
    cert = decode_certificate(b"\x30\x03garbage")
    assert (cert.subject, cert.issuer, cert.sans) == ("", "", ())
    assert cert.sha256 == fingerprint(b"\x30\x03garbage")
