"""The WSGI application for gunicorn and other servers: ``gunicorn booking_web.wsgi:app``.

Configuration comes from the environment (DATABASE_URL is required; see the README)."""

from booking_web import create_app

app = create_app()
