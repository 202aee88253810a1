"""A real browser through the proxy: headless Chromium opens a local page whose script
talks to an echo server, ws:// through reverse mode and wss:// through forward mode
with the proxy's CA trusted by its public-key hash. Both sides must show the page's
frames, masked with the browser's own keys."""

from __future__ import annotations

import asyncio
import shutil
import ssl
import subprocess
from pathlib import Path

import pytest
import trustme

from inspector.capture.events import Direction
from inspector.engine.options import TlsOptions
from inspector.protocol.constants import Opcode

from .._engine_support import WebsocketsPeer, run_async
from ._proxy_support import ProxyRun, forward_proxy, frames_of, reverse_proxy, store

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (Debian: chromium)"),
]

PAGE = """<!doctype html><meta charset="utf-8"><title>proxy test</title><script>
const ws = new WebSocket("%(url)s");
ws.binaryType = "arraybuffer";
ws.onopen = () => { ws.send("hello from the page"); ws.send(new Uint8Array([1, 2, 3])); };
let got = 0;
ws.onmessage = () => { got += 1; if (got === 2) ws.close(1000, "page done"); };
</script>"""


async def _browse(page: Path, profile: Path, px: ProxyRun, path: str, *flags: str) -> None:
    """Open ``page`` and wait for its WebSocket (to ``path``) to end. Chromium's own
    background requests may come through a forward proxy too: they are not waited for."""
    assert CHROMIUM is not None
    proc = await asyncio.create_subprocess_exec(
        CHROMIUM,
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--disable-extensions",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={profile}",
        *flags,
        page.as_uri(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 40
        while True:
            found = [c for c in px.conns if c.url.endswith(path)]
            if found:
                await asyncio.wait_for(asyncio.shield(found[0].closed), deadline - loop.time())
                break
            assert loop.time() < deadline, "the page's WebSocket never came"
            await asyncio.sleep(0.01)
    finally:
        if proc.returncode is None:
            proc.kill()
        await asyncio.wait_for(proc.wait(), 10)


def _check(px: ProxyRun, path: str) -> None:
    (conn,) = [c for c in px.conns if c.url.endswith(path)]
    ours = frames_of(conn, Direction.OUT)
    theirs = frames_of(conn, Direction.IN)
    data = [f for f in ours if f.opcode in (Opcode.TEXT, Opcode.BINARY)]
    assert len(data) == 2
    assert all(f.mask_key is not None and len(f.mask_key) == 4 for f in ours)
    assert all(f.mask_key is None for f in theirs)
    messages = {m.dir: [] for m in store(conn).messages.values()}  # type: ignore[var-annotated]
    for m in store(conn).messages.values():
        messages[m.dir].append(m.message.data)
    # Chromium offers permessage-deflate and websockets accepts: every message is kept.
    for side in (Direction.OUT, Direction.IN):
        assert messages[side] == [b"hello from the page", b"\x01\x02\x03"]
    close = [f for f in ours if f.opcode == Opcode.CLOSE]
    assert close and close[0].close_code == 1000 and close[0].close_reason == "page done"
    assert not any(f.violations for f in ours + theirs)


def test_chromium_through_the_reverse_proxy(tmp_path: Path) -> None:
    async def main() -> None:
        async with WebsocketsPeer() as peer, reverse_proxy(peer.url) as px:
            page = tmp_path / "page.html"
            page.write_text(PAGE % {"url": f"{px.url}/browser"})
            await _browse(page, tmp_path / "profile", px, "/browser")
        _check(px, "/browser")
        assert peer.state.requests[0].path == "/browser"

    run_async(main, timeout=60)


def test_chromium_wss_through_the_forward_proxy(tmp_path: Path) -> None:
    ca = trustme.CA()
    cafile = tmp_path / "server-ca.pem"
    ca.cert_pem.write_to_path(str(cafile))
    server_ssl = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ca.issue_cert("127.0.0.1").configure_cert(server_ssl)

    async def main() -> None:
        async with (
            WebsocketsPeer(ssl=server_ssl) as peer,
            forward_proxy(ca_dir=str(tmp_path / "ca"), tls=TlsOptions(cafile=str(cafile))) as px,
        ):
            page = tmp_path / "page.html"
            page.write_text(PAGE % {"url": f"wss://127.0.0.1:{peer.port}/secure"})
            await _browse(
                page,
                tmp_path / "profile",
                px,
                "/secure",
                f"--proxy-server=http://127.0.0.1:{px.port}",
                "--proxy-bypass-list=<-loopback>",
                f"--ignore-certificate-errors-spki-list={px.server.ca.spki_sha256()}",
            )
        _check(px, f"wss://127.0.0.1:{peer.port}/secure")

    run_async(main, timeout=60)
