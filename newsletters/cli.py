"""`flask newsletters ...`: the cron entry point and a worker for one issue."""
import click

from community.extensions import db


def init_app(app):
    @app.cli.group("newsletters")
    def group():
        """The newsletter: send what is due."""

    @group.command("send-due")
    def send_due_command():
        """Send scheduled issues that are due and resume stalled sends (safe every minute)."""
        from .delivery import start_due_sends

        started = start_due_sends()
        db.session.commit()
        if started:
            click.echo(f"Sending issue(s): {', '.join(map(str, started))}")
        # Without Redis the jobs run here, when this command's app context ends.
