"""gunicorn settings for Radicale with the officehours plugins.

    RADICALE_CONFIG=config/radicale.conf DATABASE_URL=postgresql://... \
        gunicorn -c config/gunicorn-caldav.conf.py caldav_plugin.wsgi

Workers hold no state: PostgreSQL transactions and advisory locks keep several workers, and
several hosts, consistent. Each worker keeps up to [storage] pool_size connections; keep it at
least CALDAV_THREADS, and size PostgreSQL's max_connections for every worker of every host
(README, Deploy: "Database connections"). caldav_plugin.wsgi answers 503 with Retry-After while
the database is away or busy.
"""

import multiprocessing
import os

bind = os.environ.get("OFFICEHOURS_CALDAV", "127.0.0.1:5232")
workers = int(os.environ.get("CALDAV_WORKERS", str(min(4, multiprocessing.cpu_count() * 2))))
# Calendar apps keep connections open and sync in bursts; threads keep a slow client from
# holding a whole worker.
worker_class = "gthread"
threads = int(os.environ.get("CALDAV_THREADS", "4"))
timeout = 60
graceful_timeout = 30
backlog = 1024
# Radicale reads the request body itself; let it see large calendar uploads.
limit_request_line = 8190
accesslog = "-"
errorlog = "-"
loglevel = "info"
