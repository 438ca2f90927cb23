"""CLI: `flask --app community create-user EMAIL --role ROLE`."""
import sys

import click

from ..extensions import db
from ..vocabulary import ROLE_LABELS
from . import services


def init_app(app):
    @app.cli.command("create-user")
    @click.argument("email")
    @click.option("--name", default=None, help="Full name (defaults to the e-mail's local part).")
    @click.option("--role", type=click.Choice(list(ROLE_LABELS)), default="member")
    @click.option("--county", default=None, help="County name, e.g. Stanislaus.")
    @click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
    def create_user_command(email, name, role, county, password_stdin):
        """Create an active account (password from a prompt or --password-stdin)."""
        if password_stdin:
            password = sys.stdin.readline().rstrip("\n")
        else:
            password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
        try:
            user = services.create_user(email, name or email.split("@")[0].replace(".", " ").title(),
                                        password, role=role, county_name=county)
        except services.AccountError as error:
            raise click.ClickException(str(error)) from error
        db.session.commit()
        click.echo(f"Created {user.role} {user.email} (@{user.handle}).")
