"""Automation on top of the engine: replaying captures, comparing sessions,
expectations for CI and Python hooks (issue 15).

:mod:`.messages` reads a captured session as one side's messages, :mod:`.replay`
turns a capture into steps and sends them, :mod:`.compare` says how two sessions'
answers differ, :mod:`.expect` checks "a message matching X within S seconds" and
:mod:`.hooks` runs a user's script on a connection. Qt-free; the command line and
the window both drive it.
"""
