"""Newsletter fixtures: content providers standing in for the other features, subscribers, issues."""
import os
import subprocess
import sys
import threading
from datetime import timedelta

import pytest
from aiosmtpd.controller import Controller

from community import content
from community.extensions import db
from community.timeutil import utcnow
from newsletters import services
from newsletters.models import Issue, Subscriber
from tests.support.mailserver import CollectingHandler, SMTPServer, free_port

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PRIVATE_THREAD = 13
PUBLIC_THREAD = 7


def register_test_providers(app, calls=None):
    """Providers shaped like the ones events, library and forums register (public content only)."""
    calls = calls if calls is not None else []

    def events(start, end):
        calls.append(("events", start, end))
        when = start + timedelta(days=3, hours=18)
        return [content.ContentCard(kind="event", title="Monthly webinar: mutual cases at intake",
                                    url="/events/41", summary="How three counties flag mutual "
                                    "families at the CalWORKs front door.", when=when,
                                    meta="Webinar · Online")]

    def resources(since):
        calls.append(("resources", since))
        return [content.ContentCard(kind="resource", title="Shared release of information",
                                    url="/library/9", summary="A template both programs sign.",
                                    meta="Form · Stanislaus County")]

    def thread_card(thread_id):
        if thread_id == PRIVATE_THREAD:
            raise content.NotPublic("it is in the private Family Engagement cluster")
        if thread_id != PUBLIC_THREAD:
            raise content.NotPublic("no such thread")
        return content.ContentCard(kind="thread", title="Announcing the 2027 convening dates",
                                   url="/forums/threads/7", summary="Members-only excerpt text",
                                   meta="CFPIC announcements")

    def cards_for_paths(paths, viewer):
        """What the features answer when an issue is shown: these stand-in items are still public."""
        public = {"/events/41", "/library/9", "/forums/threads/7"}
        return {path: content.ContentCard(kind="", title="", url=path) for path in paths if path in public}

    content.register_provider(app, "events.upcoming_public", events)
    content.register_provider(app, "resources.new_public", resources)
    content.register_provider(app, "forums.public_thread_card", thread_card)
    content.register_provider(app, "cards.for_paths", cards_for_paths)
    return calls


@pytest.fixture
def providers(app):
    return register_test_providers(app)


@pytest.fixture
def organizer(make_user):
    return make_user(role="organizer", name="Renee Okafor", email="organizer@linkages.example.org")


@pytest.fixture
def make_subscribers():
    def make(count, status="confirmed", prefix="reader"):
        people = []
        for n in range(count):
            subscriber = Subscriber(email=f"{prefix}{n}@county{n % 7}.example.gov",
                                    name=f"Reader {prefix} {n}")
            subscriber.confirm(source="import", when=utcnow() - timedelta(days=30))
            if status == "paused":
                subscriber.pause()
            elif status == "unsubscribed":
                subscriber.unsubscribe()
            elif status == "pending":
                subscriber.status, subscriber.consent_at = "pending", None
            db.session.add(subscriber)
            people.append(subscriber)
        db.session.commit()
        return people

    return make


@pytest.fixture
def compose_issue():
    """A draft with a story and a call to action, built through the services."""

    def compose(author, subject="Linkages Winter 2027: county spotlight on Fresno"):
        issue = services.create_issue(author, subject, "What Fresno learned from a year of "
                                      "coordinated case plans.", "Welcome to the **winter** issue.")
        services.save_block(author, issue, "story", "County spotlight: Fresno County",
                            "Fresno's CalWORKs and CWS staff now meet *weekly*.")
        services.save_block(author, issue, "cta", "Share your practice", "Tell us what works.",
                            {"button_text": "Share a practice",
                             "button_url": "https://linkages.example.org/share"})
        db.session.commit()
        return issue

    return compose


def make_due(issue):
    """Schedule an issue in the past, as if its time had come."""
    issue.schedule(utcnow() - timedelta(seconds=5))
    db.session.commit()
    return issue


class ScriptedHandler(CollectingHandler):
    """Keeps messages like the shared sink, but can refuse recipients or hold one message.

    :param refusals: {address: [reply, ...]} replies to RCPT TO, used in order, then accepted.
    :param hold_at: the n-th DATA (1-based) is held until `release` is set, then not accepted:
        the client never learns whether it was delivered.
    """

    def __init__(self, refusals=None, hold_at=None):
        super().__init__()
        self.refusals = {k: list(v) for k, v in (refusals or {}).items()}
        self.hold_at = hold_at
        self.data_count = 0
        self.holding = threading.Event()
        self.release = threading.Event()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        replies = self.refusals.get(address)
        if replies:
            return replies.pop(0)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.data_count += 1
            number = self.data_count
        if number == self.hold_at:
            self.holding.set()
            import asyncio

            while not self.release.is_set():
                await asyncio.sleep(0.05)
            return "451 4.3.0 Held and dropped by the test"
        return await super().handle_DATA(server, session, envelope)


@pytest.fixture
def scripted_smtp():
    servers = []

    def start(**kwargs):
        handler = ScriptedHandler(**kwargs)
        controller = Controller(handler, hostname="127.0.0.1", port=free_port())
        controller.start()
        servers.append((controller, handler))
        return SMTPServer(controller, handler)

    yield start
    for controller, handler in servers:
        handler.release.set()
        controller.stop()


def worker_process(app, mail_url, **settings):
    """Start `flask --app community newsletters send-due` in its own process, like cron does."""
    env = {**os.environ, "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
           "MAIL_URL": mail_url, "SECRET_KEY": app.config["SECRET_KEY"],
           "SITE_URL": app.config["SITE_URL"], "INSTANCE_PATH": app.instance_path,
           "REDIS_URL": "", "LOG_LEVEL": "WARNING",
           **{k: str(v) for k, v in settings.items()}}
    return subprocess.Popen([sys.executable, "-m", "flask", "--app", "community", "newsletters",
                             "send-due"], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)


def issue_status(issue_id):
    db.session.expire_all()
    return db.session.get(Issue, issue_id).status
