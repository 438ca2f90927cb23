"""The short feedback form after an event, and its summary for the organizers."""
from sqlalchemy import select

from ... import guard
from ...extensions import db
from ...permissions import NotAllowed
from ..models import EventError, EventFeedback, EventRegistration


def feedback_of(event, user):
    """The person's own feedback on the event, or None."""
    return db.session.scalar(select(EventFeedback).where(EventFeedback.event_id == event.id,
                                                         EventFeedback.user_id == user.id))


def submit_feedback(event, user, rating, useful, comment, confirmed=False):
    registration = db.session.scalar(select(EventRegistration).where(
        EventRegistration.event_id == event.id, EventRegistration.user_id == user.id))
    if not event.feedback_open or event.is_cancelled:
        raise EventError("Feedback is not open for this event.")
    if registration is None or registration.status != "registered":
        raise NotAllowed("Only people who registered can give feedback.")
    guard.screen({"comment": comment or ""}, confirmed)
    feedback = feedback_of(event, user)
    if feedback is None:
        feedback = EventFeedback(event_id=event.id, user_id=user.id)
        db.session.add(feedback)
    if not 1 <= int(rating) <= 5:
        raise EventError("Choose a rating from 1 to 5.")
    feedback.rating, feedback.useful, feedback.comment = int(rating), useful, (comment or "").strip()
    db.session.flush()
    return feedback


def feedback_summary(event):
    rows = db.session.scalars(select(EventFeedback).where(EventFeedback.event_id == event.id)
                              .order_by(EventFeedback.created_at.desc())).all()
    ratings = [r.rating for r in rows]
    return {
        "count": len(rows),
        "average": round(sum(ratings) / len(ratings), 1) if ratings else None,
        "by_rating": {n: ratings.count(n) for n in range(5, 0, -1)},
        "useful": {k: sum(1 for r in rows if r.useful == k) for k in ("yes", "maybe", "no")},
        "comments": [r.comment for r in rows if r.comment],
    }
