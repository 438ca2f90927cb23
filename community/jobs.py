"""The one job abstraction: slow work (e-mail, indexing, newsletter delivery) runs outside the request.

`enqueue(func, *args)` records a job on the database session; it is dispatched only when that
transaction commits and dropped when it rolls back, so a job never acts on data that does not
exist. With `REDIS_URL` set, jobs go to RQ workers (`flask --app community jobs worker`);
otherwise they run in-process at the end of the request or CLI command. Jobs must be idempotent:
RQ may retry a job, and a worker may die half-way.
"""
import importlib
import logging

from flask import current_app, has_app_context, has_request_context
from sqlalchemy import event
from sqlalchemy.orm import Session

from .extensions import db

log = logging.getLogger(__name__)

QUEUE_NAME = "community"
_MAX_INLINE_ROUNDS = 50


def enqueue(func, *args, **kwargs):
    """Run `func(*args, **kwargs)` after the current transaction commits.

    Arguments must be plain data (ids, strings, bytes): they may cross to another process.
    """
    path = f"{func.__module__}:{func.__qualname__}"
    session = db.session()
    if not session.in_transaction():
        session.begin()  # so that a rollback before the next commit drops this job
    db.session.info.setdefault("pending_jobs", []).append((path, args, kwargs))


def execute(path, args=(), kwargs=None):
    """RQ's entry point: run one job with a fresh database session."""
    try:
        return _run(path, args, kwargs)
    finally:
        db.session.remove()


def _run(path, args=(), kwargs=None):
    """Import and run one job, committing what it did."""
    module_name, _, attr = path.partition(":")
    func = importlib.import_module(module_name)
    for part in attr.split("."):
        func = getattr(func, part)
    try:
        result = func(*args, **(kwargs or {}))
        db.session.commit()
        return result
    except Exception:
        db.session.rollback()
        raise


def run_ready():
    """Run, in this process, every job whose transaction has committed. Returns how many ran."""
    ran = 0
    for _ in range(_MAX_INLINE_ROUNDS):
        ready = db.session.info.pop("ready_jobs", [])
        if not ready:
            return ran
        for path, args, kwargs in ready:
            try:
                _run(path, args, kwargs)
            except Exception:  # a failing job must not break the page that queued it
                log.exception("job %s failed", path)
            ran += 1
    log.error("jobs kept queueing jobs; stopped after %d rounds", _MAX_INLINE_ROUNDS)
    return ran


def uses_redis(app=None):
    app = app or current_app
    return bool(app.config.get("REDIS_URL")) and not app.config.get("JOBS_INLINE")


def queue(app=None):
    """The RQ queue (only with REDIS_URL)."""
    from redis import Redis
    from rq import Queue

    app = app or current_app
    return Queue(QUEUE_NAME, connection=Redis.from_url(app.config["REDIS_URL"]))


@event.listens_for(Session, "after_commit")
def _dispatch_after_commit(session):
    pending = session.info.pop("pending_jobs", None)
    if not pending:
        return
    if has_app_context() and uses_redis():
        from rq import Retry

        q = queue()
        for path, args, kwargs in pending:
            q.enqueue(execute, path, args, kwargs, retry=Retry(max=3, interval=[10, 60, 300]))
        return
    session.info.setdefault("ready_jobs", []).extend(pending)


@event.listens_for(Session, "after_soft_rollback")
def _drop_after_rollback(session, previous_transaction):
    if previous_transaction.parent is None:  # the outermost transaction rolled back
        session.info.pop("pending_jobs", None)


def init_app(app):
    """Run in-process jobs when a request or CLI command ends."""

    @app.teardown_request
    def _run_jobs_after_request(exc):
        if exc is None:
            run_ready()
        else:
            db.session.info.pop("ready_jobs", None)

    @app.teardown_appcontext
    def _run_jobs_after_command(exc):
        if not has_request_context() and exc is None:
            run_ready()

    @app.cli.group("jobs")
    def jobs_cli():
        """Background job queue (RQ on Redis)."""

    @jobs_cli.command("worker")
    def worker_command():
        """Run an RQ worker that executes queued jobs (needs REDIS_URL)."""
        from rq import Worker

        if not app.config.get("REDIS_URL"):
            raise SystemExit("REDIS_URL is not set: jobs already run in-process.")
        q = queue(app)
        Worker([q], connection=q.connection).work(with_scheduler=False)


