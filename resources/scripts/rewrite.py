"""Replaces a field in every JSON message the server sends, in a proxy.

``on_server_message`` returns the message to relay: here the server's JSON objects
with their ``"price"`` doubled; anything else is relayed unchanged (returning the
message as it came). Returning None would drop the message.
"""

import json


def on_server_message(conn, message):
    if message.text is None:
        return message
    try:
        obj = json.loads(message.text)
    except ValueError:
        return message
    if isinstance(obj, dict) and isinstance(obj.get("price"), int | float):
        obj["price"] = obj["price"] * 2
        return json.dumps(obj)
    return message
