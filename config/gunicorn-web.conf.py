"""gunicorn settings for the booking website and JSON API.

    DATABASE_URL=postgresql://... OFFICEHOURS_SECRET_KEY=... \
        gunicorn -c config/gunicorn-web.conf.py booking_web.wsgi:app

Workers hold no state (sessions are signed cookies; rate limits, tokens and bookings live in
PostgreSQL), so run as many as the cores allow, on as many hosts as needed, behind one proxy
that terminates TLS. Give every host the same OFFICEHOURS_SECRET_KEY so sessions survive moving
between them, and set OFFICEHOURS_BASE_URL to the https:// address (it makes the session cookie
Secure). Each worker keeps up to OFFICEHOURS_POOL_SIZE database connections; keep it at least
WEB_THREADS, so no request waits for a connection of its own worker, and size PostgreSQL's
max_connections for every worker of every host (README, Deploy: "Database connections").
Requests wait at most OFFICEHOURS_LOCK_TIMEOUT for a coach's lock and are answered 503 with
Retry-After while the database is away; /healthz says so to the load balancer, /livez only
that the worker answers.

`officehours serve` runs the same application on waitress in one process; this file is for
running it apart, with as many workers and hosts as needed.
"""

import multiprocessing
import os

bind = os.environ.get("OFFICEHOURS_WEB", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_WORKERS", str(multiprocessing.cpu_count() * 2 + 1)))
# Pages are short database round trips; a few threads per worker hide that latency.
worker_class = "gthread"
threads = int(os.environ.get("WEB_THREADS", "4"))
timeout = 30
graceful_timeout = 30
keepalive = 5
# Bursts of new connections wait in the kernel's queue instead of being reset.
backlog = 1024
# The proxy in front sets X-Forwarded-*; trust it only from the local machine by default.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
limit_request_line = 4094
limit_request_fields = 100
accesslog = "-"
errorlog = "-"
loglevel = "info"
