"""Every built-in view on arbitrary bytes: render, summary, fields and priority never
raise, and a summary is one line (hypothesis)."""

from __future__ import annotations

import json

import cbor2
import msgpack
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from inspector.protocol.constants import Role
from inspector.views.base import SUMMARY_PREFIX, PayloadMeta, ViewError
from inspector.views.context import with_contexts
from inspector.views.registry import default_registry

REG = default_registry()
SUBPROTOCOLS = [None, "mqtt", "v12.stomp", "graphql-transport-ws", "wamp.2.json", "wamp.2.msgpack"]
SUBPROTOCOLS += ["wamp.2.cbor", "wamp.2.json.batched"]

# Valid payloads of every format, to be cut and flipped: random bytes alone rarely
# get past a format's first check.
SEEDS = [
    b'42/admin,12["chat",{"a":1}]',
    b'451-["up",{"_placeholder":true,"num":0}]',
    b"SEND\ndestination:/q\ncontent-length:2\n\nhi\x00",
    b'a["MESSAGE\\nsubscription:0\\n\\nx\\u0000"]',
    b'{"id":"1","type":"subscribe","payload":{"query":"subscription S { a }"}}',
    b'{"jsonrpc":"2.0","method":"m","params":[1],"id":1}',
    b'{"type":1,"target":"T","arguments":[1]}\x1e',
    b"\x19\x95\x01\x80\xa17\xabSendMessage\x92\xa3ann\xa2hi",
    b"\x10\x11\x00\x04MQTT\x04\x02\x00<\x00\x05dev-1",
    b"2\x11\x00\tsensors/1\x00\x0121.5",
    b'[48,1,{},"com.app.add",[1,2]]',
    msgpack.packb({"a": [1, b"x", msgpack.ExtType(3, b"z")]}),
    cbor2.dumps({"a": cbor2.CBORTag(1, 5), "b": [1.5, None]}),
    b"\x08\x96\x01\x12\x07testing",
    json.dumps({"a": [1, 2, {"b": "c"}]}).encode(),
]


def mutated() -> st.SearchStrategy[bytes]:
    seed = st.sampled_from(SEEDS)
    cut = st.tuples(seed, st.integers(0, 80)).map(lambda s: s[0][: s[1]])
    flipped = st.tuples(seed, st.integers(0, 80), st.integers(0, 255)).map(
        lambda s: s[0][: s[1]] + bytes([s[2]]) + s[0][s[1] + 1 :]
    )
    return st.one_of(st.binary(max_size=200), cut, flipped, seed)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    data=mutated(),
    opcode=st.sampled_from([1, 2, 8]),
    subprotocol=st.sampled_from(SUBPROTOCOLS),
    truncated=st.booleans(),
)
def test_no_view_raises(data: bytes, opcode: int, subprotocol: str | None, truncated: bool) -> None:
    size = len(data) * 3 if truncated else len(data)
    meta = PayloadMeta(opcode, Role.SERVER, subprotocol, truncated=truncated, size=size)
    # With a session around it too: the stateful views read their neighbours.
    (_, in_session), _ = with_contexts([(data, meta), (data, meta)])
    for m in (meta, in_session):
        for view in REG:
            try:
                view.priority(data, m)
                rendered = view.render(data, m)
                assert rendered.view == view.name
                view.fields(data, m)
                line = view.summary(data[:SUMMARY_PREFIX], m)
            except ViewError:
                continue  # the contract's way of saying "not valid X"
            assert line is None or "\n" not in line, (view.name, line)
        # Through the registry nothing at all escapes.
        for view in REG:
            r = REG.render(data, m, view)
            assert "view failed" not in (r.error or ""), r.error  # a view's bug, caught
            assert "\n" not in REG.summary(data, m, view)
            REG.fields(data, m, view)
