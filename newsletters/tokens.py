"""Signed links for subscribers: a confirmation link that expires, and a lasting per-subscriber link.

Signed with the app's SECRET_KEY through itsdangerous, each purpose with its own salt, and bound
to the address so a link stops working if the subscriber row is replaced.
"""
from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeSerializer, URLSafeTimedSerializer

from community.extensions import db

from .models import Subscriber

CONFIRM_SALT = "newsletters.confirm-subscription"
SUBSCRIBER_SALT = "newsletters.subscriber-links"


def _lasting():
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=SUBSCRIBER_SALT)


def _timed():
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=CONFIRM_SALT)


def subscriber_token(subscriber):
    """The token in every newsletter's unsubscribe and preference links."""
    return _lasting().dumps([subscriber.id, subscriber.email])


def subscriber_signer():
    """`sign(id, email)` -> the same token as `subscriber_token`, for many subscribers in a row."""
    serializer = _lasting()
    return lambda id, email: serializer.dumps([id, email])


def confirmation_token(subscriber):
    return _timed().dumps([subscriber.id, subscriber.email])


def subscriber_from_token(token):
    try:
        ident, email = _lasting().loads(token)
    except (BadSignature, ValueError, TypeError):
        return None
    return _matching(ident, email)


def subscriber_from_confirmation(token):
    max_age = current_app.config["NEWSLETTER_CONFIRM_DAYS"] * 86400
    try:
        ident, email = _timed().loads(token, max_age=max_age)
    except (SignatureExpired, BadSignature, ValueError, TypeError):
        return None
    return _matching(ident, email)


def _matching(ident, email):
    subscriber = db.session.get(Subscriber, ident) if isinstance(ident, int) else None
    if subscriber is None or subscriber.email != email:
        return None
    return subscriber
