"""Tests of inspector.protocol.deflate: RFC 7692 examples, negotiation, bombs, interop."""

from __future__ import annotations

import random
import tracemalloc
import zlib
from types import SimpleNamespace
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from websockets.extensions.permessage_deflate import (
    ClientPerMessageDeflateFactory,
    ServerPerMessageDeflateFactory,
)
from websockets.extensions.permessage_deflate import PerMessageDeflate as WsDeflate
from websockets.frames import Frame as WsFrame
from websockets.frames import Opcode as WsOpcode
from wsproto.extensions import PerMessageDeflate as WsprotoDeflate
from wsproto.frame_protocol import Opcode as WsprotoOpcode
from wsproto.frame_protocol import RsvBits

from inspector.protocol.constants import Role
from inspector.protocol.deflate import (
    EXTENSION_NAME,
    DeflateError,
    DeflateOffer,
    DeflateParams,
    InflateError,
    InflateTooLarge,
    NegotiationError,
    PerMessageDeflate,
    negotiate_client,
    negotiate_server,
)
from inspector.protocol.headers import ExtensionOffer, format_extension, parse_extensions

HELLO = bytes.fromhex("f2 48 cd c9 c9 07 00")


def pair(params: DeflateParams, **kwargs: Any) -> tuple[PerMessageDeflate, PerMessageDeflate]:
    return PerMessageDeflate(params, Role.CLIENT, **kwargs), PerMessageDeflate(
        params, Role.SERVER, **kwargs
    )


def element(header: str) -> ExtensionOffer:
    (only,) = parse_extensions(header)
    return only


def corpus(seed: int = 7, count: int = 30) -> list[bytes]:
    """Messages of many shapes: empty, tiny, text that repeats across messages,
    random bytes, zeros, and some longer than a 32 KiB window."""
    rng = random.Random(seed)
    words = [b"alpha", b"beta", b'"id":', b"gamma", b"{", b"}", b"0123456789", b" "]
    out: list[bytes] = [b"", b"a", b"Hello", b"Hello"]
    while len(out) < count:
        kind = rng.randrange(5)
        n = rng.choice([1, 10, 300, 2000, 40_000])
        if kind == 0:
            out.append(b"".join(rng.choice(words) for _ in range(n // 4 + 1)))
        elif kind == 1:
            out.append(rng.randbytes(n))
        elif kind == 2:
            out.append(bytes(n))
        elif kind == 3:
            out.append(out[rng.randrange(len(out))])  # context takeover pays off
        else:
            block = rng.randbytes(600)
            out.append(block + rng.randbytes(n) + block)  # a far back-reference
    return out


# --------------------------------------------------------------------------- RFC examples


def test_rfc_7_2_3_1_hello_compresses_and_inflates() -> None:
    client, server = pair(DeflateParams())
    assert client.compress(b"Hello") == HELLO
    assert server.decompress(HELLO) == b"Hello"
    # The caller concatenates the frames of a fragmented message (second example).
    fragments = bytes.fromhex("f2 48 cd") + bytes.fromhex("c9 c9 07 00")
    assert pair(DeflateParams())[1].decompress(fragments) == b"Hello"


def test_rfc_7_2_3_2_context_takeover_shrinks_second_message() -> None:
    client, server = pair(DeflateParams())
    first, second = client.compress(b"Hello"), client.compress(b"Hello")
    assert (first, second) == (HELLO, bytes.fromhex("f2 00 11 00 00"))
    assert server.decompress(first) == b"Hello"
    assert server.decompress(second) == b"Hello"


def test_no_context_takeover_makes_messages_identical_in_that_direction_only() -> None:
    client, server = pair(DeflateParams(client_no_context_takeover=True))
    assert client.compress(b"Hello") == client.compress(b"Hello") == HELLO
    assert server.decompress(HELLO) == server.decompress(HELLO) == b"Hello"
    # The server's own direction still takes over context.
    assert server.compress(b"Hello") == HELLO
    assert server.compress(b"Hello") == bytes.fromhex("f2 00 11 00 00")


@pytest.mark.parametrize(
    ("section", "payload"),
    [
        ("7.2.3.1 fragments joined", "f2 48 cd c9 c9 07 00"),
        ("7.2.3.3 stored block", "00 05 00 fa ff 48 65 6c 6c 6f 00"),
        ("7.2.3.4 BFINAL set", "f3 48 cd c9 c9 07 00 00"),
        ("7.2.3.5 two blocks", "f2 48 05 00 00 00 ff ff ca c9 c9 07 00"),
    ],
)
def test_rfc_decoding_examples_inflate_to_hello_and_keep_the_window(
    section: str, payload: str
) -> None:
    _, server = pair(DeflateParams())
    assert server.decompress(bytes.fromhex(payload)) == b"Hello", section
    # The next message refers 5 bytes back into the first one (section 7.2.3.2).
    assert server.decompress(bytes.fromhex("f2 00 11 00 00")) == b"Hello", section


def test_bfinal_without_trailing_empty_block_is_tolerated() -> None:
    _, server = pair(DeflateParams())
    assert server.decompress(bytes.fromhex("f3 48 cd c9 c9 07 00")) == b"Hello"
    assert server.decompress(bytes.fromhex("f2 00 11 00 00")) == b"Hello"


def test_bfinal_streams_keep_a_window_longer_than_one_message() -> None:
    # A sender that closes every message with BFINAL (section 7.2.3.4) while taking
    # context over: the third message refers back into the first, across the second.
    first, second = b"x" * 900 + b"needle-" * 20, b"y" * 500
    history = b""
    _, server = pair(DeflateParams())
    for message in (first, second, first[-200:]):
        deflater = zlib.compressobj(9, zlib.DEFLATED, -15)
        if history:
            deflater = zlib.compressobj(9, zlib.DEFLATED, -15, zdict=history)
        payload = deflater.compress(message) + deflater.flush(zlib.Z_FINISH) + b"\x00"
        assert server.decompress(payload) == message
        history += message


def test_many_bfinal_blocks_in_one_message_are_refused() -> None:
    _, server = pair(DeflateParams(client_no_context_takeover=True))
    with pytest.raises(InflateError, match="BFINAL") as info:
        server.decompress(b"\x03\x00" * 5000)  # 5000 empty final blocks
    assert info.value.section == "7.2.3.4"
    assert server.decompress(HELLO) == b"Hello"


def test_empty_message_is_a_single_zero_byte() -> None:
    client, server = pair(DeflateParams())
    assert client.compress(b"") == b"\x00"  # fresh compressor
    client.compress(b"Hello")
    assert client.compress(b"") == b"\x00"  # after context
    assert server.decompress(b"\x00") == b""
    assert server.decompress(HELLO) == b"Hello"


def test_empty_compressed_payload_is_an_error_that_leaves_the_inflater_intact() -> None:
    _, server = pair(DeflateParams())
    assert server.decompress(HELLO) == b"Hello"
    with pytest.raises(InflateError, match="empty payload") as info:
        server.decompress(b"")
    assert info.value.section == "7.2.3.6"
    assert not server.needs_reset
    assert server.decompress(bytes.fromhex("f2 00 11 00 00")) == b"Hello"


# --------------------------------------------------------------------------- values


def test_params_effective_window_bits_and_directions() -> None:
    params = DeflateParams(client_no_context_takeover=True, server_max_window_bits=10)
    assert (params.server_window_bits, params.client_window_bits) == (10, 15)
    assert params.window_bits(Role.SERVER) == 10
    assert params.window_bits(Role.CLIENT) == 15
    assert params.no_context_takeover(Role.CLIENT) is True
    assert params.no_context_takeover(Role.SERVER) is False
    client = PerMessageDeflate(params, Role.CLIENT)
    assert (client.outgoing_window_bits, client.incoming_window_bits) == (15, 10)
    assert (client.outgoing_no_context_takeover, client.incoming_no_context_takeover) == (
        True,
        False,
    )


@pytest.mark.parametrize("bits", [7, 16, 0, True])
def test_out_of_range_window_bits_are_programming_errors(bits: int) -> None:
    with pytest.raises(ValueError, match="server_max_window_bits"):
        DeflateParams(server_max_window_bits=bits)
    with pytest.raises(ValueError, match="client_max_window_bits"):
        DeflateOffer(client_max_window_bits=bits if bits is not True else 99)
    with pytest.raises(ValueError, match="server_max_window_bits"):
        negotiate_server([], server_max_window_bits=bits)


def test_codec_constructor_validates() -> None:
    with pytest.raises(ValueError, match="compress_level"):
        PerMessageDeflate(DeflateParams(), Role.CLIENT, compress_level=10)
    with pytest.raises(ValueError, match="max_inflated_size"):
        PerMessageDeflate(DeflateParams(), Role.CLIENT, max_inflated_size=-1)


# --------------------------------------------------------------------------- client negotiation


def test_default_offer_is_what_browsers_send() -> None:
    assert format_extension(*DeflateOffer().to_extension()) == (
        "permessage-deflate; client_max_window_bits"
    )


def test_full_offer_formats_every_parameter() -> None:
    offer = DeflateOffer(True, True, 10, 12)
    assert format_extension(*offer.to_extension()) == (
        "permessage-deflate; server_no_context_takeover; client_no_context_takeover; "
        "server_max_window_bits=10; client_max_window_bits=12"
    )
    assert DeflateOffer.from_extension(offer.to_extension()) == offer
    assert format_extension(*DeflateOffer(client_max_window_bits=None).to_extension()) == (
        EXTENSION_NAME
    )


def pmd(params: str = "") -> ExtensionOffer:
    """``pmd("server_max_window_bits=10")``: one permessage-deflate element."""
    return element(f"{EXTENSION_NAME}; {params}" if params else EXTENSION_NAME)


# Short names keep the tables below one row per line.
Of, P = DeflateOffer, DeflateParams
_DEFAULT = DeflateOffer()


@pytest.mark.parametrize(
    ("offer", "response", "expected"),
    [
        (_DEFAULT, "", P()),
        (_DEFAULT, "client_max_window_bits=10", P(client_max_window_bits=10)),
        (_DEFAULT, "client_max_window_bits=8", P(client_max_window_bits=8)),
        (_DEFAULT, "server_no_context_takeover", P(server_no_context_takeover=True)),
        (_DEFAULT, "client_no_context_takeover", P(client_no_context_takeover=True)),
        (_DEFAULT, "server_max_window_bits=8", P(server_max_window_bits=8)),
        (_DEFAULT, 'server_max_window_bits="12"', P(server_max_window_bits=12)),
        (Of(server_no_context_takeover=True), "server_no_context_takeover", P(True)),
        (Of(client_no_context_takeover=True), "", P(client_no_context_takeover=True)),
        (Of(server_max_window_bits=10), "server_max_window_bits=10", P(server_max_window_bits=10)),
        (Of(server_max_window_bits=10), "server_max_window_bits=9", P(server_max_window_bits=9)),
        (Of(client_max_window_bits=12), "", P(client_max_window_bits=12)),
        (Of(client_max_window_bits=12), "client_max_window_bits=12", P(client_max_window_bits=12)),
        (Of(client_max_window_bits=12), "client_max_window_bits=9", P(client_max_window_bits=9)),
        (Of(client_max_window_bits=None), "", P()),
        (
            Of(True, True, 12, True),
            "client_max_window_bits=9; server_max_window_bits=11; "
            "client_no_context_takeover; server_no_context_takeover",
            P(True, True, 11, 9),
        ),
    ],
)
def test_client_accepts_every_valid_response(
    offer: DeflateOffer, response: str, expected: DeflateParams
) -> None:
    assert negotiate_client(offer, pmd(response)) == expected


@pytest.mark.parametrize(
    ("offer", "response", "section", "words"),
    [
        (_DEFAULT, "x=1", "7", "unknown parameter 'x'"),
        (_DEFAULT, "Server_No_Context_Takeover", "7", "case-sensitive"),
        (_DEFAULT, "server_no_context_takeover; server_no_context_takeover", "7", "more than once"),
        (_DEFAULT, "client_max_window_bits=9; client_max_window_bits=9", "7", "more than once"),
        (_DEFAULT, "server_no_context_takeover=1", "7.1.1.1", "takes no value"),
        (_DEFAULT, "client_no_context_takeover=true", "7.1.1.2", "takes no value"),
        (_DEFAULT, "server_max_window_bits", "7.1.2.1", "needs a value"),
        (_DEFAULT, "server_max_window_bits=7", "7.1.2.1", "from 8 to 15"),
        (_DEFAULT, "server_max_window_bits=16", "7.1.2.1", "from 8 to 15"),
        (_DEFAULT, "server_max_window_bits=08", "7.1.2.1", "leading zeroes"),
        (_DEFAULT, "server_max_window_bits=0x9", "7.1.2.1", "from 8 to 15"),
        (_DEFAULT, 'server_max_window_bits=""', "7.1.2.1", "from 8 to 15"),
        (_DEFAULT, "client_max_window_bits", "7.1.2.2", "needs a value"),
        (_DEFAULT, "client_max_window_bits=16", "7.1.2.2", "from 8 to 15"),
        (Of(client_max_window_bits=None), "client_max_window_bits=10", "7.1.2.2", "did not offer"),
        (Of(client_max_window_bits=10), "client_max_window_bits=11", "7.1.2.2", "more than the 10"),
        (Of(server_max_window_bits=10), "server_max_window_bits=12", "7.1.2.1", "more than the 10"),
        (Of(server_max_window_bits=10), "", "7.1.2.1", "without it"),
        (Of(server_no_context_takeover=True), "", "7.1.1.1", "must decline"),
    ],
)
def test_client_rejects_every_forbidden_response(
    offer: DeflateOffer, response: str, section: str, words: str
) -> None:
    with pytest.raises(NegotiationError) as info:
        negotiate_client(offer, pmd(response))
    error = info.value
    assert isinstance(error, DeflateError)
    assert error.section == section
    assert words in str(error)
    assert str(error).endswith(f"(RFC 7692 §{section})")
    assert error.url == f"https://www.rfc-editor.org/rfc/rfc7692#section-{section}"


def test_client_rejects_a_response_for_another_extension() -> None:
    with pytest.raises(NegotiationError, match="not 'permessage-deflate'"):
        negotiate_client(_DEFAULT, element("x-webkit-deflate-frame"))


# --------------------------------------------------------------------------- server negotiation


@pytest.mark.parametrize(
    ("offer", "config", "response"),
    [
        ("", {}, ""),
        ("client_max_window_bits", {}, ""),
        ("client_max_window_bits", {"client_max_window_bits": 10}, "client_max_window_bits=10"),
        ("", {"client_max_window_bits": 10}, ""),
        ("client_max_window_bits=12", {}, "client_max_window_bits=12"),
        ("client_max_window_bits=12", {"client_max_window_bits": 10}, "client_max_window_bits=10"),
        ("client_max_window_bits=12", {"client_max_window_bits": 14}, "client_max_window_bits=12"),
        ("server_max_window_bits=10", {}, "server_max_window_bits=10"),
        ("server_max_window_bits=10", {"server_max_window_bits": 12}, "server_max_window_bits=10"),
        ("server_max_window_bits=10", {"server_max_window_bits": 9}, "server_max_window_bits=9"),
        ("server_max_window_bits=8", {}, "server_max_window_bits=8"),
        ("", {"server_max_window_bits": 11}, "server_max_window_bits=11"),
        ("server_no_context_takeover", {}, "server_no_context_takeover"),
        ("", {"server_no_context_takeover": True}, "server_no_context_takeover"),
        ("client_no_context_takeover", {}, "client_no_context_takeover"),
        ("", {"client_no_context_takeover": True}, "client_no_context_takeover"),
        (
            "client_max_window_bits; server_max_window_bits=12; server_no_context_takeover",
            {"client_max_window_bits": 9, "server_max_window_bits": 10},
            "server_no_context_takeover; server_max_window_bits=10; client_max_window_bits=9",
        ),
    ],
)
def test_server_builds_the_right_response_and_the_client_agrees(
    offer: str, config: dict[str, Any], response: str
) -> None:
    result = negotiate_server([pmd(offer)], **config)
    assert result is not None
    params, reply = result
    assert reply == pmd(response)
    assert reply == params.to_extension()
    # The client, checking that response against the same offer, ends up with the
    # same parameters: both ends agree on every window and takeover.
    client_offer = DeflateOffer.from_extension(pmd(offer))
    assert negotiate_client(client_offer, reply) == params


def test_server_picks_the_first_acceptable_offer() -> None:
    offers = parse_extensions(
        "x-foo; a=1, permessage-deflate; bogus, permessage-deflate; server_max_window_bits=16, "
        "permessage-deflate; server_max_window_bits=10, permessage-deflate"
    )
    result = negotiate_server(offers)
    assert result is not None
    params, reply = result
    assert params == DeflateParams(server_max_window_bits=10)
    assert reply == (EXTENSION_NAME, (("server_max_window_bits", "10"),))


@pytest.mark.parametrize(
    "header",
    ["", "x-foo", "permessage-deflate; x", "permessage-deflate; client_max_window_bits=7, x-foo"],
)
def test_server_declines_when_no_offer_is_acceptable(header: str) -> None:
    assert negotiate_server(parse_extensions(header)) is None


@pytest.mark.parametrize(
    ("offer", "words"),
    [
        ("permessage-deflate; foo", "unknown parameter 'foo' in the permessage-deflate offer"),
        ("permessage-deflate; client_max_window_bits; client_max_window_bits", "more than once"),
        ("permessage-deflate; server_max_window_bits", "needs a value"),
        ("permessage-deflate; client_max_window_bits=16", "from 8 to 15"),
        ("permessage-deflate; client_no_context_takeover=x", "takes no value"),
    ],
)
def test_offer_parser_explains_why_an_offer_is_declined(offer: str, words: str) -> None:
    with pytest.raises(NegotiationError, match=words):
        DeflateOffer.from_extension(element(offer))


# --------------------------------------------------------------------------- negotiation interop


@pytest.mark.parametrize(
    "factory_args",
    [
        {},
        {"client_max_window_bits": 10},
        {"server_max_window_bits": 11, "server_no_context_takeover": True},
        {"client_no_context_takeover": True, "client_max_window_bits": None},
    ],
)
def test_websockets_client_accepts_our_server_response(factory_args: dict[str, Any]) -> None:
    factory = ClientPerMessageDeflateFactory(**factory_args)
    offer = (EXTENSION_NAME, tuple(factory.get_request_params()))
    result = negotiate_server([offer], client_max_window_bits=12)
    assert result is not None
    params, (_, reply) = result
    theirs = factory.process_response_params(list(reply), [])
    assert theirs.local_max_window_bits == params.client_window_bits
    assert theirs.remote_max_window_bits == params.server_window_bits
    assert theirs.local_no_context_takeover == params.client_no_context_takeover
    assert theirs.remote_no_context_takeover == params.server_no_context_takeover


@pytest.mark.parametrize(
    ("offer", "factory_args"),
    [
        (DeflateOffer(), {}),
        (DeflateOffer(), {"client_max_window_bits": 10, "server_max_window_bits": 12}),
        (DeflateOffer(server_max_window_bits=10), {"server_no_context_takeover": True}),
        (DeflateOffer(client_no_context_takeover=True), {"client_no_context_takeover": True}),
    ],
)
def test_our_client_accepts_websockets_server_response(
    offer: DeflateOffer, factory_args: dict[str, Any]
) -> None:
    factory = ServerPerMessageDeflateFactory(**factory_args)
    reply, theirs = factory.process_request_params(list(offer.to_extension()[1]), [])
    params = negotiate_client(offer, (EXTENSION_NAME, tuple(reply)))
    assert theirs.local_max_window_bits == params.server_window_bits
    assert theirs.remote_max_window_bits == params.client_window_bits
    assert theirs.local_no_context_takeover == params.server_no_context_takeover
    assert theirs.remote_no_context_takeover == params.client_no_context_takeover


# --------------------------------------------------------------------------- bombs and corruption


def test_bomb_is_stopped_at_the_limit_without_allocating_it() -> None:
    # Independent sync-flushed chunks concatenate into one valid stream: 100 copies
    # of 1 MiB of zeros is a ~100 KB payload that inflates to 100 MiB.
    deflater = zlib.compressobj(9, zlib.DEFLATED, -15)
    chunk = deflater.compress(bytes(2**20)) + deflater.flush(zlib.Z_SYNC_FLUSH)
    bomb = chunk * 100
    assert len(bomb) < 200_000
    _, server = pair(DeflateParams(), max_inflated_size=2**20)
    # How fast it is stopped is measured by benchmarks/bench_codec.py, not here.
    tracemalloc.start()
    try:
        with pytest.raises(InflateTooLarge) as info:
            server.decompress(bomb)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 8 * 2**20  # the payload and one MiB of output, not 100 MiB
    assert (info.value.limit, info.value.compressed_size) == (2**20, len(bomb))
    assert "1,048,576" in str(info.value)
    assert "decompression bomb" in str(info.value)
    # The window is lost: refuse to guess, until the caller asks to go on.
    assert server.needs_reset
    with pytest.raises(InflateError, match="reset_inflater"):
        server.decompress(HELLO)
    server.reset_inflater()
    assert server.decompress(HELLO) == b"Hello"


def test_limit_is_exact() -> None:
    limit = 10_000
    client, server = pair(DeflateParams(client_no_context_takeover=True), max_inflated_size=limit)
    assert server.decompress(client.compress(b"a" * limit)) == b"a" * limit
    with pytest.raises(InflateTooLarge):
        server.decompress(client.compress(b"a" * (limit + 1)))
    # With no context takeover the next message starts afresh: nothing to reset.
    assert not server.needs_reset
    assert server.decompress(client.compress(b"after")) == b"after"


def test_no_limit_inflates_anything() -> None:
    client, server = pair(DeflateParams(), max_inflated_size=None)
    message = bytes(3 * 2**20)
    assert server.decompress(client.compress(message)) == message


@pytest.mark.parametrize(
    ("payload", "detail"),
    [
        (b"\x06", "invalid block type"),
        (b"\x00\x01\x00\x00\x00", "invalid stored block lengths"),
        (b"\xff\xff\xff\xff", "invalid"),
    ],
)
def test_corrupt_data_raises_inflate_error(payload: bytes, detail: str) -> None:
    _, server = pair(DeflateParams())
    with pytest.raises(InflateError) as info:
        server.decompress(payload)
    assert info.value.section == "7.2.2"
    assert "not valid DEFLATE data" in str(info.value)
    assert detail in str(info.value)


def test_peer_using_a_larger_window_than_agreed_is_reported() -> None:
    # zlib only notices a reference reaching back before this message's output and
    # past the window it keeps, so the second message repeats the first one.
    block = random.Random(1).randbytes(600)
    cheater = PerMessageDeflate(DeflateParams(), Role.SERVER)  # uses a 15-bit window
    first, second = cheater.compress(block), cheater.compress(block)
    client = PerMessageDeflate(DeflateParams(server_max_window_bits=9), Role.CLIENT)
    assert client.decompress(first) == block
    with pytest.raises(InflateError, match=r"server_max_window_bits=9 \(512 bytes\)"):
        client.decompress(second)
    honest = PerMessageDeflate(DeflateParams(), Role.CLIENT)
    assert [honest.decompress(first), honest.decompress(second)] == [block, block]


def test_peer_ignoring_no_context_takeover_is_reported() -> None:
    cheater, _ = pair(DeflateParams())  # compresses with context takeover
    server = PerMessageDeflate(DeflateParams(client_no_context_takeover=True), Role.SERVER)
    assert server.decompress(cheater.compress(b"Hello")) == b"Hello"
    with pytest.raises(InflateError, match="client_no_context_takeover was agreed"):
        server.decompress(cheater.compress(b"Hello"))
    assert not server.needs_reset  # each message starts afresh anyway


# --------------------------------------------------------------------------- codec details


def test_counters_and_buffer_types() -> None:
    client, server = pair(DeflateParams())
    a = client.compress(bytearray(b"Hello"))
    b = client.compress(memoryview(b"Hello"))
    assert server.decompress(bytearray(a)) == b"Hello"
    assert server.decompress(memoryview(b)) == b"Hello"
    assert (client.sent_messages, client.sent_uncompressed, client.sent_compressed) == (2, 10, 12)
    assert (server.received_messages, server.received_compressed, server.received_inflated) == (
        2,
        12,
        10,
    )
    assert client.received_messages == server.sent_messages == 0


@pytest.mark.parametrize("role", [Role.CLIENT, Role.SERVER])
def test_window_bits_8_output_inflates_with_a_256_byte_window(role: Role) -> None:
    params = DeflateParams(server_max_window_bits=8, client_max_window_bits=8)
    ours = PerMessageDeflate(params, role)
    inflater = zlib.decompressobj(-8)
    theirs = WsDeflate(False, False, 8, 9)  # decodes with remote window bits 8
    for message in corpus(3):
        payload = ours.compress(message)
        assert inflater.decompress(payload + b"\x00\x00\xff\xff") == message
        assert theirs.decode(WsFrame(WsOpcode.BINARY, payload, rsv1=True), max_size=None).data == (
            message
        )


# --------------------------------------------------------------------------- library interop


@pytest.mark.parametrize("bits", range(9, 16))
@pytest.mark.parametrize("role", [Role.CLIENT, Role.SERVER])
def test_websockets_interop(role: Role, bits: int) -> None:
    params = DeflateParams(server_max_window_bits=bits, client_max_window_bits=bits)
    ours = PerMessageDeflate(params, role)
    theirs = WsDeflate(False, False, bits, bits)
    for message in corpus(bits):
        frame = theirs.encode(WsFrame(WsOpcode.BINARY, message))
        assert ours.decompress(frame.data) == message
        back = WsFrame(WsOpcode.BINARY, ours.compress(message), rsv1=True)
        assert theirs.decode(back, max_size=None).data == message


@pytest.mark.parametrize(("ours_nct", "theirs_nct"), [(True, False), (False, True), (True, True)])
def test_websockets_interop_no_context_takeover(ours_nct: bool, theirs_nct: bool) -> None:
    params = DeflateParams(
        server_no_context_takeover=ours_nct, client_no_context_takeover=theirs_nct
    )
    ours = PerMessageDeflate(params, Role.SERVER)
    theirs = WsDeflate(ours_nct, theirs_nct, 15, 15)  # the client
    for message in corpus(11, 15):
        assert ours.decompress(theirs.encode(WsFrame(WsOpcode.TEXT, message)).data) == message
        back = WsFrame(WsOpcode.TEXT, ours.compress(message), rsv1=True)
        assert theirs.decode(back, max_size=None).data == message


def test_websockets_fragmented_messages_concatenate() -> None:
    ours = PerMessageDeflate(DeflateParams(), Role.CLIENT)
    theirs = WsDeflate(False, False, 15, 15)
    for message in corpus(5, 12):
        thirds = [message[: len(message) // 3], message[len(message) // 3 :], b""]
        frames = [
            theirs.encode(WsFrame(WsOpcode.BINARY, thirds[0], fin=False)),
            theirs.encode(WsFrame(WsOpcode.CONT, thirds[1], fin=False)),
            theirs.encode(WsFrame(WsOpcode.CONT, thirds[2], fin=True)),
        ]
        assert [f.rsv1 for f in frames] == [True, False, False]
        assert ours.decompress(b"".join(bytes(f.data) for f in frames)) == message


@pytest.mark.parametrize("bits", [9, 12, 15])
@pytest.mark.parametrize("role", [Role.CLIENT, Role.SERVER])
def test_wsproto_interop(role: Role, bits: int) -> None:
    params = DeflateParams(server_max_window_bits=bits, client_max_window_bits=bits)
    ours = PerMessageDeflate(params, role)
    theirs = WsprotoDeflate(client_max_window_bits=bits, server_max_window_bits=bits)
    proto: Any = SimpleNamespace(client=role is Role.SERVER)  # wsproto plays the peer
    for message in corpus(bits + 100):
        _, payload = theirs.frame_outbound(
            proto, WsprotoOpcode.BINARY, RsvBits(False, False, False), message, True
        )
        assert ours.decompress(payload) == message
        compressed = ours.compress(message)
        theirs.frame_inbound_header(
            proto, WsprotoOpcode.BINARY, RsvBits(True, False, False), len(compressed)
        )
        inflated = theirs.frame_inbound_payload_data(proto, compressed)
        tail = theirs.frame_inbound_complete(proto, True)
        assert isinstance(inflated, bytes)
        assert isinstance(tail, bytes)
        assert inflated + tail == message


# --------------------------------------------------------------------------- property


@settings(max_examples=60, deadline=None)
@given(
    messages=st.lists(st.binary(max_size=3000), max_size=6),
    server_bits=st.integers(8, 15),
    client_bits=st.integers(8, 15),
    server_nct=st.booleans(),
    client_nct=st.booleans(),
    repeat=st.booleans(),
)
def test_round_trip_property(
    messages: list[bytes],
    server_bits: int,
    client_bits: int,
    server_nct: bool,
    client_nct: bool,
    repeat: bool,
) -> None:
    if repeat:  # repeated content is what context takeover refers back to
        messages = messages + messages
    params = DeflateParams(server_nct, client_nct, server_bits, client_bits)
    client, server = pair(params)
    for message in messages:
        assert server.decompress(client.compress(message)) == message
        assert client.decompress(server.compress(message)) == message
    total = sum(map(len, messages))
    assert client.sent_uncompressed == server.received_inflated == total
    assert server.sent_uncompressed == client.received_inflated == total
