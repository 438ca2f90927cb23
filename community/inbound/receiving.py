"""The two ways in: `flask mail receive` (a pipe from the MTA) and `flask mail serve-inbound`
(an SMTP or LMTP listener); both only store the message and queue its handling."""
import asyncio
import logging
import sys

import click

from .. import jobs
from ..extensions import db
from .handling import EX_DATAERR, EX_TEMPFAIL, accept, max_bytes

log = logging.getLogger(__name__)


def receive(raw, recipients=()):
    """Accept a message and commit. Its job goes to Redis or the database queue (never run while
    the MTA waits), or runs when the app context ends where jobs run inline (tests)."""
    with jobs.deferred():
        outcome = accept(raw, recipients)
        db.session.commit()
    return outcome


class InboundHandler:
    """aiosmtpd handler: refuse other domains at RCPT, store the message at DATA."""

    def __init__(self, app):
        self.app = app

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        domain = self.app.config.get("REPLY_MAIL_DOMAIN") or ""
        if not domain or not address.lower().endswith("@" + domain.lower()):
            return "550 5.1.1 No such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        raw = envelope.original_content or envelope.content
        loop = asyncio.get_running_loop()
        try:
            outcome = await loop.run_in_executor(None, self._store, raw, list(envelope.rcpt_tos))
        except Exception:
            log.exception("inbound: could not store a message")
            return "451 4.3.0 Temporary failure, please try again later"
        if outcome == "too-large":
            return "552 5.3.4 Message too big"
        return "250 2.0.0 Message accepted"

    def _store(self, raw, recipients):
        with self.app.app_context():
            return receive(raw, recipients)


def listener(app, host="127.0.0.1", port=2525, lmtp=False):
    """An aiosmtpd controller (not started) serving `InboundHandler` over SMTP or LMTP."""
    from aiosmtpd.controller import Controller
    from aiosmtpd.lmtp import LMTP
    from aiosmtpd.smtp import SMTP

    handler = InboundHandler(app)
    limit = max_bytes(app)
    # aiosmtpd logs every recipient and, at DEBUG, every line of data: reply addresses are secrets.
    logging.getLogger("mail.log").setLevel(logging.WARNING)

    class _Controller(Controller):
        def factory(self):
            return (LMTP if lmtp else SMTP)(self.handler, **self.SMTP_kwargs)

    return _Controller(handler, hostname=host, port=port, data_size_limit=limit,
                       enable_SMTPUTF8=True)


def init_app(app):
    @app.cli.group("mail")
    def mail_cli():
        """Mail in: replies by e-mail."""

    @mail_cli.command("receive")
    @click.option("--recipient", "recipients", multiple=True,
                  help="Envelope recipient (Postfix: ${recipient}); may be repeated.")
    @click.option("--max-bytes", "limit", type=int, help="Size limit (default REPLY_MAIL_MAX_BYTES).")
    def receive_command(recipients, limit):
        """Read one RFC 5322 message on standard input and queue it (for a pipe from the MTA).

        Exit status 0: taken (posted later, or answered); 75 (EX_TEMPFAIL): the MTA should retry.
        """
        if limit:
            app.config["REPLY_MAIL_MAX_BYTES"] = limit
        limit = max_bytes(app)
        stream = sys.stdin.buffer
        raw = stream.read(limit + 1)
        if len(raw) > limit:
            while stream.read(1 << 20):  # drain, so the MTA sees the whole message taken
                pass
        if not raw.strip():
            click.echo("No message on standard input.", err=True)
            sys.exit(EX_DATAERR)
        try:
            outcome = receive(raw, recipients)
        except Exception:
            log.exception("inbound: could not store a message")
            db.session.rollback()
            click.echo("Temporary failure: the message could not be stored.", err=True)
            sys.exit(EX_TEMPFAIL)  # Postfix keeps the message and tries again
        click.echo(f"Message {outcome}.", err=True)

    @mail_cli.command("serve-inbound")
    @click.option("--host", default="127.0.0.1", show_default=True)
    @click.option("--port", default=2525, show_default=True, type=int)
    @click.option("--lmtp", is_flag=True, help="Speak LMTP instead of SMTP.")
    @click.option("--max-bytes", "limit", type=int, help="Size limit (default REPLY_MAIL_MAX_BYTES).")
    def serve_command(host, port, lmtp, limit):
        """Listen for replies by e-mail (point an MX or a relay transport at it)."""
        import threading

        if limit:
            app.config["REPLY_MAIL_MAX_BYTES"] = limit
        controller = listener(app, host, port, lmtp)
        controller.start()
        click.echo(f"Receiving {'LMTP' if lmtp else 'SMTP'} on {host}:{port} (Ctrl-C stops).")
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            pass
        finally:
            controller.stop()
