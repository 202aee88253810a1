"""Tests of inspector.views.formats.jsonrpc: messages built by jsonrpcclient, and
responses paired with their requests across a session."""

from __future__ import annotations

import json

import jsonrpcclient

from inspector.protocol.constants import Role
from inspector.views.base import PayloadMeta
from inspector.views.context import with_contexts
from inspector.views.registry import default_registry

REG = default_registry()
CLIENT = PayloadMeta(opcode=1, sender=Role.CLIENT)
SERVER = PayloadMeta(opcode=1, sender=Role.SERVER)


def enc(value: object) -> bytes:
    return json.dumps(value).encode()


def test_requests_notifications_and_responses_paired_with_round_trip_time() -> None:
    ask = jsonrpcclient.request("getUser", params={"id": 1})
    other = jsonrpcclient.request("ping")
    session = with_contexts(
        [
            (enc(ask), CLIENT, 1.000),
            (enc(other), CLIENT, 1.001),
            (enc(jsonrpcclient.notification("tick")), SERVER, 1.002),
            (enc({"jsonrpc": "2.0", "result": "pong", "id": other["id"]}), SERVER, 1.004),
            (enc({"jsonrpc": "2.0", "result": {"name": "ann"}, "id": ask["id"]}), SERVER, 1.0125),
            (
                enc(
                    {
                        "jsonrpc": "2.0",
                        "error": {"code": -32601, "message": "Method not found"},
                        "id": 99,
                    }
                ),
                SERVER,
                2.0,
            ),
        ]
    )
    lines = [REG.summary(d, m) for d, m in session]
    assert lines == [
        f"JSON-RPC getUser id={ask['id']} (answered, 12 ms)",
        f"JSON-RPC ping id={other['id']} (answered, 3.00 ms)",
        "JSON-RPC notify tick",
        f'JSON-RPC result id={other["id"]} ping 3.00 ms "pong"',
        f"JSON-RPC result id={ask['id']} getUser 12 ms {{1}} name",
        'JSON-RPC error id=99 -32601 "Method not found"',  # no request: nothing to pair
    ]
    assert all(REG.best(d, m).name == "json-rpc" for d, m in session)
    r = REG.render(*session[4])
    assert "answers row 0 after 12 ms" in r.text
    # Fields are what the message itself says: a response has no method of its own.
    assert REG.fields(*session[0]) == {"method": "getUser", "id": str(ask["id"])}
    assert REG.fields(*session[4]) == {"id": str(ask["id"])}


def test_batch() -> None:
    batch = enc([jsonrpcclient.request("a"), jsonrpcclient.notification("b")])
    line = REG.summary(batch, CLIENT)
    assert line.startswith("JSON-RPC batch 2: a id=") and line.endswith(", notify b")
    assert REG.fields(batch, CLIENT)["method"] == "a"


def test_malformed() -> None:
    assert REG.render(b'{"jsonrpc": "2.0", "method": ', CLIENT).error == (
        "not valid JSON-RPC at byte 29: Expecting value (line 1, column 30)"
    )
    assert (
        REG.render(b"[]", CLIENT, "json-rpc").error
        == "not valid JSON-RPC at byte 0: an empty batch"
    )
    assert REG.best(b'{"method": "x"}', CLIENT).name == "json"  # no "jsonrpc": plain JSON


def test_a_request_answered_later_is_paired_once_the_answer_is_there() -> None:
    from inspector.views.base import ContextMessage
    from inspector.views.context import ListContext

    ask = ContextMessage(0, enc(jsonrpcclient.request("slow")), CLIENT, 0.0)
    history: list[ContextMessage] = [ask]
    states: dict[str, dict[str, object]] = {}
    meta = PayloadMeta(opcode=1, sender=Role.CLIENT, context=ListContext(history, 0, states))
    assert "answered" not in REG.summary(ask.data, meta)
    answer = {"jsonrpc": "2.0", "result": 1, "id": json.loads(ask.data)["id"]}
    history.append(ContextMessage(1, enc(answer), SERVER, 0.5))  # the live session grows
    assert REG.summary(ask.data, meta).endswith("(answered, 500 ms)")
