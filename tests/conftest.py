"""What holds for the whole suite."""

from __future__ import annotations

from hypothesis import settings

# Property tests check what is true, not how fast: a deadline is a timed assertion,
# and on a shared, loaded machine the first example of a run (imports, first-use
# allocations) can take a second. Speed is measured in benchmarks/.
settings.register_profile("ws-inspector", deadline=None)
settings.load_profile("ws-inspector")
