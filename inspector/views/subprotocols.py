"""Subprotocol names the views and the compose pane both need, in a module light
enough for the window to import at start (the format modules load on first use)."""

from __future__ import annotations

from typing import Final

__all__ = ["GRAPHQL_LEGACY", "GRAPHQL_TRANSPORT"]

#: GraphQL over WebSocket: the graphql-ws library's protocol, and the older one of
#: subscriptions-transport-ws (which confusingly took the name "graphql-ws").
GRAPHQL_TRANSPORT: Final = "graphql-transport-ws"
GRAPHQL_LEGACY: Final = "graphql-ws"
