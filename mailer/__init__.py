"""The mailer: sends the mail that booking, moving and cancelling write into the outbox.

``sql/migrations/0006_mail_outbox.sql`` holds the outbox and its trigger; :mod:`mailer.outbox`
claims and sends; :mod:`mailer.compose` and :mod:`mailer.wording` make each message (invites
from :mod:`ics.invite`); :mod:`mailer.transport` talks SMTP or writes ``.eml`` files;
:mod:`mailer.loop` waits for NOTIFY; :mod:`mailer.service` runs it inside ``officehours serve``
and :mod:`mailer.cli` as ``officehours mailer`` / ``python -m mailer``.
"""
