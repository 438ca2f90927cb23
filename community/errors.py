"""Domain errors, the one helper views use to run a service call, and the app-wide handlers.

Services raise `DomainError` (a rule of the domain refuses what was asked; the message is for the
person) or `NotAllowed` (the person may not do it). A view runs the call through `attempt`, which
commits on success and, on a `DomainError`, rolls back and shows the message on the form. Anything
that escapes a view still answers a clear 4xx: `NotAllowed` is 403, `DomainError` is 400; a
form that lost a race on a unique row is answered again (`_answer_again_after_a_conflict`).
"""
from dataclasses import dataclass

from flask import flash, g, has_request_context, render_template, request
from sqlalchemy import event
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from .extensions import db


class DomainError(Exception):
    """A request the domain's rules refuse; the message is shown to the person.

    :param field: the form field the message belongs to, when there is one.
    """

    def __init__(self, message, field=None):
        super().__init__(message)
        self.message = message
        self.field = field


class NotAllowed(Exception):
    """Raised by services when the acting person may not do what they asked."""


@dataclass
class Outcome:
    """What `attempt` did: true when the call succeeded; `result` is what it returned."""

    result: object = None
    #: The DomainError (or the guard's GuardStopped) that refused the call.
    error: Exception | None = None

    def __bool__(self):
        return self.error is None


def attempt(call, form=None, field=None, success=None):
    """Run one service call and commit; on a `DomainError` roll back and say why.

    :param call: a function taking no arguments (usually a lambda around the service call).
    :param form: the form to show the message on (on `error.field`, else on `field`); without a
        form, or when it has no such field, the message is flashed.
    :param field: the form field for messages that name none.
    :param success: flashed after committing: a text, or a function of the result.
    :return: an `Outcome`; `NotAllowed` is not caught (the app answers it with 403).

    When the confidentiality guard stops the call, its findings go on `form.guard_findings` for
    the page to show (the form keeps what the person typed), and nothing is flashed.
    """
    from .guard import GuardStopped

    try:
        result = call()
    except GuardStopped as stopped:
        db.session.rollback()
        if form is not None:
            form.guard_findings = stopped.findings
        else:
            flash(str(stopped), "error")
        return Outcome(error=stopped)
    except DomainError as error:
        db.session.rollback()
        target = getattr(form, error.field or field or "", None) if form is not None else None
        if target is not None and hasattr(target, "errors"):
            target.errors = list(target.errors) + [error.message]
        else:
            flash(error.message, "error")
        return Outcome(error=error)
    db.session.commit()
    if success is not None:
        flash(success(result) if callable(success) else success, "success")
    return Outcome(result=result)


#: How many times a request that lost a race on a unique row is answered again.
ANSWER_AGAIN = 3


@event.listens_for(Session, "after_commit")
def _note_the_commit(session):
    if has_request_context() and not session.in_nested_transaction():  # a savepoint commits nothing
        g.committed = True


def init_app(app):
    @app.errorhandler(IntegrityError)
    def _answer_again_after_a_conflict(error):
        """A form sent twice at the same moment (a double click, a retry) or two people whose
        rows must differ (one name, so one handle) inserted the same unique thing at once: the
        database refused the second. Nothing of it was kept; the request is answered again, once,
        now that the first is committed, so it takes the path for what already exists ("you are
        already registered", the next free handle) instead of an error page. Up to three times:
        three namesakes at once take three handles in turn; never when the request had already
        committed something (answering again would do that part twice)."""
        while True:  # an exception raised in a handler never reaches the handler again: loop here
            db.session.rollback()
            if (request.method in ("GET", "HEAD") or g.get("answered_again", 0) >= ANSWER_AGAIN
                    or g.get("committed")):
                raise error
            g.answered_again = g.get("answered_again", 0) + 1
            try:
                return app.dispatch_request()
            except IntegrityError as again:
                error = again

    @app.errorhandler(NotAllowed)
    def _not_allowed(error):
        db.session.rollback()
        return render_template("core/error.html", code=403, title="Not allowed",
                               message=str(error) or "You do not have permission to do that."), 403

    @app.errorhandler(DomainError)
    def _refused(error):
        db.session.rollback()
        return render_template("core/error.html", code=400, title="That could not be done",
                               message=error.message), 400
