"""Dashboard widgets: the queue table, the detail pane, the status bar."""

from edgewatch.tui.widgets.queue_detail import QueueDetail
from edgewatch.tui.widgets.queue_table import QueueTable
from edgewatch.tui.widgets.status_bar import StatusBar

__all__ = ["QueueDetail", "QueueTable", "StatusBar"]
