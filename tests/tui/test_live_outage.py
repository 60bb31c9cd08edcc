"""The console against a real moto server: live numbers, an outage mid-session, recovery."""

from __future__ import annotations

from typing import Any

from edgewatch.simulator.moto_server import MotoServer
from edgewatch.tui import EdgewatchApp
from edgewatch.tui.dashboard.queue_table import QueueTable
from tests.support.tui import LiveQueues, live_runtime, wait_for


def cells(app: EdgewatchApp, url: str) -> dict[str, str]:
    table = app.query_one(QueueTable)
    if url not in table.keys:
        return {}
    return {c: table.get_cell(url, c).plain for c in table.column_keys}


async def test_outage_and_recovery(moto_server: MotoServer, live_queues: LiveQueues) -> None:
    q = live_queues
    q.send(q.orders, 3)
    q.send(q.dlq, 2)
    runtime, _ = live_runtime(moto_server)
    app = EdgewatchApp(runtime)
    titles: list[str] = []
    notify = app.notify

    def counting_notify(message: str, **kwargs: Any) -> None:
        titles.append(kwargs.get("title", ""))
        notify(message, **kwargs)

    app.notify = counting_notify  # type: ignore[method-assign]
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_for(
            pilot,
            lambda: (
                cells(app, q.orders).get("visible") == "3"
                and cells(app, q.orders).get("dlq") == "orders-dlq 2"
                and cells(app, q.payments).get("visible") == "0"
            ),
            what="live counts for orders (with its DLQ) and payments",
        )
        assert cells(app, q.dlq)["queue"] == "orders-dlq DLQ"
        assert cells(app, q.orders)["state"] == "crit"  # DLQ depth 2 ≥ 1

        moto_server.stop()
        await wait_for(pilot, lambda: app.connection == "down", what="the down state")
        down_at = app.snapshot.polled_at if app.snapshot else 0.0
        await wait_for(  # a second failed poll must not notify again
            pilot,
            lambda: app.snapshot is not None and app.snapshot.polled_at > down_at,
            what="another failed poll",
        )
        assert app.connection == "down" and app.is_running
        assert app.query_one("#alert-banner").display
        assert "NOT CONNECTED" in str(app.query_one("#alert-banner").render())
        assert cells(app, q.orders)["visible"] == "3"  # last known values stay on screen
        assert cells(app, q.orders)["state"].startswith("endpoint")
        assert titles.count("Not connected") == 1

        moto_server.start()
        q.send(q.payments, 5)
        await wait_for(
            pilot,
            lambda: app.connection == "ok" and cells(app, q.payments).get("visible") == "5",
            what="recovery with fresh numbers",
        )
        assert not app.query_one("#alert-banner").display
        assert cells(app, q.orders)["state"] == "crit"
        assert titles.count("Connected again") == 1
