"""Core CLI commands: demo data and the vocabulary every database needs."""
import click
from sqlalchemy import func, select

from . import ui
from .accounts.models import County, User
from .extensions import db
from .vocabulary import COUNTIES


def ensure_counties():
    """Insert any of the 58 counties that are missing (migrations do this too)."""
    have = set(db.session.scalars(select(County.name)))
    for name, year in COUNTIES:
        if name not in have:
            db.session.add(County(name=name, slug=County.slugify(name),
                                  is_linkages=year is not None, linkages_since=year))


def seed_demo(app):
    """Load every feature's demo data, in order."""
    ensure_counties()
    for seed in ui.demo_seeds(app):
        seed.run()
        db.session.flush()


def init_app(app):
    @app.cli.command("seed-demo")
    @click.option("--if-empty", is_flag=True, help="Do nothing when accounts already exist.")
    def seed_demo_command(if_empty):
        """Load demo data: accounts, clusters and every feature's examples."""
        if if_empty and db.session.scalar(select(func.count()).select_from(User)):
            click.echo("Demo data already loaded.")
            return
        seed_demo(app)
        db.session.commit()
        click.echo("Demo data loaded. Sign in as admin@linkages.example.org / linkages-demo.")
