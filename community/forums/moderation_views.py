"""Moderation pages: join requests and roles, pinning, locking and moving threads, acts on posts,
hiding and flagging, redaction and the flag queue.

Every rule is the services' (which check the permission policy); these pages look things up,
call one service and say what happened.
"""
from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from ..clusters.models import Cluster, ClusterMembership
from ..errors import attempt
from ..extensions import db
from ..guard import GuardStopped
from ..permissions import can, get_or_404, require
from . import bp, markup, services
from .forms import ReasonForm, RedactPostForm, RedactTitleForm
from .models import Flag, Post, Thread
from .views import _post_or_404, _readable_cluster_or_404, _thread_or_404, _thread_url


def _membership_or_404(slug, membership_id=None, user_id=None):
    """(cluster, membership) for a membership of a cluster the person may read, by its id or by
    the member's; 404 when there is none."""
    cluster = _readable_cluster_or_404(slug)
    query = select(ClusterMembership).where(ClusterMembership.cluster_id == cluster.id)
    if membership_id is not None:
        query = query.where(ClusterMembership.id == membership_id)
    else:
        query = query.where(ClusterMembership.user_id == user_id)
    membership = db.session.scalar(query)
    if membership is None:
        abort(404)
    return cluster, membership


def _to_members(cluster):
    return redirect(url_for("forums.members", slug=cluster.slug))


@bp.post("/clusters/<slug>/requests/<int:membership_id>/<any(approve, decline):decision>")
@login_required
def decide_request(slug, membership_id, decision):
    cluster, membership = _membership_or_404(slug, membership_id=membership_id)
    attempt(lambda: services.decide_join_request(membership, current_user, decision == "approve"),
            success=f"{membership.user.name}: request {decision}d.")
    return _to_members(cluster)


@bp.post("/clusters/<slug>/members/<int:user_id>/role")
@login_required
def set_role(slug, user_id):
    cluster, membership = _membership_or_404(slug, user_id=user_id)
    role = request.form.get("role", "")
    attempt(lambda: services.set_member_role(cluster, membership.user, role, current_user),
            success=f"{membership.user.name} is now a {role} of {cluster.name}.")
    return _to_members(cluster)


@bp.post("/clusters/<slug>/members/<int:user_id>/remove")
@login_required
def remove_member(slug, user_id):
    cluster, membership = _membership_or_404(slug, user_id=user_id)
    person = membership.user
    attempt(lambda: services.remove_member(cluster, person, current_user),
            success=f"{person.name} is no longer a member of {cluster.name}.")
    return _to_members(cluster)


@bp.post("/t/<int:thread_id>/<any(pin, unpin, lock, unlock):action>")
@login_required
def moderate_thread(thread_id, action):
    thread = _thread_or_404(thread_id)
    if action in ("pin", "unpin"):
        services.set_pinned(thread, current_user, action == "pin")
    else:
        services.set_locked(thread, current_user, action == "lock")
    db.session.commit()
    flash(f"Thread {action}ned." if action.endswith("pin") else f"Thread {action}ed.", "success")
    return redirect(_thread_url(thread))


@bp.post("/t/<int:thread_id>/move")
@login_required
def move(thread_id):
    thread = _thread_or_404(thread_id)
    target = db.session.get(Cluster, request.form.get("cluster_id", type=int) or 0)
    if target is None:
        abort(404)
    attempt(lambda: services.move_thread(thread, current_user, target),
            success=f"Thread moved to {target.name}.")
    return redirect(_thread_url(thread))


def _mark_answer(post, user):
    return services.mark_answer(post.thread, post, user)


#: One-click acts on a post: the service, and what to say when it returns true or false.
POST_ACTIONS = {
    "delete": (services.delete_post, "The post is removed.", None),
    "unhide": (services.unhide_post, "The post is visible again.", None),
    "helpful": (services.toggle_helpful, "Marked as helpful.", "Helpful mark removed."),
    "answer": (_mark_answer, "Marked as the answer.", "No longer marked as the answer."),
}


@bp.post("/p/<int:post_id>/<any(delete, unhide, helpful, answer):action>")
@login_required
def post_action(post_id, action):
    post = _post_or_404(post_id)
    act, done, undone = POST_ACTIONS[action]
    attempt(lambda: act(post, current_user),
            success=lambda result: undone if undone and not result else done)
    return redirect(_thread_url(post.thread, post.number))


@bp.get("/p/<int:post_id>/history")
@login_required
def history(post_id):
    post = _post_or_404(post_id)
    require("moderate", post, status=404)
    return render_template("forums/history.html", post=post,
                           revisions=services.revisions_of(post, current_user),
                           redactions=services.redactions_of(post, current_user))


@bp.route("/p/<int:post_id>/redact", methods=["GET", "POST"])
@login_required
def redact_post(post_id):
    post = get_or_404(Post, post_id, action="redact")
    form = RedactPostForm()
    if request.method == "GET":
        form.replacement.data = post.body_source
    if form.validate_on_submit():
        redacted = attempt(lambda: services.redact_post(post, current_user, form.reason.data,
                                                        form.replacement.data),
                           form=form, field="reason",
                           success=f"Post #{post.number} is redacted: its earlier versions, quotes "
                           "of it in replies, e-mail not yet sent and search no longer hold the "
                           "removed text.")
        if redacted:
            if redacted.result:
                numbers = ", ".join(f"#{other.number}" for other in redacted.result)
                flash(f"Other posts in this thread repeat some of the removed text: {numbers}. "
                      "Redact them too.", "error")
            return redirect(_thread_url(post.thread, post.number))
    return render_template("forums/redact.html", form=form, post=post, thread=post.thread,
                           mode="post")


@bp.route("/t/<int:thread_id>/redact-title", methods=["GET", "POST"])
@login_required
def redact_title(thread_id):
    thread = get_or_404(Thread, thread_id, action="redact")
    form = RedactTitleForm()
    if form.validate_on_submit() and attempt(
            lambda: services.redact_thread_title(thread, current_user, form.title.data,
                                                 form.reason.data),
            form=form, field="reason", success="The title is redacted: the thread's link, earlier "
            "titles, e-mail not yet sent and search use the new one."):
        return redirect(_thread_url(thread))
    return render_template("forums/redact.html", form=form, post=None, thread=thread, mode="title")


@bp.route("/p/<int:post_id>/<any(hide, flag):action>", methods=["GET", "POST"])
@login_required
def reason_action(post_id, action):
    post = _post_or_404(post_id)
    # Only those who moderate the cluster see the hiding page at all. The page quotes the post:
    # a removed one is no longer there to flag or to open for hiding (a second moderator's hide,
    # sent at the same moment as the first, is still answered as done).
    if (action == "hide" and not can(current_user, "moderate", post)) or (
            not post.is_visible and (request.method == "GET" or action == "flag")):
        abort(404)
    form, findings = ReasonForm(), []
    if form.validate_on_submit():
        confirmed = bool(form.confirm_not_client_data.data)
        act = services.hide_post if action == "hide" else services.flag_post
        outcome = attempt(lambda: act(post, current_user, form.reason.data, confirmed), form=form,
                          field="reason", success="The post is hidden." if action == "hide"
                          else "Thank you. The cluster's facilitators will look at it.")
        if isinstance(outcome.error, GuardStopped):
            findings = outcome.error.findings
        if outcome:
            return redirect(_thread_url(post.thread, post.number))
    return render_template("forums/reason.html", form=form, post=post, action=action,
                           findings=findings, body=markup.bodies_with_cards([post], current_user)[post.id])


@bp.get("/flags")
@login_required
def flags():
    open_flags = services.open_flags_for(current_user)
    if open_flags is None:  # a page only facilitators have
        abort(404)
    return render_template("forums/flags.html", flags=open_flags, bodies=markup.bodies_with_cards(
        [flag.post for flag in open_flags], current_user))


@bp.post("/flags/<int:flag_id>/dismiss")
@login_required
def dismiss_flag(flag_id):
    flag = db.session.get(Flag, flag_id)
    if flag is None or not can(current_user, "moderate", flag.post):
        abort(404)
    services.dismiss_flag(flag, current_user)
    db.session.commit()
    flash("Flag dismissed.", "success")
    return redirect(url_for("forums.flags"))
