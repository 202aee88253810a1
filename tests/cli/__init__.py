"""Tests of the ``ws-inspector`` command (a package, so that its module names stay
apart from the other test folders')."""
