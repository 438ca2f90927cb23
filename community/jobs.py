"""The one job abstraction: slow work (e-mail, indexing, newsletter delivery) runs outside the request.

`enqueue(func, *args)` records a job with the current database transaction; it is dispatched only
when that transaction commits and dropped when it rolls back, so a job never acts on data that
does not exist. Where it runs:

- with `REDIS_URL` set, on RQ workers (`flask --app community jobs worker`);
- without Redis, jobs queued by a web request (or by a job) are rows of the `jobs` table, written
  in the same transaction, and the same command runs a worker that polls that table (`make run`
  starts one): long work never runs in a web request;
- jobs queued by a CLI command (cron: `send-due`, `send-reminders`) run in that process when it
  ends, as do all jobs with `JOBS_INLINE` or `JOBS_QUEUE=inline` (the tests' default).

Jobs must be idempotent: a job may be retried, and a worker may die half-way.

`enqueue_merged(func, *args, ids=…)` is for work on a list of ids (indexing what changed): calls in
one transaction with the same other arguments, one after the other, make one job with all the ids.
"""
import contextlib
import contextvars
import importlib
import logging
import pickle
import time
from datetime import datetime, timedelta

import click
from flask import current_app, has_app_context, has_request_context
from sqlalchemy import LargeBinary, String, Text, event, or_, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from .extensions import db
from .timeutil import utcnow

log = logging.getLogger(__name__)

QUEUE_NAME = "community"
_MAX_INLINE_ROUNDS = 50
#: Attempts of a database-queued job before it is kept as failed, and the waits between them.
MAX_ATTEMPTS = 3
RETRY_SECONDS = (10, 60, 300)
#: A job running longer than this is taken to be orphaned by a dead worker and run again.
LEASE_SECONDS = 600
_in_worker = contextvars.ContextVar("in_database_worker", default=False)
_deferred = contextvars.ContextVar("jobs_deferred", default=False)


class Job(db.Model):
    """A job waiting for the database worker (used only without Redis)."""

    __tablename__ = "jobs"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: "module:function" to run.
    path: Mapped[str] = mapped_column(String(200))
    #: Pickled (args, kwargs): plain data such as ids, strings and message bytes.
    payload: Mapped[bytes] = mapped_column(LargeBinary)
    #: queued, running or failed (a job that succeeded is deleted).
    status: Mapped[str] = mapped_column(String(20), default="queued", index=True)
    attempts: Mapped[int] = mapped_column(default=0)
    #: Not run before this time (naive UTC): retries wait.
    run_after: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    #: When a worker took it; a running job older than the lease is taken again.
    started_at: Mapped[datetime | None]
    #: The last failure, for the administrator.
    error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


def enqueue(func, *args, **kwargs):
    """Run `func(*args, **kwargs)` after the current transaction commits.

    Arguments must be plain data (ids, strings, bytes): they may cross to another process.
    """
    path = f"{func.__module__}:{func.__qualname__}"
    session = db.session()
    if not session.in_transaction():
        session.begin()  # so that a rollback before the next commit drops this job
    if uses_database():
        job = Job(path=path, payload=pickle.dumps((args, kwargs)))
        db.session.add(job)
        return job
    db.session.info.setdefault("pending_jobs", []).append((path, args, kwargs))
    return None


def enqueue_merged(func, *args, ids, most=None, **kwargs):
    """Queue `func(*args, ids=ids, **kwargs)`, or add `ids` to the call of `func` this transaction
    queued last, when that call had the same other arguments (and would then hold at most `most`
    ids).

    A bulk change in one transaction (an import, the demo) then makes one job where it made one
    per item, and the calls of `func` still run in the order they were asked for: a call with
    other arguments in between starts a new job.
    """
    path = f"{func.__module__}:{func.__qualname__}"
    key = (args, sorted(kwargs.items()))
    merging = db.session.info.setdefault("merging_jobs", {})
    last = merging.get(path)
    if last is not None and last[0] == key and (most is None or len(last[1]) + len(ids) <= most):
        queued_ids = last[1]
        seen = set(queued_ids)
        queued_ids.extend(i for i in dict.fromkeys(ids) if i not in seen)
        return
    queued_ids = list(dict.fromkeys(ids))
    job = enqueue(func, *args, ids=queued_ids, **kwargs)
    merging[path] = (key, queued_ids)
    if job is not None:  # a row of the jobs table: its payload is written again before commit
        db.session.info.setdefault("merged_rows", []).append((job, args, kwargs, queued_ids, len(queued_ids)))


@event.listens_for(Session, "before_commit")
def _write_merged_payloads(session):
    """A merged job waiting in the jobs table gets the ids added since it was queued."""
    for job, args, kwargs, ids, queued in session.info.get("merged_rows", ()):
        if len(ids) > queued:
            job.payload = pickle.dumps((args, {"ids": ids, **kwargs}))


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


def uses_database(app=None):
    """Whether jobs queued here go to the `jobs` table: without Redis, in a request or a job."""
    app = app or current_app
    if uses_redis(app) or app.config.get("JOBS_INLINE"):
        return False
    kind = app.config.get("JOBS_QUEUE") or ("inline" if app.testing else "database")
    return kind == "database" and (has_request_context() or _in_worker.get() or _deferred.get())


@contextlib.contextmanager
def deferred():
    """Queue jobs to the database worker here too, as a request would (for mail coming in: the
    sending MTA must not wait for the work)."""
    token = _deferred.set(True)
    try:
        yield
    finally:
        _deferred.reset(token)


def run_database_jobs(burst=False, poll=1.0, stop=None):
    """The database worker: run queued jobs one at a time until stopped (or, with `burst`, until
    none is due). Several workers may run side by side; each job is taken by one of them."""
    token = _in_worker.set(True)
    ran = 0
    try:
        while stop is None or not stop():
            job_id = _take_job()
            if job_id is None:
                if burst:
                    return ran
                time.sleep(poll)
                continue
            _run_database_job(job_id)
            ran += 1
        return ran
    finally:
        _in_worker.reset(token)
        db.session.remove()


def _take_job():
    """Claim the oldest due job (or one orphaned by a dead worker) with one conditional UPDATE."""
    now = utcnow()
    due = or_((Job.status == "queued") & (Job.run_after <= now),
              (Job.status == "running") & (Job.started_at < now - timedelta(seconds=LEASE_SECONDS)))
    for _ in range(5):
        candidate = db.session.scalar(select(Job.id).where(due).order_by(Job.id).limit(1)
                                      .with_for_update(skip_locked=True))
        if candidate is None:
            db.session.commit()
            return None
        taken = db.session.execute(
            update(Job).where(Job.id == candidate, due)
            .values(status="running", started_at=now, attempts=Job.attempts + 1)
            .execution_options(synchronize_session=False)).rowcount
        db.session.commit()
        if taken:
            return candidate
    return None  # lost every race: another worker is busy with them


def _run_database_job(job_id):
    job = db.session.get(Job, job_id)
    path, (args, kwargs), attempts = job.path, pickle.loads(job.payload), job.attempts
    db.session.commit()
    try:
        _run(path, args, kwargs)
    except KeyboardInterrupt:  # the worker is stopping: give the job back for the next one
        db.session.rollback()
        db.session.execute(update(Job).where(Job.id == job_id)
                           .values(status="queued", attempts=Job.attempts - 1)
                           .execution_options(synchronize_session=False))
        db.session.commit()
        raise
    except Exception as error:
        log.exception("job %s failed (attempt %d)", path, attempts)
        final = attempts >= MAX_ATTEMPTS
        wait = RETRY_SECONDS[min(attempts, len(RETRY_SECONDS)) - 1]
        db.session.execute(
            update(Job).where(Job.id == job_id)
            .values(status="failed" if final else "queued", error=f"{type(error).__name__}: {error}"[:2000],
                    run_after=utcnow() + timedelta(seconds=wait))
            .execution_options(synchronize_session=False))
    else:
        db.session.execute(db.delete(Job).where(Job.id == job_id))
    db.session.commit()


def waiting_jobs():
    """How many jobs wait for the database worker (0 with Redis or inline jobs)."""
    return db.session.scalar(select(db.func.count()).select_from(Job).where(Job.status == "queued"))


def queue(app=None):
    """The RQ queue (only with REDIS_URL)."""
    from redis import Redis
    from rq import Queue

    app = app or current_app
    return Queue(QUEUE_NAME, connection=Redis.from_url(app.config["REDIS_URL"]))


@event.listens_for(Session, "after_commit")
def _dispatch_after_commit(session):
    session.info.pop("merging_jobs", None)
    session.info.pop("merged_rows", None)
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
        for name in ("pending_jobs", "merging_jobs", "merged_rows"):
            session.info.pop(name, None)


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
    @click.option("--burst", is_flag=True, help="Stop when no job is waiting.")
    def worker_command(burst):
        """Run queued jobs: an RQ worker with REDIS_URL, else the database worker."""
        if uses_redis(app):
            from rq import Worker

            q = queue(app)
            Worker([q], connection=q.connection).work(with_scheduler=False, burst=burst)
            return
        click.echo("Running jobs from the database queue (Ctrl-C stops).")
        # A job cut short by Ctrl-C is taken again after the lease; jobs are idempotent.
        with contextlib.suppress(KeyboardInterrupt):
            run_database_jobs(burst=burst)


