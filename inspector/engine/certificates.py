"""The peer's certificate: read it, fingerprint it, and fetch it when verification
rejected it.

Why a second handshake: Python's :mod:`ssl` has no verification callback, and on
3.11 and 3.12 no way to read the chain of a handshake that failed verification
(``SSLObject.get_unverified_chain`` is 3.13+, and asyncio drops the object when the
handshake fails anyway). So when the server's certificate is rejected, the client
makes one more TCP connection the same way (through the same proxy, if any) and a
TLS handshake without verification, reads the certificate and closes (bounded in
time; the server sees one extra connection that sends nothing after the handshake).
That is the certificate a user can then pin: connecting again with its SHA-256
fingerprint accepts exactly that certificate, and no other, without turning
verification off for anything else.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import os
import socket
import ssl
import tempfile
from typing import Any

from ..capture.events import PeerCertificate

__all__ = [
    "FETCH_TIMEOUT",
    "decode_certificate",
    "fetch_unverified_certificate",
    "fingerprint",
    "peer_certificate",
    "same_fingerprint",
]

log = logging.getLogger(__name__)

#: The longest the extra handshake that fetches a rejected certificate may take.
FETCH_TIMEOUT = 5.0

_SAN_KINDS = {"IP Address": "IP", "Registered ID": "RID"}


def fingerprint(der: bytes) -> str:
    """The SHA-256 fingerprint as browsers and openssl show it: ``AB:CD:...``."""
    return ":".join(f"{b:02X}" for b in hashlib.sha256(der).digest())


def _bare(text: str) -> str:
    return "".join(ch for ch in text.lower() if ch in "0123456789abcdef")


def same_fingerprint(pin: str, der: bytes) -> bool:
    """Whether ``der`` is the certificate ``pin`` names (hex, any case, with or
    without colons or spaces)."""
    return len(_bare(pin)) == 64 and _bare(pin) == _bare(fingerprint(der))


def _decode_der(der: bytes) -> dict[str, Any]:
    """The fields Python would not give for a certificate it did not verify.

    ``getpeercert()`` is empty without verification. The standard library's decoder
    is private API, so any failure just leaves the fields empty (the fingerprint,
    computed from the bytes, is always there).
    """
    decode = getattr(getattr(ssl, "_ssl", None), "_test_decode_cert", None)
    if decode is None:
        return {}
    path = None
    try:
        with tempfile.NamedTemporaryFile("w", suffix=".pem", delete=False) as f:
            f.write(ssl.DER_cert_to_PEM_cert(der))
            path = f.name
        decoded = decode(path)
        return decoded if isinstance(decoded, dict) else {}
    except Exception:  # a certificate we cannot read is shown as unknown, nothing worse
        log.debug("cannot decode the peer certificate", exc_info=True)
        return {}
    finally:
        if path is not None:
            try:
                os.unlink(path)
            except OSError:
                log.debug("cannot remove the temporary certificate file %s", path, exc_info=True)


def _name(fields: Any) -> str:
    try:
        return ", ".join(f"{k}={v}" for rdn in fields for (k, v) in rdn)
    except (TypeError, ValueError):
        return ""


def decode_certificate(der: bytes, fields: dict[str, Any] | None = None) -> PeerCertificate:
    """The certificate ``der`` in words; ``fields`` is ``getpeercert()`` when Python
    verified it (then nothing private is needed)."""
    info = fields or _decode_der(der)
    sans = tuple(
        f"{_SAN_KINDS.get(kind, kind)}:{value}"
        for kind, value in info.get("subjectAltName", ())
        if isinstance(kind, str)
    )
    return PeerCertificate(
        subject=_name(info.get("subject", ())),
        issuer=_name(info.get("issuer", ())),
        not_before=str(info.get("notBefore", "")),
        not_after=str(info.get("notAfter", "")),
        sha256=fingerprint(der),
        sans=sans,
    )


def peer_certificate(obj: ssl.SSLObject) -> PeerCertificate | None:
    """The certificate of an established TLS connection, verified or not."""
    der = obj.getpeercert(binary_form=True)
    if not der:
        return None
    return decode_certificate(der, dict(obj.getpeercert() or {}))


async def fetch_unverified_certificate(
    sock: socket.socket,
    context: ssl.SSLContext,
    server_hostname: str,
    timeout: float = FETCH_TIMEOUT,
) -> bytes | None:
    """The certificate a server presents, read in a TLS handshake on ``sock`` (a new,
    connected socket; closed here) that verifies nothing (``context`` must not
    verify); None if that handshake fails too."""
    loop = asyncio.get_running_loop()
    transport: asyncio.Transport | None = None
    try:
        transport, _ = await loop.create_connection(
            asyncio.Protocol,
            sock=sock,
            ssl=context,
            server_hostname=server_hostname,
            ssl_handshake_timeout=timeout,
        )
        obj = transport.get_extra_info("ssl_object")
        der = obj.getpeercert(binary_form=True) if isinstance(obj, ssl.SSLObject) else None
        return der or None
    except (OSError, ssl.SSLError, TimeoutError):
        log.debug("cannot fetch the rejected certificate again", exc_info=True)
        return None
    finally:
        if transport is not None:
            transport.abort()
        else:
            with contextlib.suppress(OSError):
                sock.close()
