"""Dead-letter queues, no Textual: the browser, its leases, message models, selection; replay."""
