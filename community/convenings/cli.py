"""`flask --app community events ...`: the reminder run cron calls every few minutes."""
import click

from ..extensions import db


def init_app(app):
    @app.cli.group("events")
    def events_cli():
        """Convenings and webinars."""

    @events_cli.command("send-reminders")
    def send_reminders_command():
        """E-mail the day-before reminders that are due; safe to run as often as you like."""
        from .services import send_reminders

        sent = send_reminders()
        db.session.commit()
        click.echo(f"Reminders sent: {sent}.")
