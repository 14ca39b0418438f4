"""The WSGI entry point for gunicorn: ``gunicorn caldav_plugin.wsgi``.

Reads Radicale's configuration from the files in RADICALE_CONFIG (colon-separated, default
config/radicale.conf in the working folder), as Radicale's own ``radicale.application`` does,
and serves it with our answers for refusals and outages (``caldav_plugin.app``), UTF-8 paths
and 503 answers while the database cannot serve (``caldav_plugin.service.serving``).
"""

from __future__ import annotations

import os

from radicale import config, log

from caldav_plugin import auth
from caldav_plugin.app import Application
from caldav_plugin.service import serving

_paths = os.environ.get("RADICALE_CONFIG", "config/radicale.conf").split(os.pathsep)
_configuration = config.load([(path, False) for path in _paths if path])
log.set_level(
    _configuration.get("logging", "level"), _configuration.get("logging", "backtrace_on_debug")
)

application = serving(auth.guard(Application(_configuration)))
