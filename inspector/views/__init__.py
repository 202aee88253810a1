"""The presentation layer for payloads and the text shown to people (Qt-free).

One registry of payload views (text, JSON, hex, MessagePack, Socket.IO, ...) is used by
the window, the command line and reports alike; :mod:`inspector.views.text` holds the
small formatting rules every output shares (sizes, escaping what a peer controls).
"""
