"""Forum pages: clusters, threads, posting, notifications and their settings.

Moderation pages (membership decisions, pinning, moving, hiding, redacting, flags) are in
`moderation_views.py`; both register on the forums blueprint.
"""
from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import bindparam, select

from .. import guard
from ..caching import whole_page
from ..clusters.models import Cluster
from ..errors import attempt
from ..extensions import csrf, db, limiter
from ..guard import GuardStopped
from ..inputs import bounded_int
from ..permissions import NotAllowed, can, get_or_404, require, visible_or_404
from ..security import safe_next
from . import bp, fragments, markup, notify, provides, queries, services
from .forms import ClusterForm, EditPostForm, EmailModeForm, MoveForm, PostForm, ThreadForm, WatchForm
from .models import WATCH_LEVELS, Notification, Post, Thread


def _posting_limit():
    return current_app.config["LIMIT_FORUM_POST"]


def _per_person():
    person = current_user.id if current_user.is_authenticated else request.remote_addr
    return f"forum-post:{person}"


def _is_preview():
    return bool(request.form.get("preview"))


posting_limit = limiter.limit(_posting_limit, key_func=_per_person, methods=["POST"],
                              exempt_when=_is_preview)


@bp.errorhandler(429)
def _posting_too_fast(error):
    """Show the compose page again with what the person typed, and why it was not posted."""
    message = ("You are posting faster than the site allows (a few posts a minute, to keep "
               "clusters free of floods). Wait a minute, then post again: your text is kept here.")
    args = request.view_args or {}
    if request.endpoint == "forums.reply":
        thread = _thread_or_404(args["thread_id"])
        form, cluster, mode = PostForm(), thread.cluster, "reply"
    elif request.endpoint == "forums.new_thread":
        thread, cluster = None, _readable_cluster_or_404(args["slug"])
        form, mode = ThreadForm(), "thread"
    else:
        return render_template("core/error.html", code=429, title="Too many attempts",
                               message=message), 429
    form.body.errors = [message]
    return _render_compose(form, cluster, thread, mode), 429


#: Built once: every cluster page and its sub-pages look their cluster up by its slug.
_CLUSTER_BY_SLUG = select(Cluster).where(Cluster.slug == bindparam("slug"))


def _cluster_or_404(slug):
    cluster = db.session.scalar(_CLUSTER_BY_SLUG, {"slug": slug})
    if cluster is None:
        abort(404)
    return cluster


def _readable_cluster_or_404(slug):
    cluster = _cluster_or_404(slug)
    if not can(current_user, "read", cluster):
        abort(404)
    return cluster


def _thread_or_404(thread_id):
    return get_or_404(Thread, thread_id)


def _post_or_404(post_id):
    return get_or_404(Post, post_id)


def _thread_url(thread, number=None):
    if number is None:
        return url_for("forums.thread", thread_id=thread.id, slug=thread.slug)
    return url_for("forums.thread", thread_id=thread.id, slug=thread.slug,
                   page=queries.page_of(number), _anchor=f"post-{number}")


def _render_compose(form, cluster, thread, mode, post=None, preview=None, findings=()):
    return render_template("forums/compose.html", form=form, cluster=cluster, thread=thread,
                           post=post, preview=preview, findings=list(findings), mode=mode)


def compose_page(form, save, cluster, thread, mode, post=None, findings=()):
    """The compose page's whole cycle: Preview, Post (the redirect `save` returns), or the form
    again with the preview, the guard's findings (`findings` before anything is submitted) and
    the errors."""
    done, preview, stopped = _compose(form, save)
    if done:
        return done
    return _render_compose(form, cluster, thread, mode, post, preview, stopped or findings)


def _compose(form, save):
    """Handle Preview and Post for a compose form.

    Returns (redirect or None, preview HTML or None, guard findings).
    """
    preview, findings = None, []
    if not form.validate_on_submit():
        return None, None, findings
    if form.preview.data:
        source = form.body.data or ""
        preview = services.preview_html(source, current_user)
        fields = {"body": source}
        if getattr(form, "title", None) is not None and form.title.data:
            fields = {"title": form.title.data, **fields}
        try:
            guard.screen(fields)
        except guard.GuardStopped as stopped:
            findings = stopped.findings
        return None, preview, findings
    outcome = attempt(lambda: save(bool(form.confirm_not_client_data.data)), form=form,
                      field="body")
    if isinstance(outcome.error, GuardStopped):
        return None, None, outcome.error.findings
    return outcome.result, None, findings


# --- Clusters -------------------------------------------------------------------------------

@bp.get("/clusters")
@whole_page
def clusters():
    mine, others = queries.cluster_overview(current_user)
    return render_template("forums/clusters.html", mine=mine, others=others)


@bp.get("/clusters/<slug>")
@whole_page
def cluster(slug):
    cluster, facts = queries.cluster_with_facts(slug, current_user)
    if cluster is None:
        abort(404)
    readable = can(current_user, "read", cluster)
    pagination = rows = None
    if readable:
        pagination, rows = queries.cluster_threads(cluster, current_user,
                                                   request.args.get("page", 1, type=int), facts.threads)
    sections = provides.cluster_sections(cluster, current_user) if readable else []
    # Someone who may join an open cluster sees what it talks about before joining.
    preview = queries.preview_titles(cluster) if not readable and can(current_user, "join", cluster) else []
    # Visitors see only the name and description; members also see who facilitates.
    facilitators = services.facilitator_links(cluster) if current_user.is_authenticated else []
    watch_form = WatchForm(level=facts.level if readable else "normal")
    waiting = (facts.pending, facts.open_flags) if can(current_user, "moderate", cluster) else None
    return render_template("forums/cluster.html", cluster=cluster, membership=facts if facts.status else None,
                           readable=readable, pagination=pagination, rows=rows, waiting=waiting,
                           rows_html=fragments.thread_rows_html(rows or []),
                           preview=preview,
                           sections=sections, watch_form=watch_form, facilitators=facilitators,
                           member_count=facts.members)


@bp.get("/clusters/<slug>/members")
@login_required
def members(slug):
    cluster = _readable_cluster_or_404(slug)
    active, pending = queries.members_of(cluster)
    return render_template("forums/members.html", cluster=cluster, active=active,
                           pending=pending if can(current_user, "moderate", cluster) else [])


@bp.post("/clusters/<slug>/join")
@login_required
def join(slug):
    cluster = _cluster_or_404(slug)
    try:
        if cluster.is_open:
            attempt(lambda: services.join_cluster(cluster, current_user), success=f"Welcome to {cluster.name}.")
        else:
            attempt(lambda: services.request_to_join(cluster, current_user),
                    success="Your request is sent. A facilitator will approve or decline it.")
    except NotAllowed as error:  # refused: back to the cluster, never to wherever Referer points
        db.session.rollback()
        flash(str(error), "error")
    return redirect(url_for("forums.cluster", slug=cluster.slug))


@bp.post("/clusters/<slug>/leave")
@login_required
def leave(slug):
    cluster = _cluster_or_404(slug)
    services.leave_cluster(cluster, current_user)
    db.session.commit()
    flash(f"You left {cluster.name}.", "success")
    return redirect(url_for("forums.cluster", slug=cluster.slug))


@bp.route("/clusters/new", methods=["GET", "POST"])
@login_required
def new_cluster():
    require("create_cluster")
    form = ClusterForm()
    if form.validate_on_submit():
        created = attempt(lambda: services.create_cluster(
            current_user, form.name.data, form.description.data, form.is_open.data,
            form.is_public.data, form.guard_confirmed), form=form, field="name",
            success=lambda created: f"{created.name} is ready. Invite members to join it.")
        if created:
            return redirect(url_for("forums.cluster", slug=created.result.slug))
    return _cluster_form_page(form, None)


@bp.route("/clusters/<slug>/edit", methods=["GET", "POST"])
@login_required
def edit_cluster(slug):
    cluster = _cluster_or_404(slug)
    require("manage", cluster)
    form = ClusterForm(obj=cluster)
    if form.validate_on_submit() and attempt(lambda: services.update_cluster(
            cluster, current_user, form.name.data, form.description.data, form.is_open.data,
            form.is_public.data, form.guard_confirmed), form=form, field="name", success="The cluster is saved."):
        return redirect(url_for("forums.cluster", slug=cluster.slug))
    return _cluster_form_page(form, cluster)


def _cluster_form_page(form, cluster):
    """The cluster form; 422 when it was sent and refused (saved ones were redirected)."""
    return (render_template("forums/cluster_form.html", form=form, cluster=cluster),
            422 if request.method == "POST" else 200)


@bp.post("/clusters/<slug>/archive")
@login_required
def archive_cluster(slug):
    cluster = _cluster_or_404(slug)
    archived = request.form.get("archived") == "1"
    services.set_cluster_archived(cluster, current_user, archived)
    db.session.commit()
    flash(f"{cluster.name} is {'archived' if archived else 'active again'}.", "success")
    return redirect(url_for("forums.cluster", slug=cluster.slug))


@bp.post("/clusters/<slug>/watch")
@login_required
def cluster_watch(slug):
    cluster = _readable_cluster_or_404(slug)
    _save_watch_level(cluster=cluster)
    return redirect(safe_next(request.form.get("back"), url_for("forums.cluster", slug=cluster.slug)))


def _save_watch_level(cluster=None, thread=None):
    form = WatchForm()
    if form.validate_on_submit():
        attempt(lambda: notify.set_watch_level(current_user, form.level.data, cluster=cluster,
                                               thread=thread), success="Notification level saved.")


# --- Threads and posts ----------------------------------------------------------------------

@bp.route("/clusters/<slug>/new", methods=["GET", "POST"])
@login_required
@posting_limit
def new_thread(slug):
    cluster = _readable_cluster_or_404(slug)
    require("post", cluster)
    form = ThreadForm()

    def save(confirmed):
        thread = services.start_thread(cluster, current_user, form.title.data, form.body.data,
                                       form.is_question.data, confirmed)
        db.session.commit()
        flash("Your thread is posted.", "success")
        return redirect(_thread_url(thread))

    return compose_page(form, save, cluster, None, "thread")


@bp.post("/preview")
@login_required
def preview():
    """The live preview: the HTML a post would have (sanitized as at save time), no saving."""
    source = (request.form.get("body") or "")[:services.max_post_chars()]
    return services.preview_html(source, current_user)


@bp.get("/t/<int:thread_id>")
@bp.get("/t/<int:thread_id>/<slug>")
@whole_page
def thread(thread_id, slug=None):
    page = request.args.get("page", type=int)
    # The thread with the person's facts about the page asked for (the first, when none is: unless
    # they are sent on to their first unread post, which is then the page asked for).
    thread, reader = queries.thread_with_reading(thread_id, current_user, page or 1)
    thread = visible_or_404(thread)
    if slug is not None and slug != thread.slug:  # an old title's link (renamed, redacted)
        # Only the page a link named is kept: other query words are never the router's
        # arguments (thread_id=, _external=, _anchor=).
        return redirect(url_for("forums.thread", thread_id=thread.id, slug=thread.slug,
                                **({"page": page} if page else {})))
    if page is None:
        if reader.last_read and reader.last_read < thread.last_number:
            return redirect(_thread_url(thread, reader.last_read + 1))
        page = 1
    posts = queries.thread_posts(thread, page)
    form = PostForm()
    move_form = None  # only for those who may move it somewhere
    targets = services.move_targets(thread, current_user)
    if targets:
        move_form = MoveForm()
        move_form.cluster_id.choices = [(c.id, c.name) for c in targets]
    answer = queries.answer_of(thread) if page == 1 else None
    shown = fragments.ThreadPage.build(thread, current_user, [*posts.items, answer], helpful=reader.helpful)
    html = render_template("forums/thread.html", thread=thread, posts=posts, answer=answer, page=shown,
                           form=form, watch_form=WatchForm(level=reader.level), move_form=move_form)
    # After rendering, so that committing does not expire what the page shows; a page read
    # before writes nothing.
    if posts.items and services.mark_read(thread, current_user, posts.items[-1].number, reader.last_read,
                                          unread=reader.unread):
        db.session.commit()
    return html


@bp.get("/t/<int:thread_id>/post/<int:number>")
def thread_post(thread_id, number):
    thread = _thread_or_404(thread_id)
    return redirect(_thread_url(thread, number))


@bp.get("/p/<int:post_id>")
def post_link(post_id):
    post = _post_or_404(post_id)
    return redirect(_thread_url(post.thread, post.number))


@bp.route("/t/<int:thread_id>/reply", methods=["GET", "POST"])
@login_required
@posting_limit
def reply(thread_id):
    thread = _thread_or_404(thread_id)
    form = PostForm()
    quoted = request.args.get("quote", type=int)
    if request.method == "GET" and quoted:
        post = db.session.get(Post, quoted)
        if post is not None and post.thread_id == thread.id and post.is_visible:
            form.body.data = markup.quote(post.author.handle, post.body_source)
            form.reply_to.data = str(post.id)

    def save(confirmed):
        reply_to_id = _id_or_zero(form.reply_to.data)
        reply_to = db.session.get(Post, reply_to_id) if reply_to_id else None
        post = services.post_reply(thread, current_user, form.body.data, reply_to, confirmed)
        db.session.commit()
        flash("Your reply is posted.", "success")
        return redirect(_thread_url(thread, post.number))

    return compose_page(form, save, thread.cluster, thread, "reply")


@bp.post("/t/<int:thread_id>/watch")
@login_required
def thread_watch(thread_id):
    thread = _thread_or_404(thread_id)
    _save_watch_level(thread=thread)
    return redirect(safe_next(request.form.get("back"), _thread_url(thread)))


@bp.route("/p/<int:post_id>/edit", methods=["GET", "POST"])
@login_required
def edit_post(post_id):
    post = _post_or_404(post_id)
    require("edit", post)
    form = EditPostForm(body=post.body_source,
                        title=post.thread.title if post.is_opening else None)

    def save(confirmed):
        services.edit_post(post, current_user, form.body.data,
                           form.title.data if post.is_opening else None, confirmed)
        db.session.commit()
        flash("Your changes are saved.", "success")
        return redirect(_thread_url(post.thread, post.number))

    return compose_page(form, save, post.thread.cluster, post.thread, "edit", post=post)


# --- Notifications --------------------------------------------------------------------------

@bp.get("/notifications")
@login_required
def notifications():
    page = notify.recent_for(current_user, request.args.get("page", 1, type=int))
    return render_template("forums/notifications.html", notifications=page,
                           groups=notify.grouped_by_thread(page.items))


@bp.post("/notifications/read")
@login_required
def notifications_read():
    notify.mark_notifications_read(current_user)
    db.session.commit()
    flash("All notifications are marked read.", "success")
    return redirect(url_for("forums.notifications"))


@bp.get("/notifications/<int:notification_id>")
@login_required
def open_notification(notification_id):
    notification = db.session.get(Notification, notification_id)
    if notification is None or notification.user_id != current_user.id:
        abort(404)
    notify.mark_notifications_read(current_user, [notification.id])
    db.session.commit()
    endpoint, values = notify.destination(notification, current_user)
    return redirect(url_for(endpoint, **values))


@bp.route("/notifications/email-off/<token>", methods=["GET", "POST"])
@csrf.exempt  # RFC 8058: mail providers POST here without a session; the signed token decides
def email_off(token):
    """Forum e-mail off from a message: the page asks, the button (or a mail provider's one-click
    POST) turns it off; the bell keeps every notification."""
    person = notify.person_from_email_off(token)
    if person is None:
        return render_template("forums/email_off.html", person=None), 410
    if request.method == "POST":
        if request.form.get("List-Unsubscribe") != "One-Click":
            abort(400)
        notify.set_email_mode(person, "none")
        db.session.commit()
    return render_template("forums/email_off.html", person=person, mode=notify.email_mode(person))


@bp.route("/notifications/settings", methods=["GET", "POST"])
@login_required
def settings():
    form = EmailModeForm(mode=notify.email_mode(current_user))
    if form.validate_on_submit():
        notify.set_email_mode(current_user, form.mode.data)
        notify.set_watch_levels(current_user, _chosen_levels(request.form))
        db.session.commit()
        flash("Your notification settings are saved.", "success")
        return redirect(url_for("forums.settings"))
    return render_template("forums/settings.html", form=form,
                           watches=notify.watches_of(current_user),
                           levels=[("default", "Default")] + WATCH_LEVELS)


def _id_or_zero(text):
    """The id a form field names, or 0 (no row) for anything that cannot be an id."""
    try:
        return max(bounded_int(text or ""), 0)
    except ValueError:
        return 0


def _chosen_levels(fields):
    """[(cluster or thread, level)] from the settings form's "cluster-<id>"/"thread-<id>" fields;
    a thread the person may not see is passed over exactly like one that does not exist (an
    answer of its own would tell which ids exist)."""
    chosen = []
    for key, level in fields.items():
        kind, _, ident = key.partition("-")
        model = {"cluster": Cluster, "thread": Thread}.get(kind)
        target = db.session.get(model, _id_or_zero(ident)) if model and _id_or_zero(ident) else None
        if target is not None and (kind != "thread" or can(current_user, "view", target)):
            chosen.append((target, level))
    return chosen
