"""Newsletter scenario: send one issue to 10,000 subscribers through an SMTP sink on loopback.

The figure to compare between machines is the ratio to a bare smtplib loop that sends the same
number of minimal messages to the same sink in the same run: it shows what rendering, signing,
delivery rows and their commits cost on top of SMTP itself. The sink runs in a process of its own,
as a real mail server would: in the sender's process it would compete for the same interpreter
lock, which punishes any work the sender does between messages far beyond its cost. A second
reference loop sends the issue's own bytes, to show what the message's size costs the sink; the
issue's goal (70 % of raw smtplib to the same sink) is measured against it
(`ratio_to_same_bytes`): raw smtplib sending the same messages, with nothing else to do.
"""
import multiprocessing
import os
import smtplib
import tempfile
import threading
import time

from aiosmtpd.controller import Controller

from bench.common import empty_database, flask, free_port, report

RECIPIENTS = int(os.environ.get("BENCH_NEWSLETTER_RECIPIENTS", "10000"))


class CountingSink:
    """Accepts every message and only counts it, so the sink is never the bottleneck."""

    def __init__(self, counter=None):
        self.counter = counter
        self._count = 0
        self.lock = threading.Lock()

    @property
    def count(self):
        return self.counter.value if self.counter is not None else self._count

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            if self.counter is not None:
                with self.counter.get_lock():
                    self.counter.value += 1
            else:
                self._count += 1
        return "250 OK"


def _serve_sink(port, counter, ready, stop):
    controller = Controller(CountingSink(counter), hostname="127.0.0.1", port=port)
    controller.start()
    ready.set()
    stop.wait()
    controller.stop()


class SinkProcess:
    """A counting SMTP sink in a child process; `count` is shared."""

    def __init__(self):
        self.port = free_port()
        self.counter = multiprocessing.Value("i", 0)
        self.ready, self.stop_event = multiprocessing.Event(), multiprocessing.Event()
        self.process = multiprocessing.Process(
            target=_serve_sink, args=(self.port, self.counter, self.ready, self.stop_event))

    @property
    def count(self):
        return self.counter.value

    def start(self):
        self.process.start()
        if not self.ready.wait(30):
            raise RuntimeError("the SMTP sink did not start")

    def stop(self):
        self.stop_event.set()
        self.process.join(15)


def issue_bytes_loop(port, count, raw):
    """Seconds for the bare loop sending `raw` (a real issue's bytes) `count` times."""
    started = time.perf_counter()
    with smtplib.SMTP("127.0.0.1", port) as smtp:
        for n in range(count):
            smtp.sendmail("bench@linkages.example.org", [f"reader{n}@bench.example.gov"], raw)
    return time.perf_counter() - started


def bare_smtplib_loop(port, count):
    """Messages/s of the simplest possible sender: one connection, tiny messages."""
    started = time.perf_counter()
    with smtplib.SMTP("127.0.0.1", port) as smtp:
        for n in range(count):
            smtp.sendmail("bench@linkages.example.org", [f"reader{n}@bench.example.gov"],
                          f"Subject: bare {n}\r\n\r\nhello\r\n")
    return time.perf_counter() - started


def newsletter_send(database_url, instance, port, count):
    from sqlalchemy import insert

    from community import create_app, jobs
    from community.accounts import services as accounts
    from community.extensions import db
    from community.timeutil import utcnow
    from newsletters import services
    from newsletters.models import Delivery, Issue, Subscriber

    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "INSTANCE_PATH": instance,
                      "MAIL_URL": f"smtp://127.0.0.1:{port}", "SITE_URL": "https://linkages.example.org",
                      "NEWSLETTER_RATE": 0, "NEWSLETTER_BATCH_SIZE": 500,
                      "NEWSLETTER_JOB_SECONDS": 3600, "REDIS_URL": "", "LOG_LEVEL": "WARNING"})
    with app.app_context():
        organizer = accounts.create_user("organizer@linkages.example.org", "Renee Okafor",
                                         "linkages-bench", role="organizer")
        now = utcnow()
        db.session.execute(insert(Subscriber), [
            {"email": f"reader{n}@county{n % 58}.example.gov", "name": f"Reader {n}",
             "status": "confirmed", "source": "import", "consent_at": now, "created_at": now}
            for n in range(count)])
        issue = services.create_issue(organizer, "Linkages Winter 2027: Fresno in focus",
                                      "County spotlight and new toolkit items.",
                                      "Welcome to the **winter** issue of the Linkages newsletter.")
        services.save_block(organizer, issue, "story", "County spotlight: Fresno County",
                            "Fresno's CalWORKs and CWS staff now meet *weekly* to plan with "
                            "mutual families.\n\n- one plan\n- one team meeting\n- shared goals")
        services.save_block(organizer, issue, "cta", "Share your practice", "Tell us what works.",
                            {"button_text": "Share a practice",
                             "button_url": "https://linkages.example.org/share"})
        db.session.commit()
        started = time.perf_counter()
        services.send_issue_now(organizer, issue)
        db.session.commit()
        jobs.run_ready()
        elapsed = time.perf_counter() - started
        progress = Delivery.progress(issue.id)
        status = db.session.get(Issue, issue.id).status
        from newsletters.rendering import build_issue_message, render_issue

        message = build_issue_message(
            render_issue(issue), "reader1@county1.example.gov", "Reader 1",
            "https://linkages.example.org/u/x", "https://linkages.example.org/p/x",
            "<x@linkages.example.org>")
        raw = message.as_bytes(policy=message.policy.clone(linesep="\r\n"))
    return elapsed, progress, status, raw


def run(seconds=5.0):
    with tempfile.TemporaryDirectory() as instance:
        database_url = os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{instance}/bench.sqlite3"
        env = {**os.environ, "INSTANCE_PATH": instance, "DATABASE_URL": database_url,
               "FLASK_APP": "community"}
        empty_database(database_url)
        flask(env, "db", "upgrade")
        sink = SinkProcess()
        sink.start()
        try:
            bare = bare_smtplib_loop(sink.port, RECIPIENTS)
            bare_count = sink.count
            elapsed, progress, status, raw = newsletter_send(database_url, instance, sink.port,
                                                             RECIPIENTS)
            sent = sink.count - bare_count
            same_bytes = issue_bytes_loop(sink.port, RECIPIENTS, raw)
        finally:
            sink.stop()
    bare_rate = RECIPIENTS / bare
    rate = sent / elapsed
    backend = database_url.split(":", 1)[0]
    rows = [
        {"what": "bare smtplib loop (baseline)", "messages": bare_count,
         "seconds": round(bare, 2), "msgs_per_s": round(bare_rate, 1), "ratio_to_bare": 1.0},
        {"what": f"smtplib loop sending the issue's own {len(raw):,} bytes", "messages": RECIPIENTS,
         "seconds": round(same_bytes, 2), "msgs_per_s": round(RECIPIENTS / same_bytes, 1),
         "ratio_to_bare": round(bare / same_bytes, 3)},
        {"what": f"newsletter issue ({backend}, rows + commits)", "messages": sent,
         "seconds": round(elapsed, 2), "msgs_per_s": round(rate, 1),
         "ratio_to_bare": round(rate / bare_rate, 3),
         "ratio_to_same_bytes": round(same_bytes / elapsed * sent / RECIPIENTS, 3),
         "delivery_rows_sent": progress["sent"], "issue_status": status},
    ]
    return report("newsletters", rows)
