"""Public newsletter pages: the archive, its feed, and the pages subscribers reach from e-mail."""
from flask import Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy.orm import selectinload

from community.caching import whole_page
from community.extensions import csrf, db, limiter
from community.mail import external_url
from community.timeutil import utcnow

from . import bp, services, tokens
from .forms import PreferencesForm, SubscribeForm
from .models import Issue, Subscriber
from .rendering import issue_contents, render_issue, render_issue_content

ARCHIVE_PER_PAGE = 12
#: The e-mail's own HTML (inline styles, no script), framed by our pages only.
WEB_VERSION_CSP = ("default-src 'none'; style-src 'unsafe-inline'; img-src 'self' https: data:; "
                   "frame-ancestors 'self'; base-uri 'none'; form-action 'none'")


def _limit(name):
    return lambda: current_app.config[name]


# The public side -------------------------------------------------------------------------------

@bp.get("/newsletter")
@whole_page
def archive():
    page = request.args.get("page", 1, type=int)
    issues = db.paginate(Issue.archived(), page=page, per_page=ARCHIVE_PER_PAGE, error_out=False)
    return render_template("newsletters/archive.html", issues=issues)


@bp.get("/newsletter/feed.atom")
def feed():
    issues = db.session.scalars(Issue.archived().limit(20)
                                .options(selectinload(Issue.blocks))).all()
    contents = issue_contents(issues)
    body = render_template("newsletters/feed.xml", issues=issues,
                           content=lambda i: render_issue_content(contents[i.id]),
                           feed_url=external_url("newsletters.feed"),
                           archive_url=external_url("newsletters.archive"), atom_date=_atom_date,
                           issue_url=lambda i: external_url("newsletters.issue_page",
                                                            issue_id=i.id, slug=i.slug))
    return Response(body, mimetype="application/atom+xml")


@bp.get("/newsletter/<int:issue_id>-<slug>")
def issue_page(issue_id, slug):
    issue = _sent_issue_or_404(issue_id)
    if slug != issue.slug:
        return redirect(url_for(".issue_page", issue_id=issue.id, slug=issue.slug), 301)
    return render_template("newsletters/issue.html", issue=issue,
                           content=render_issue_content(issue_contents([issue])[issue.id]))


@bp.get("/newsletter/<int:issue_id>/web.html")
def web_version(issue_id):
    issue = _sent_issue_or_404(issue_id)
    return email_html(render_issue(issue, audience="web").html)


@bp.route("/newsletter/subscribe", methods=["GET", "POST"])
@limiter.limit(_limit("LIMIT_NEWSLETTER_SUBSCRIBE"), methods=["POST"])
def subscribe():
    form = SubscribeForm()
    if form.validate_on_submit():
        try:
            services.subscribe(form.email.data, form.name.data, form.county_id.data,
                               form.topic_names.data)
        except services.InvalidAddress as error:
            form.email.errors.append(f"Enter a valid e-mail address ({error}).")
        else:
            db.session.commit()
            return render_template("newsletters/subscribe_sent.html", email=form.email.data)
    return render_template("newsletters/subscribe.html", form=form)


@bp.route("/newsletter/confirm/<token>", methods=["GET", "POST"])
def confirm(token):
    """Opening the link shows a button; the subscription is confirmed only when it is pressed.

    Mail filters common on county mailboxes open every link of a message as it arrives: a link
    that confirmed on opening would let anyone subscribe someone else's address.
    """
    subscriber = tokens.subscriber_from_confirmation(token)
    if subscriber is None:
        return render_template("newsletters/link_expired.html"), 410
    if request.method == "POST":
        services.confirm_subscription(subscriber)
        db.session.commit()
    if request.method == "POST" or subscriber.status == "confirmed":
        return render_template("newsletters/confirmed.html", subscriber=subscriber,
                               preferences_url=services.preferences_url(subscriber))
    return render_template("newsletters/confirm.html", subscriber=subscriber)


@bp.route("/newsletter/preferences/<token>", methods=["GET", "POST"])
@limiter.limit(_limit("LIMIT_NEWSLETTER_PREFERENCES"), methods=["POST"])
def preferences(token):
    subscriber = _subscriber_or_410(token)
    if not isinstance(subscriber, Subscriber):
        return subscriber
    form = PreferencesForm(obj=subscriber)
    if request.method == "GET":
        form.county_id.data = subscriber.county_id or 0
        form.paused.data = subscriber.status == "paused"
    if subscriber.status in ("confirmed", "paused") and form.validate_on_submit():
        services.update_preferences(subscriber, form.name.data, form.county_id.data,
                                    form.paused.data, form.topic_names.data)
        db.session.commit()
        flash("Your newsletter preferences are saved.", "success")
        return redirect(url_for(".preferences", token=token))
    return render_template("newsletters/preferences.html", form=form, subscriber=subscriber,
                           token=token)


def _token_key():
    return "newsletter-unsubscribe:" + (request.view_args or {}).get("token", "")


@bp.route("/newsletter/unsubscribe/<token>", methods=["GET", "POST"])
@csrf.exempt  # RFC 8058: mail providers POST here without a session; the signed token decides
# Limited per token, never per address: a mailbox provider sends every one-click unsubscribe
# from a few addresses, and a refused one leaves a person subscribed. Tokens are signed, so
# guessing them gains nothing.
@limiter.limit(_limit("LIMIT_NEWSLETTER_PREFERENCES"), methods=["POST"], key_func=_token_key)
def unsubscribe(token):
    subscriber = _subscriber_or_410(token)
    if not isinstance(subscriber, Subscriber):
        return subscriber
    if request.method == "POST":
        if request.form.get("List-Unsubscribe") != "One-Click":
            abort(400)
        services.unsubscribe(subscriber)
        db.session.commit()
        return render_template("newsletters/unsubscribed.html", subscriber=subscriber,
                               token=token)
    return render_template("newsletters/unsubscribe.html", subscriber=subscriber, token=token)


@bp.post("/newsletter/me")
@login_required
def member_toggle():
    if request.form.get("subscribe") == "1":
        services.subscribe_member(current_user)
        message = "You are subscribed to the Linkages newsletter."
    else:
        services.unsubscribe_member(current_user)
        message = "You are unsubscribed from the Linkages newsletter."
    db.session.commit()
    flash(message, "success")
    return redirect(url_for("accounts.profile", handle=current_user.handle))


def _atom_date(value):
    return (value or utcnow()).strftime("%Y-%m-%dT%H:%M:%SZ")


def _sent_issue_or_404(issue_id):
    issue = db.session.get(Issue, issue_id)
    if issue is None or issue.status != "sent":
        abort(404)
    return issue


def _subscriber_or_410(token):
    subscriber = tokens.subscriber_from_token(token)
    if subscriber is None:
        return render_template("newsletters/link_expired.html"), 410
    return subscriber


def email_html(html):
    response = Response(html, mimetype="text/html")
    response.headers["Content-Security-Policy"] = WEB_VERSION_CSP
    response.headers["X-Frame-Options"] = "SAMEORIGIN"
    return response
