"""The local CA: made once with a private key file, reused, and issuing leaves that a
TLS client trusting the CA accepts for the right host only."""

from __future__ import annotations

import asyncio
import ssl
from pathlib import Path

import pytest

from inspector.engine.proxy import LocalCA

from .._engine_support import run_async


def test_the_ca_is_made_once_with_an_owner_only_key(tmp_path: Path) -> None:
    first = LocalCA(tmp_path / "ca")
    assert first.key_path.stat().st_mode & 0o777 == 0o600
    assert (tmp_path / "ca").stat().st_mode & 0o777 == 0o700
    again = LocalCA(tmp_path / "ca")
    assert again.pem() == first.pem()
    out = tmp_path / "export.pem"
    again.export(out)
    assert out.read_bytes() == first.pem()
    # The leaves of one run share a key: one hash tells a browser to trust them all.
    assert first.spki_sha256() == first.spki_sha256()
    assert len(first.spki_sha256()) == 44


@pytest.mark.parametrize("host", ["localhost", "127.0.0.1"])
def test_a_leaf_is_accepted_for_its_host_and_refused_for_another(tmp_path: Path, host: str) -> None:
    ca = LocalCA(tmp_path)

    async def handshake(name: str) -> None:
        async def handle(_r: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            writer.close()

        server = await asyncio.start_server(handle, "127.0.0.1", 0, ssl=ca.server_context(host))
        port = server.sockets[0].getsockname()[1]
        trust = ssl.create_default_context(cafile=str(ca.cert_path))
        try:
            _, writer = await asyncio.open_connection(
                "127.0.0.1", port, ssl=trust, server_hostname=name
            )
            writer.close()
        finally:
            server.close()
            await server.wait_closed()

    async def main() -> None:
        await handshake(host)
        with pytest.raises(ssl.SSLCertVerificationError):
            await handshake("other.example")

    run_async(main)
    assert ca.server_context(host) is ca.server_context(host)  # cached


def test_the_leaf_key_and_its_hash_stay_from_run_to_run(tmp_path: Path) -> None:
    import stat

    from inspector.engine.proxy.ca import LEAF_KEY_NAME, LocalCA

    first = LocalCA(tmp_path / "ca").spki_sha256()
    assert LocalCA(tmp_path / "ca").spki_sha256() == first
    mode = (tmp_path / "ca" / LEAF_KEY_NAME).stat().st_mode
    assert stat.S_IMODE(mode) == 0o600
