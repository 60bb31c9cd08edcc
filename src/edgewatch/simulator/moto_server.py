"""moto's server, in-process on 127.0.0.1, silenced.

moto logs every request through werkzeug to stderr, which would tear a TUI apart; its loggers are
set to CRITICAL and detached from the root handlers before the server starts.
"""

from __future__ import annotations

import logging
import socket
import threading
import urllib.request
from typing import TYPE_CHECKING

from edgewatch.simulator.moto_fixes import apply_moto_fixes, serialise_deletes
from edgewatch.simulator.moto_metrics_index import apply_metrics_index

if TYPE_CHECKING:
    from werkzeug.serving import BaseWSGIServer

FAKE_CREDENTIALS = ("testing", "testing")  # moto accepts any key; never real secrets
NOISY_LOGGERS = ("werkzeug", "moto", "botocore", "aiobotocore", "flask_cors", "urllib3")


def silence_loggers() -> None:
    """Keep moto, werkzeug and botocore from ever writing to the terminal."""
    for name in NOISY_LOGGERS:
        logger = logging.getLogger(name)
        logger.setLevel(logging.CRITICAL)
        logger.propagate = False
        if not any(isinstance(h, logging.NullHandler) for h in logger.handlers):
            logger.addHandler(logging.NullHandler())


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class MotoServer:
    """A moto server thread on 127.0.0.1 that can be stopped and started again on the same port.

    moto keeps its state per process, so a restart keeps the queues (like an endpoint outage).
    """

    def __init__(self, port: int = 0, *, moto_fixes: bool = True) -> None:
        self._requested_port = port
        self._moto_fixes = moto_fixes  # False only to measure moto as released (benchmarks)
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None
        self.port: int | None = None

    @property
    def endpoint_url(self) -> str:
        if self.port is None:
            raise RuntimeError("moto server not started")
        return f"http://127.0.0.1:{self.port}"

    @property
    def running(self) -> bool:
        return self._server is not None

    def start(self) -> str:
        """Start serving; returns the endpoint URL. Raises OSError if the port is taken."""
        if self._server is not None:
            return self.endpoint_url
        silence_loggers()
        serialise_deletes()  # correctness, always: parallel deletes must not undo one another
        if self._moto_fixes:
            apply_moto_fixes()
            apply_metrics_index()
        from moto.moto_server.threaded_moto_server import (  # type: ignore[attr-defined]  # moto re-exports it without __all__
            MotoRequestHandler,
        )
        from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
        from werkzeug.serving import make_server

        port = self.port if self.port is not None else self._requested_port
        # Bind first: werkzeug reports a taken port by printing and exiting, not by raising.
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind(("127.0.0.1", port))
            sock.listen(128)
        except OSError:
            sock.close()
            raise
        app = DomainDispatcherApplication(create_backend_app)
        with sock:  # werkzeug serves a duplicate of this descriptor
            server = make_server(
                "127.0.0.1",
                port,
                app,
                threaded=True,
                request_handler=MotoRequestHandler,
                fd=sock.fileno(),
            )
        self._server = server
        self.port = int(server.server_address[1])
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.05},  # stop() waits one poll interval
            name=f"moto:{self.port}",
            daemon=True,
        )
        self._thread.start()
        return self.endpoint_url

    def stop(self) -> None:
        """Stop accepting requests (state is kept in-process; ``start()`` serves it again)."""
        server, self._server = self._server, None
        if server is None:
            return
        server.shutdown()
        server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def reset(self) -> None:
        """Clear all moto state (every backend) through moto's own reset API."""
        req = urllib.request.Request(f"{self.endpoint_url}/moto-api/reset", method="POST")
        with urllib.request.urlopen(req, timeout=10):
            pass

    def __enter__(self) -> MotoServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
