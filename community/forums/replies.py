"""Reply by e-mail: personal reply addresses on forum e-mails, and the rule for posting what comes back.

Every immediate notification and digest entry about a thread carries ``reply+<token>@<domain>``.
The token is random (160 bits, base32 so a mail system that lower-cases addresses keeps it), tied to
one person and one thread, and stored only as its sha256. It works while it is not revoked, not
older than `TOKEN_DAYS`, and — checked at use, not when it was mailed — while its person's account
is active and they may still see the thread.

A message to a reply address is posted through `services.post_reply`, the web form's service, so
every rule of the site applies (permission, locked thread, length, guard). The sender must be the
token's person; the receiving MTA's SPF/DKIM/DMARC verdict is honoured. The confidentiality guard's
"confirm it is not client data" cannot be given by e-mail: such a reply is held (`HeldReply`) and
its author gets a link to review and post it on the site; a Social Security number is refused.
Attachments are refused with a link to the site. Every refusal is one short answer by e-mail.
"""
import base64
import hashlib
import re
import secrets
from datetime import datetime, timedelta

from flask import abort, current_app, flash, redirect, url_for
from flask_login import current_user, login_required
from sqlalchemy import ForeignKey, String, Text, select, update
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .. import guard, mail
from ..accounts.models import User
from ..errors import DomainError
from ..extensions import db, limiter
from ..inbound import Handled, enabled
from ..permissions import NotAllowed, can
from ..timeutil import utcnow
from . import bp, services
from .forms import PostForm
from .models import Thread

#: A reply address stops working after this many days (a newer e-mail brings a new one).
TOKEN_DAYS = 120
_ADDRESS = re.compile(r"^reply\+([a-z2-7]{32})@(.+)$")


class ReplyToken(db.Model):
    """One personal reply address: a person may answer one thread by e-mail with it."""

    __tablename__ = "forum_reply_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: sha256 of the token; the token itself is only in the e-mail.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    thread_id: Mapped[int] = mapped_column(ForeignKey("forum_threads.id", ondelete="CASCADE"),
                                           index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None]
    last_used_at: Mapped[datetime | None]

    user: Mapped[User] = relationship()
    thread: Mapped[Thread] = relationship()


class HeldReply(db.Model):
    """A reply by e-mail the guard stopped; its author reviews it and posts it on the site."""

    __tablename__ = "forum_held_replies"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    thread_id: Mapped[int] = mapped_column(ForeignKey("forum_threads.id", ondelete="CASCADE"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: Set once the author posted it from the review page.
    post_id: Mapped[int | None] = mapped_column(ForeignKey("forum_posts.id", ondelete="SET NULL"))

    thread: Mapped[Thread] = relationship()


def _hash(token):
    return hashlib.sha256(token.encode()).hexdigest()


# --- Addresses on outgoing e-mail ---------------------------------------------------------------

def address_for(user, thread):
    """A new reply address for `user` on `thread`, or None when replying by e-mail is off or the
    person could not reply there now. The caller's transaction stores the token."""
    if thread is None or not enabled() or not user.is_active or not services.can_reply(user, thread):
        return None
    token = base64.b32encode(secrets.token_bytes(20)).decode().lower()
    db.session.add(ReplyToken(token_hash=_hash(token), user_id=user.id, thread_id=thread.id))
    db.session.flush()
    return f"reply+{token}@{current_app.config['REPLY_MAIL_DOMAIN']}"


def revoke(user, thread=None):
    """Revoke a person's reply addresses (on one thread, or all of them)."""
    query = update(ReplyToken).where(ReplyToken.user_id == user.id, ReplyToken.revoked_at.is_(None))
    if thread is not None:
        query = query.where(ReplyToken.thread_id == thread.id)
    db.session.execute(query.values(revoked_at=utcnow()).execution_options(synchronize_session=False))


def _token_for(recipients):
    domain = "@" + current_app.config["REPLY_MAIL_DOMAIN"].lower()
    for address in recipients:
        match = _ADDRESS.match(address.lower())
        if match and address.lower().endswith(domain):
            return db.session.scalar(select(ReplyToken).where(ReplyToken.token_hash == _hash(match[1])))
    return None


# --- Posting what comes back --------------------------------------------------------------------

def _answer(status, subject, text):
    return Handled(status, (subject, text))


def _thread_link(thread):
    return mail.external_url("forums.thread", thread_id=thread.id, slug=thread.slug)


def handle(incoming):
    """The ``mail.reply_handler``: post one incoming reply, or say why not."""
    site = current_app.config["SITE_URL"]
    token = _token_for(incoming.recipients)
    expired = token is not None and token.created_at < utcnow() - timedelta(days=TOKEN_DAYS)
    if token is None or token.revoked_at is not None or expired:
        return _answer("unknown-token", "Your reply was not posted",
                       "This reply address is unknown or no longer valid, so your message was not "
                       f"posted. Reply from a newer e-mail, or post on the site: {site}")
    user, thread = token.user, token.thread
    if incoming.sender != user.email.lower():
        return _answer("wrong-sender", "Your reply was not posted",
                       "This reply address belongs to the address it was sent to, and your message "
                       "came from another one, so it was not posted.")
    if not incoming.authenticated:
        return _answer("unauthenticated", "Your reply was not posted",
                       "Your mail system could not prove the message came from your address "
                       "(SPF/DKIM), so it was not posted. Please post on the site: " + site)
    if not user.is_active:
        return _answer("account-inactive", "Your reply was not posted",
                       "Your Linkages Community account is not active, so your message was not posted.")
    if thread.is_removed or not can(user, "view", thread) or not can(user, "post", thread.cluster):
        revoke(user, thread)
        return _answer("no-access", "Your reply was not posted",
                       "You are no longer a member of the cluster of this discussion, so your "
                       f"message was not posted. See your clusters on the site: {site}")
    if not services.can_reply(user, thread):
        return _answer("locked", "Your reply was not posted",
                       f"The discussion “{thread.title}” is locked: it takes no new replies. "
                       f"{_thread_link(thread)}")
    if incoming.attachments:
        return _answer("attachment", "Your reply was not posted",
                       "Replies by e-mail cannot carry attachments, so your message was not posted. "
                       "To share a file, add it to the resource library or post on the site: "
                       f"{_thread_link(thread)}")
    if not incoming.text.strip():
        return _answer("empty", "Your reply was not posted",
                       "We found no text in your reply above the quoted message, so nothing was "
                       f"posted. {_thread_link(thread)}")
    if not _within_rate_limit(user):
        return _answer("rate-limited", "Your reply was not posted",
                       "You are posting faster than the site allows. Wait a few minutes and send "
                       "your reply again.")
    token.last_used_at = utcnow()
    try:
        with db.session.begin_nested():
            post = services.post_reply(thread, user, incoming.text, confirmed=False)
    except guard.GuardStopped as stopped:
        if stopped.blocking:
            return _answer("guard-refused", "Your reply was not posted",
                           "Your reply looks like it contains a Social Security number. Those are "
                           "never posted, so your message was not posted. Please write it again "
                           f"without it: {_thread_link(thread)}")
        held = HeldReply(user_id=user.id, thread_id=thread.id, body=incoming.text)
        db.session.add(held)
        db.session.flush()
        labels = ", ".join(sorted({finding.label for finding in stopped.findings}))
        return _answer("held", "Please review your reply before it is posted",
                       f"Your reply to “{thread.title}” looks like it may contain client "
                       f"information ({labels}). It is not posted yet. Review it on the site and "
                       "post it there if it is not about a client or family:\n"
                       f"{mail.external_url('forums.held_reply', held_id=held.id)}")
    except NotAllowed:
        return _answer("not-allowed", "Your reply was not posted",
                       "You may not reply in this discussion, so your message was not posted.")
    except DomainError as error:  # too long, and every other rule of the web form
        return _answer("refused", "Your reply was not posted",
                       f"{error.message} Your message was not posted. {_thread_link(thread)}")
    return Handled("posted") if post else Handled("refused")


def _within_rate_limit(user):
    """Count a post by e-mail against the person's posting limit (the web form's setting)."""
    if not limiter.enabled or not current_app.config.get("RATELIMIT_ENABLED", True):
        return True
    from limits import parse_many

    return all(limiter.limiter.hit(item, "forum-post-mail", str(user.id))
               for item in parse_many(current_app.config["LIMIT_FORUM_POST"]))


@bp.post("/notifications/settings/reply-addresses")
@login_required
def revoke_reply_addresses():
    """Turn off every reply address sent to the person so far (say, after forwarding one)."""
    revoke(current_user)
    db.session.commit()
    flash("Your reply addresses so far are turned off. New forum e-mails bring new ones.", "success")
    return redirect(url_for("forums.settings"))


# --- Reviewing a held reply on the site ---------------------------------------------------------

@bp.route("/replies/held/<int:held_id>", methods=["GET", "POST"])
@login_required
def held_reply(held_id):
    """The author's own held reply, in the reply form, to check and post (or change)."""
    from .views import _thread_url, compose_page

    held = db.session.get(HeldReply, held_id)
    if held is None or held.user_id != current_user.id or not can(current_user, "view", held.thread):
        abort(404)
    thread = held.thread
    if held.post_id is not None:
        flash("This reply is already posted.", "info")
        return redirect(_thread_url(thread))
    form = PostForm()
    findings = []
    if not form.is_submitted():
        form.body.data = held.body
        findings = guard.check(held.body)

    def save(confirmed):
        post = services.post_reply(thread, current_user, form.body.data, None, confirmed)
        held.post_id = post.id
        db.session.commit()
        flash("Your reply is posted.", "success")
        return redirect(_thread_url(thread, post.number))

    return compose_page(form, save, thread.cluster, thread, "reply", findings=findings)
