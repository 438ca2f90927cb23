"""Forum commands: `flask --app community forums send-digests`."""
import click

from . import notify


def init_app(app):
    @app.cli.group("forums")
    def forums_cli():
        """Peer-cluster forums."""

    @forums_cli.command("send-digests")
    @click.option("--period", help="The Pacific date the digests cover (default: today).")
    def send_digests_command(period):
        """E-mail the daily digests; running it again for the same period sends nothing new."""
        sent, skipped = notify.send_digests(period=period)
        click.echo(f"Digests sent: {sent}; nothing to send or already sent: {skipped}.")
