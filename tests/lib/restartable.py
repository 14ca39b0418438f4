"""A PostgreSQL server of one test alone, which the test can stop and start again.

The outage tests stop the database under a running service and start it again on the same
socket, as an operator restarting the server would; the session's shared server must never be
the one stopped.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from officehours.embedded import EmbeddedPostgres


class RestartablePostgres:
    """An embedded PostgreSQL in a /tmp folder of its own, with one database, ``officehours``."""

    def __init__(self) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="officehours-outage-", dir="/tmp"))
        self.server: EmbeddedPostgres | None = EmbeddedPostgres(self.folder / "data")
        self.admin_url = self.server.url()
        self.url = self.server.ensure_database("officehours")

    def stop(self) -> None:
        """Stops the server (a fast shutdown: open connections are cut)."""
        if self.server is not None:
            self.server.stop()
            self.server = None

    def start(self) -> None:
        """Starts it again on the same socket with the same data."""
        self.server = EmbeddedPostgres(self.folder / "data")

    def remove(self) -> None:
        """Stops it and deletes its data."""
        self.stop()
        shutil.rmtree(self.folder, ignore_errors=True)
