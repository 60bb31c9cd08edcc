"""Dead-letter queues, no Textual: browser, leases, models, selection, the session; replay."""
