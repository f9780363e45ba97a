"""The sample web service: answers every GET and HEAD on PORT (default 8080) with 200 and a small
JSON body (the service, the task's host name, the path), so the ALB health check on `/` passes.

Standard library only; it writes nothing to disk, so it runs under a read-only root filesystem as
any user. As a container's PID 1 it must handle SIGTERM itself (the kernel ignores signals PID 1
has no handler for): ECS sends SIGTERM when it stops a task, and the server finishes its requests
and exits instead of waiting for the SIGKILL 30 seconds later.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import FrameType

SERVICE = "sample-app"


class Handler(BaseHTTPRequestHandler):
    """200 with a JSON body for any path."""

    server_version = SERVICE
    sys_version = ""

    def _body(self) -> bytes:
        return json.dumps(
            {"service": SERVICE, "host": socket.gethostname(), "path": self.path}
        ).encode()

    def _headers(self, body: bytes) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()

    def do_GET(self) -> None:
        body = self._body()
        self._headers(body)
        self.wfile.write(body)

    def do_HEAD(self) -> None:
        self._headers(self._body())

    def log_message(self, format: str, *args: object) -> None:
        print(f"{self.address_string()} {format % args}", flush=True)


def serve(port: int) -> None:
    """Serve on 0.0.0.0:`port` until SIGTERM or SIGINT."""
    server = ThreadingHTTPServer(("0.0.0.0", port), Handler)

    def stop(signum: int, _frame: FrameType | None) -> None:
        print(f"{signal.Signals(signum).name}: stopping", flush=True)
        # shutdown() waits for serve_forever() to return, so not from its own thread.
        threading.Thread(target=server.shutdown).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    print(f"{SERVICE} listening on port {port} as uid {os.getuid()}", flush=True)
    with server:
        # Checks for shutdown every 0.1 s (the default is 0.5 s): a stopped task exits that much
        # sooner, well inside ECS's stop timeout.
        server.serve_forever(poll_interval=0.1)


if __name__ == "__main__":
    serve(int(os.environ.get("PORT", "8080")))
    sys.exit(0)
