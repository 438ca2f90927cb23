"""`flask --app community surveys send-reminders`: one reminder per unanswered invitation."""
import click

from ..extensions import db


def init_app(app):
    @app.cli.group("surveys")
    def surveys_cli():
        """County implementation surveys."""

    @surveys_cli.command("send-reminders")
    def send_reminders_command():
        """Remind people whose round closes within a week; safe to run as often as you like."""
        from .services import send_reminders

        sent = send_reminders()
        db.session.commit()
        click.echo(f"Survey reminders sent: {sent}.")
