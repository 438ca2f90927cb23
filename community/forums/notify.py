"""Who hears of what: watch levels, in-app notifications, immediate e-mails and daily digests.

A new post notifies each person at most once, in this order of precedence: a mention, a reply to
them, then "posted" for people watching the thread. Muted threads and clusters notify no one.
E-mail is checked against the permission policy when it is sent, not when it was queued, so a
person who left a cluster never receives its content. For the same reason forum e-mail is
rendered by the job that hands it to the transport (`mail.send_now`), never queued as rendered
bytes: a post redacted while its notification or digest waits goes out redacted, and a retried
job renders again from the live rows.
"""
import contextlib
from collections import OrderedDict

from flask import current_app, g
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import and_, exists, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from .. import mail
from ..accounts.models import User, read_with_session
from ..extensions import db
from ..jobs import enqueue
from ..permissions import can
from ..timeutil import to_pacific, utcnow
from .models import (EMAIL_MODES, WATCH_LEVEL_NAMES, Digest, EmailPreference, ForumError,
                     UNREAD_COUNT, Notification, Post, Watch, unread_of)

#: Digest e-mails list at most this many notifications, then "more on the site".
DIGEST_LIMIT = 25


# --- Watch levels ---------------------------------------------------------------------------

def _watch_row(user, cluster=None, thread=None):
    query = select(Watch).where(Watch.user_id == user.id)
    if thread is not None:
        return db.session.scalar(query.where(Watch.thread_id == thread.id))
    return db.session.scalar(query.where(Watch.cluster_id == cluster.id))


def set_watch_level(user, level, cluster=None, thread=None):
    """Set a person's level on a cluster or a thread; "default" removes the choice."""
    readable = can(user, "view", thread) if thread is not None else can(user, "read", cluster)
    if not readable:
        raise ForumError("You cannot watch what you cannot read.")
    row = _watch_row(user, cluster, thread)
    if level == "default":
        if row is not None:
            db.session.delete(row)
        db.session.flush()
        return None
    if level not in WATCH_LEVEL_NAMES:
        raise ForumError("Choose watching, tracking, normal or muted.")
    if row is None:
        row = Watch(user_id=user.id, level=level,
                    cluster_id=None if thread is not None else cluster.id,
                    thread_id=thread.id if thread is not None else None)
        db.session.add(row)
    row.level = level
    db.session.flush()
    return row


def set_watch_levels(user, choices):
    """Apply the settings page's levels: `choices` is [(Cluster or Thread, level)]. A level for
    something the person can no longer read is left alone."""
    for target, level in choices:
        is_thread = target.__class__.__name__ == "Thread"
        with contextlib.suppress(ForumError):
            set_watch_level(user, level, cluster=None if is_thread else target,
                            thread=target if is_thread else None)


def watch_on_participation(user, thread):
    """Starting or replying to a thread watches it, unless the person chose a level before."""
    if _watch_row(user, thread=thread) is None:
        db.session.add(Watch(user_id=user.id, thread_id=thread.id, level="watching"))
        db.session.flush()


def levels_for_thread(thread, user_ids=None):
    """{user_id: effective level} for everyone with a choice that affects `thread`."""
    query = select(Watch.user_id, Watch.thread_id, Watch.level).where(
        or_(Watch.thread_id == thread.id, Watch.cluster_id == thread.cluster_id))
    if user_ids is not None:
        query = query.where(Watch.user_id.in_(user_ids))
    levels, by_thread = {}, {}
    for user_id, thread_id, level in db.session.execute(query):
        (by_thread if thread_id is not None else levels)[user_id] = level
    levels.update(by_thread)
    return levels


def watches_of(user):
    """Every level the person chose, clusters first, with what they are on."""
    rows = db.session.scalars(select(Watch).where(Watch.user_id == user.id)
                              .options(selectinload(Watch.thread), selectinload(Watch.cluster))
                              .order_by(Watch.thread_id.is_not(None), Watch.updated_at.desc())).all()
    return [w for w in rows if (can(user, "view", w.thread) and not w.thread.is_removed
                                if w.thread is not None else can(user, "read", w.cluster))]


# --- E-mail preference ----------------------------------------------------------------------

def email_mode(user):
    mode = db.session.scalar(select(EmailPreference.mode).where(EmailPreference.user_id == user.id))
    return mode or EmailPreference.DEFAULT_MODE


#: Signs the link that turns a person's forum e-mail off from a message (RFC 8058 one-click).
EMAIL_OFF_SALT = "forums.email-off"


def _email_off_signer():
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=EMAIL_OFF_SALT)


def email_off_url(user):
    """The link in every forum e-mail that turns this person's forum e-mail off, without signing
    in: mail providers' "Unsubscribe" buttons POST to it (List-Unsubscribe-Post)."""
    return mail.external_url("forums.email_off", token=_email_off_signer().dumps([user.id, user.email]))


def person_from_email_off(token):
    """The active person a link names, or None (tampered, or the address changed since)."""
    try:
        ident, email = _email_off_signer().loads(token)
    except (BadSignature, ValueError, TypeError):
        return None
    person = db.session.get(User, ident) if isinstance(ident, int) else None
    return person if person is not None and person.email == email and person.is_active else None


def _list_headers(message, user):
    """One-click unsubscribe headers (RFC 2369, RFC 8058) on a forum e-mail to `user`."""
    message["List-Unsubscribe"] = f"<{email_off_url(user)}>"
    message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    return message


def set_email_mode(user, mode):
    if mode not in dict(EMAIL_MODES):
        raise ForumError("Choose immediately, a daily digest or never.")
    preference = db.session.get(EmailPreference, user.id)
    if preference is None:
        preference = EmailPreference(user_id=user.id)
        db.session.add(preference)
    preference.mode = mode
    db.session.flush()


# --- Notifications --------------------------------------------------------------------------

def add(user, kind, actor=None, cluster=None, thread=None, post=None):
    """Record a notification; with immediate e-mail, queue it (checked again when sent)."""
    if kind not in Notification.KINDS:
        raise ValueError(kind)
    notification = Notification(user_id=user.id, kind=kind, actor_id=getattr(actor, "id", None),
                                cluster_id=(cluster or thread.cluster).id,
                                thread_id=getattr(thread, "id", None),
                                post_id=getattr(post, "id", None))
    db.session.add(notification)
    db.session.flush()
    _forget_unread(user.id)
    if email_mode(user) == "immediate":
        enqueue(send_notification_email, notification.id)
    return notification


def new_post(post, mentioned):
    """Notify mentioned people, the person replied to, and the thread's watchers."""
    thread = post.thread
    author_id = post.author_id
    recipients = OrderedDict()
    for person in mentioned:
        recipients.setdefault(person.id, (person, "mention"))
    if post.number > 1:
        replied_to = db.session.get(Post, post.reply_to_id) if post.reply_to_id else None
        target_id = replied_to.author_id if replied_to is not None else thread.author_id
        if target_id not in recipients:
            recipients[target_id] = (db.session.get(User, target_id), "reply")
    levels = levels_for_thread(thread)
    watchers = [user_id for user_id, level in levels.items() if level == "watching"]
    missing = [user_id for user_id in watchers if user_id not in recipients]
    if missing:
        for person in db.session.scalars(select(User).where(User.id.in_(missing))):
            recipients[person.id] = (person, "posted")
    for user_id, (person, kind) in recipients.items():
        if user_id == author_id or person is None or not person.is_active:
            continue
        if levels.get(user_id) == "muted" or not can(person, "view", thread):
            continue  # a mention of someone outside the cluster notifies nobody
        add(person, kind, actor=post.author, thread=thread, post=post)


def moderated(actor, kind, person, thread=None, cluster=None):
    """Tell `person` a moderator acted on what they wrote (not when they acted themselves)."""
    if person is not None and person.id != actor.id and person.is_active:
        add(person, kind, actor=actor, cluster=cluster, thread=thread)


def new_flag(flag, facilitators):
    """Tell the cluster's facilitators (but the one who flagged) of a new flag."""
    for person in facilitators:
        if person.id != flag.flagged_by_id and person.is_active:
            add(person, "flag", actor=flag.flagged_by, thread=flag.post.thread, post=flag.post)


def new_mentions(post, people):
    """People mentioned for the first time by an edit."""
    thread = post.thread
    levels = levels_for_thread(thread, [p.id for p in people])
    for person in people:
        if person.id != post.author_id and levels.get(person.id) != "muted" \
                and can(person, "view", thread):
            add(person, "mention", actor=post.author, thread=thread, post=post)


def mark_notifications_read(user, ids=None):
    _forget_unread(user.id)
    query = Notification.__table__.update().where(Notification.user_id == user.id,
                                                  Notification.read_at.is_(None))
    if ids is not None:
        query = query.where(Notification.id.in_(ids))
    db.session.execute(query.values(read_at=utcnow()))


def unread_about_clause(person_id, thread_id, number):
    """The person's unread notifications about the thread up to post `number` (values or bound
    parameters): those about the thread itself or about a post numbered up to `number` — each
    notification's post looked up by its id, so the cost does not grow with `number` (a list of the
    thread's posts up to it did: 400 of them for page 20)."""
    seen = exists().where(Post.id == Notification.post_id, Post.thread_id == thread_id, Post.number <= number)
    return and_(Notification.user_id == person_id, Notification.thread_id == thread_id,
                Notification.read_at.is_(None), or_(Notification.post_id.is_(None), seen))


def mark_thread_read(user, thread, number):
    """Reading `thread` up to post `number` marks the person's notifications about it read;
    those about later posts stay unread."""
    _forget_unread(user.id)
    db.session.execute(Notification.__table__.update().where(unread_about_clause(user.id, thread.id, number))
                       .values(read_at=utcnow()))


def still_visible(notification, user):
    """Whether the notification's content may still go to this person."""
    if notification.thread is None:
        return True
    if not can(user, "view", notification.thread) or notification.thread.is_removed:
        return False
    return notification.post is None or notification.post.is_visible


def send_notification_email(notification_id):
    """Job: e-mail one notification, if the person still wants it and may still see it."""
    notification = db.session.get(Notification, notification_id)
    if notification is None or notification.emailed_at is not None:
        return
    user = notification.user
    if not user.is_active or email_mode(user) != "immediate":
        return
    notification.emailed_at = utcnow()
    if not still_visible(notification, user):
        return
    from . import replies

    subject = _subject(notification)
    reply_address = replies.address_for(user, notification.thread)
    message = mail.render_message("forum_notification", user, subject, user=user,
                                  notification=notification, url=_url(notification),
                                  excerpt=_excerpt(notification), reply_address=reply_address,
                                  settings_url=mail.external_url("forums.settings"))
    if reply_address:
        message["Reply-To"] = reply_address
    mail.send_now(_list_headers(message, user))


def _subject(notification):
    actor = notification.actor.name if notification.actor else "Someone"
    if notification.thread is not None:
        about = "" if notification.kind in Notification.ABOUT_THE_THREAD else "in "
        return f"{actor} {notification.verb} {about}“{notification.thread.title}”"
    return f"{actor} {notification.verb} {notification.cluster.name}"


def destination(notification, user):
    """(endpoint, values) of the page a notification leads `user` to: the post, the flag queue,
    the members page for a join request, the thread, else the cluster."""
    visible = still_visible(notification, user)
    if notification.kind == "flag" and visible:
        return "forums.flags", {}
    if notification.post_id and visible:
        return "forums.post_link", {"post_id": notification.post_id}
    if notification.kind == "join_request":
        return "forums.members", {"slug": notification.cluster.slug}
    if notification.thread is not None and visible:
        return "forums.thread", {"thread_id": notification.thread_id,
                                 "slug": notification.thread.slug}
    return "forums.cluster", {"slug": notification.cluster.slug}


def _url(notification):
    endpoint, values = destination(notification, notification.user)
    return mail.external_url(endpoint, **values)


# --- Daily digests --------------------------------------------------------------------------

def digest_period(now=None):
    """The Pacific date a digest run covers, as "YYYY-MM-DD"."""
    return to_pacific(now or utcnow()).date().isoformat()


def digest_recipients(until):
    """Ids of active people on digest mode with notifications not yet e-mailed."""
    mode = func.coalesce(EmailPreference.mode, EmailPreference.DEFAULT_MODE)
    return db.session.scalars(
        select(Notification.user_id).distinct()
        .join(User, User.id == Notification.user_id)
        .outerjoin(EmailPreference, EmailPreference.user_id == Notification.user_id)
        .where(Notification.emailed_at.is_(None), Notification.created_at <= until,
               User.status == "active", mode == "digest")
        .order_by(Notification.user_id)).all()


def send_digest(user, period, until):
    """Claim (user, period) and queue one digest e-mail; returns the number of items, 0 if none.

    The claim row is unique per person and period, so a retried or repeated run sends nothing new.
    The caller commits after each person. The e-mail itself is rendered by `send_digest_email`.
    """
    if db.session.scalar(select(Digest.id).where(Digest.user_id == user.id, Digest.period == period)):
        return 0
    pending = db.session.scalars(
        select(Notification).where(Notification.user_id == user.id,
                                   Notification.emailed_at.is_(None),
                                   Notification.created_at <= until)
        .order_by(Notification.cluster_id, Notification.created_at)).all()
    now = utcnow()
    visible = [n for n in pending if still_visible(n, user)]
    for notification in pending:
        notification.emailed_at = now  # invisible ones are dropped, never mailed later
    if not visible:
        db.session.flush()
        return 0
    digest = Digest(user_id=user.id, period=period, notification_count=len(visible))
    db.session.add(digest)
    db.session.flush()  # raises IntegrityError when another run claimed this period first
    for notification in visible:
        notification.digest_id = digest.id
    db.session.flush()
    enqueue(send_digest_email, digest.id)
    return len(visible)


def send_digest_email(digest_id):
    """Job: render a claimed digest from the live rows and hand it to the transport, once."""
    digest = db.session.get(Digest, digest_id)
    if digest is None or digest.sent_at is not None:
        return
    digest.sent_at = utcnow()
    user = db.session.get(User, digest.user_id)
    if user is None or not user.is_active:
        return
    carried = db.session.scalars(
        select(Notification).where(Notification.digest_id == digest.id)
        .order_by(Notification.cluster_id, Notification.created_at, Notification.id)).all()
    visible = [n for n in carried if still_visible(n, user)]  # checked again at sending time
    if not visible:
        return
    shown = visible[:DIGEST_LIMIT]
    from . import replies

    groups, reply_addresses, by_thread = OrderedDict(), {}, {}
    for notification in shown:
        if notification.thread is not None:  # one reply address per thread in the digest
            if notification.thread_id not in by_thread:
                by_thread[notification.thread_id] = replies.address_for(user, notification.thread)
            reply_addresses[notification.id] = by_thread[notification.thread_id]
        groups.setdefault(notification.cluster, []).append(
            (notification, _url(notification), _excerpt(notification)))
    subject = f"Your Linkages digest: {len(visible)} update{'s' if len(visible) != 1 else ''}"
    mail.send_now(_list_headers(mail.render_message(
        "forum_digest", user, subject, user=user, groups=groups, total=len(visible),
        more=len(visible) - len(shown), period=digest.period, reply_addresses=reply_addresses,
        notifications_url=mail.external_url("forums.notifications"),
        settings_url=mail.external_url("forums.settings")), user))


def _excerpt(notification, length=200):
    from .markup import to_text

    if notification.post is None or not notification.post.is_visible:
        return ""
    text = to_text(notification.post.body_source)
    return text if len(text) <= length else text[:length].rsplit(" ", 1)[0] + " …"


def send_digests(period=None, now=None):
    """Send every due digest, one transaction per person. Returns (sent, skipped)."""
    now = now or utcnow()
    period = period or digest_period(now)
    sent = skipped = 0
    for user_id in digest_recipients(now):
        user = db.session.get(User, user_id)
        try:
            count = send_digest(user, period, now)
            db.session.commit()
        except IntegrityError:
            db.session.rollback()
            count = 0
        if count:
            sent += 1
        else:
            skipped += 1
    return sent, skipped


def _unread_key(user_id):
    return f"_forum_unread_{user_id}"


def unread_count(user):
    """The person's unread notifications (read once per request, with their session when they
    are the one signed in: the bell and the thread page both ask; marking notifications read
    forgets it)."""
    key = _unread_key(user.id)
    if key not in g:
        _receive_unread(user, db.session.scalar(UNREAD_COUNT, {"person": user.id}))
    return g.get(key)


def _forget_unread(user_id):
    g.pop(_unread_key(user_id), None)


def _receive_unread(user, count):
    setattr(g, _unread_key(user.id), count)


# Every signed-in page shows the bell: its count is read with the person's session.
read_with_session("forum_unread", lambda person: unread_of(person).scalar_subquery(), _receive_unread)


def recent_for(user, page, per_page=30):
    return db.paginate(Notification.for_user(user.id), page=page, per_page=per_page, error_out=False)


def grouped_by_thread(notifications):
    """[(thread or None, cluster, [notification])]: a page's notifications grouped by thread (the
    others by cluster), groups in the order of their newest notification."""
    groups = OrderedDict()
    for notification in notifications:
        key = ("thread", notification.thread_id) if notification.thread_id else ("cluster", notification.cluster_id)
        groups.setdefault(key, (notification.thread, notification.cluster, []))[2].append(notification)
    return list(groups.values())

