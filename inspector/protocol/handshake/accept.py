"""``Sec-WebSocket-Key`` and ``Sec-WebSocket-Accept``: the maths, step by step.

https://www.rfc-editor.org/rfc/rfc6455#section-1.3 and section 4.2.2 (step 5, item 4):
``accept = base64(SHA-1(key + GUID))``, where the key is taken as the client sent it
(still base64, not decoded). The steps are kept so that the window can show a learner
how the key becomes the accept value.
"""

from __future__ import annotations

import base64
import binascii
import os
from dataclasses import dataclass

from ..constants import GUID

__all__ = [
    "AcceptCheck",
    "AcceptDerivation",
    "check_accept",
    "compute_accept",
    "derive_accept",
    "generate_key",
    "key_problem",
]


def generate_key() -> str:
    """A fresh ``Sec-WebSocket-Key``: base64 of 16 random bytes (RFC 6455 section 4.1).

    https://www.rfc-editor.org/rfc/rfc6455#section-4.1
    """
    return base64.b64encode(os.urandom(16)).decode("ascii")


@dataclass(frozen=True, slots=True)
class AcceptDerivation:
    """Every step from a ``Sec-WebSocket-Key`` to its ``Sec-WebSocket-Accept``."""

    key: str
    guid: str
    concatenated: str
    sha1_digest: bytes
    sha1_hex: str
    accept: str


def derive_accept(key: str) -> AcceptDerivation:
    """Compute ``Sec-WebSocket-Accept`` for ``key`` and keep the intermediate values.

    The key is hashed as ISO-8859-1 bytes, which are the bytes on the wire for any key
    a parser here produced; a ``str`` with characters above U+00FF raises ``ValueError``.
    https://www.rfc-editor.org/rfc/rfc6455#section-4.2.2
    """
    # hashlib loads OpenSSL's libcrypto (2-14 ms, measured): with the first handshake,
    # not with every module that names an accept check (the window's first screen).
    import hashlib

    concatenated = key + GUID
    # SHA-1 is what the RFC prescribes; it guards against a confused server, not an
    # attacker, so it must not be refused where FIPS mode bans SHA-1 for security use.
    digest = hashlib.sha1(concatenated.encode("latin-1"), usedforsecurity=False).digest()
    return AcceptDerivation(
        key=key,
        guid=GUID,
        concatenated=concatenated,
        sha1_digest=digest,
        sha1_hex=digest.hex(),
        accept=base64.b64encode(digest).decode("ascii"),
    )


def compute_accept(key: str) -> str:
    """``Sec-WebSocket-Accept`` for ``key`` (RFC 6455 section 4.2.2)."""
    return derive_accept(key).accept


@dataclass(frozen=True, slots=True)
class AcceptCheck:
    """The ``Sec-WebSocket-Accept`` a client expected against the one it received, with
    the derivation steps (key + GUID, SHA-1 in hex) for learners.

    ``received`` is ``None`` when the response had no such header. The one record of
    the check: the handshake parser makes it and the capture keeps it (a capture file
    may lack the derivation steps; they are then empty).
    https://www.rfc-editor.org/rfc/rfc6455#section-4.1 (client step 4)
    """

    key: str
    expected: str
    received: str | None
    ok: bool
    concatenated: str = ""
    sha1_hex: str = ""

    @property
    def missing(self) -> bool:
        """The response had no ``Sec-WebSocket-Accept`` at all (not a wrong one)."""
        return self.received is None


def check_accept(key: str, received: str | None) -> AcceptCheck:
    """Compare a received ``Sec-WebSocket-Accept`` with the one ``key`` calls for."""
    derivation = derive_accept(key)
    return AcceptCheck(
        key=key,
        expected=derivation.accept,
        received=received,
        ok=received == derivation.accept,
        concatenated=derivation.concatenated,
        sha1_hex=derivation.sha1_hex,
    )


def key_problem(key: str) -> str | None:
    """What is wrong with a received ``Sec-WebSocket-Key``, or ``None``: the value,
    base64-decoded, is 16 bytes long (section 4.2.1 item 5)."""
    try:
        decoded = base64.b64decode(key.encode("latin-1"), validate=True)
    except (binascii.Error, ValueError):
        return "is not valid base64"
    if len(decoded) != 16:
        return f"decodes to {len(decoded)} bytes, not 16"
    return None
