"""Flow and forecasts (no Textual, no I/O): rates, drain and loss ETAs, DLQ inflow and expiry.

``model`` holds the typed inputs and results, ``flow`` the per-queue tracker, ``book`` the
adapter fed with the poller's snapshots. Import from the submodules.
"""
