"""What the window's tabs of live connections share, the proxy's and the server's:
the tab (:mod:`.view`), the window's hooks (:mod:`.tabs`) and the New… dialog's
listen address, problem line and buttons (:mod:`.dialog`). The runner half is
:mod:`inspector.gui.session.live`; the table's model :mod:`..widgets.live_rows`.

Nothing is imported here: the window loads :mod:`.tabs` alone at start, the rest
with the first proxy or server."""
