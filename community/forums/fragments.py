"""Posts and thread rows as HTML, kept per app while what they show is unchanged.

A thread page shows 20 posts and a cluster page 30 rows, each with several links and buttons;
rendering them was most of those pages' time. Each one is now kept (`caching.remember`) under a
key made of every value it shows — as read from the database in this request — and of what this
viewer may do with it. An edit, a reply, a hidden post or a changed name on any process or
machine therefore makes a new key at the next view, and everyone who may do the same things
shares one entry. The CSRF token, the only per-session value in a post, is put in after the
post is found, so it is never kept.
"""
from dataclasses import dataclass, field
from functools import cached_property

from flask import current_app, request
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup

from ..caching import CSRF_SLOT, remember
from ..permissions import can, unproxied
from . import markup, services

#: Posts and rows kept per app (a few KB each).
KEPT_POSTS = 4096
KEPT_ROWS = 4096


@dataclass(frozen=True)
class PostRights:
    """What the viewer may do with one post (the part of a post's key that is about them)."""

    signed_in: bool = False
    mine: bool = False
    marked_helpful: bool = False
    may_mark_answer: bool = False
    may_quote: bool = False
    may_edit: bool = False
    may_redact: bool = False
    may_moderate: bool = False
    may_flag: bool = False


@dataclass
class ThreadPage:
    """One thread page as this viewer sees it: rights asked of the policy once per page."""

    thread: object
    viewer: object
    posts: list
    bodies: dict = field(default_factory=dict)
    helpful: set = field(default_factory=set)
    answerable: set = field(default_factory=set)
    can_reply: bool = False
    may_moderate: bool = False
    may_post: bool = False
    #: The policy's answers (may edit, may redact) for the viewer's own posts and for others'.
    _asked: dict = field(default_factory=dict)

    @classmethod
    def build(cls, thread, viewer, posts, helpful):
        viewer = unproxied(viewer)  # not the proxy: the rights of every post read it
        shown = [post for post in posts if post is not None]
        return cls(thread, viewer, shown, bodies=markup.bodies_with_cards(shown, viewer),
                   helpful=helpful, answerable=services.answerable_posts(viewer, thread, shown),
                   can_reply=services.can_reply(viewer, thread), may_moderate=can(viewer, "moderate", thread),
                   may_post=can(viewer, "post", thread.cluster))

    def rights(self, post):
        viewer = self.viewer
        if not getattr(viewer, "is_authenticated", False):
            return PostRights()
        mine = viewer.id == post.author_id
        # Every post of a thread has the thread's scope with its author as owner
        # (`Post.access_scope`): of the author, the policy's answer depends only on whether it
        # is the viewer, so it is asked once for the viewer's posts and once for the others'.
        # (`test_a_thread_pages_rights_are_the_policys_for_every_post` compares with each post.)
        asked = self._asked.get(mine)
        if asked is None:
            asked = self._asked[mine] = (can(viewer, "edit", post), can(viewer, "redact", post))
        return PostRights(
            signed_in=True, mine=mine, marked_helpful=post.id in self.helpful,
            may_mark_answer=post.id in self.answerable, may_quote=self.can_reply,
            may_edit=asked[0], may_redact=asked[1],
            may_moderate=self.may_moderate, may_flag=not mine and self.may_post)

    def post_html(self, post, anchor=True):
        """The post's HTML (`anchor`: in its place in the thread, not the answer's copy above)."""
        thread, author = self.thread, post.author
        rights = self.rights(post)
        body = self.bodies.get(post.id, "")
        key = (request.script_root, post.id, post.number, post.created_at, post.edited_at,
               post.deleted_at, post.deleted_by_id == post.author_id, post.hidden_at, post.hidden_reason,
               post.helpful_count, author.id, author.initials, author.handle, author.name, author.title,
               str(author.county or ""), thread.id, thread.answer_post_id == post.id, str(body), anchor,
               rights)
        html = remember("forums.posts", key, lambda: _render(
            "forums/_post.html", post=post, thread=thread, body=body, anchor=anchor, rights=rights,
            csrf=CSRF_SLOT), KEPT_POSTS)
        return Markup(html.replace(CSRF_SLOT, self.csrf) if rights.signed_in else html)

    @cached_property
    def csrf(self):
        """The viewer's CSRF token, put into each of their posts' forms (read once per page)."""
        return generate_csrf()


#: The two thread lists: a cluster's (people, unread, replies, activity) and the home page's.
ROW_TEMPLATES = {"cluster": "forums/_thread_row.html", "home": "forums/_home_thread_row.html"}


def thread_rows_html(rows, kind="cluster", show_cluster=False):
    """The rows of a thread list (`queries.ThreadRow`s) as HTML list items, each kept by what it
    shows: the thread's title, flags, counts, activity and people, and this reader's unread state."""
    template = ROW_TEMPLATES[kind]
    parts = []
    for row in rows:
        thread = row.thread
        last = thread.last_poster if thread.last_poster and thread.reply_count else thread.author
        key = (template, request.script_root, thread.id, thread.title, thread.slug, thread.is_pinned,
               thread.is_locked, thread.is_question, bool(thread.answer_post_id), thread.reply_count,
               thread.last_posted_at, thread.author.initials, thread.author.name, last is thread.author,
               last.initials, last.name, row.is_new, row.new_posts, row.first_unread, row.shows_count,
               row.is_muted, thread.cluster.name if show_cluster else None)
        parts.append(remember("forums.rows", key, lambda row=row, last=last: _render(
            template, row=row, t=row.thread, last=last, show_cluster=show_cluster), KEPT_ROWS))
    return Markup("".join(parts))


def _render(name, **context):
    """A fragment rendered on its own: only what it is given, the app's globals and filters."""
    return str(current_app.jinja_env.get_template(name).render(**context))
