"""Redaction: purging client data from a post or a thread's title everywhere the site keeps it.

Hiding leaves client data in the database; redaction purges it from everywhere the site keeps
a copy: the post, its earlier versions, replies' quotes of it, links that carry the old slug,
flag and hide reasons and audit summaries that repeat it, e-mail not yet sent (rendered when
sent, see notify) and the search index (optimized so no trace stays in its files).
"""
import re

from sqlalchemy import or_, select

from ... import audit, guard
from ...extensions import db
from ...permissions import can
from ...timeutil import utcnow
from .. import provides
from ..models import Flag, ForumError, Post, PostRevision, Thread
from .posts import _render, _require, check_title, max_post_chars

#: What a redacted post (and each of its earlier versions) says instead.
REDACTED_POST = "[removed by a moderator: client information]"
#: What earlier titles in the edit history say after the thread's title is redacted.
REDACTED_TITLE = "[title removed by a moderator]"
#: What a flag or hide reason that repeated the removed text says instead.
REDACTED_NOTE = "[removed by a moderator with a redaction]"
#: Short words that never count as repeating removed text.
_COMMON_WORDS = frozenset("""
a an and are as at be but by for from had has have he her his i if in into is it its me my no not
of on or our she so that the their them then there they this to was we were what when which who
will with you your about after also any been before both can could did does each had just more
most other over same some such than these those very would post thread title reply client family
""".split())
_WORD = re.compile(r"\w+")


class _Traces:
    """What of a removed text may not appear again: distinctive words and four-word runs.

    :param names_only: when everything was removed, count only words that look like names or
        numbers (capitalized inside a sentence, or with digits), not every word of the post.
    """

    def __init__(self, removed_texts, kept_text, names_only):
        kept_words = [w.lower() for w in _WORD.findall(kept_text)]
        kept, kept_runs = set(kept_words), _runs(kept_words)
        self.words, self.runs = set(), set()
        for text in removed_texts:
            matches = list(_WORD.finditer(text or ""))
            self.runs |= _runs([m.group().lower() for m in matches]) - kept_runs
            for match in matches:
                word = match.group()
                if word.lower() in kept or word.lower() in _COMMON_WORDS or len(word) < 3:
                    continue
                if not names_only or any(c.isdigit() for c in word) or _looks_like_name(text, match):
                    self.words.add(word.lower())

    def found_in(self, text):
        """The first removed word or run that `text` repeats, or None."""
        lowered = [w.lower() for w in _WORD.findall(text or "")]
        for word in lowered:
            if word in self.words:
                return word
        for run in sorted(_runs(lowered) & self.runs):
            return " ".join(run)
        return None


def _runs(words, size=4):
    """Runs of `size` words, leaving out runs of only common words ("in the name of")."""
    return {tuple(words[i:i + size]) for i in range(len(words) - size + 1)
            if any(w not in _COMMON_WORDS and len(w) > 2 for w in words[i:i + size])}


def _looks_like_name(text, match):
    """A capitalized word that does not start a sentence or a line."""
    word, before = match.group(), text[:match.start()].rstrip(" \t")
    return (word[0].isupper() and word[1:].islower() and bool(before)
            and before[-1] not in ".!?:>*#-\n(\"“")


def _check_redaction_reason(reason, traces):
    """The moderator's reason, refused when it repeats what is being removed."""
    reason = " ".join((reason or "").split())
    if not reason:
        raise ForumError("Say why you redact (for example “a child's full name”); the reason is "
                         "kept in the audit log.", "reason")
    if len(reason) > 300:
        raise ForumError("Keep the reason under 300 characters.", "reason")
    repeated = traces.found_in(reason)
    if repeated is not None or guard.check(reason):
        raise ForumError("The reason repeats what is being removed"
                         f"{f' (“{repeated}”)' if repeated else ''}. Describe the kind of "
                         "information instead, without the information itself.", "reason")
    return reason


def _scrub_references(traces, post_ids, thread_id, replace_titles=()):
    """Flag reasons, hide reasons and audit summaries about these posts and this thread that
    repeat removed text lose it (replaced by a note; old titles by “the thread”)."""
    from ...audit import AuditEntry

    for flag in db.session.scalars(select(Flag).where(Flag.post_id.in_(post_ids))):
        if traces.found_in(flag.reason):
            flag.reason = REDACTED_NOTE
    for hidden in db.session.scalars(select(Post).where(Post.id.in_(post_ids),
                                                        Post.hidden_reason != "")):
        if traces.found_in(hidden.hidden_reason):
            hidden.hidden_reason = REDACTED_NOTE
    entries = db.session.scalars(select(AuditEntry).where(or_(
        (AuditEntry.target_type == "post") & AuditEntry.target_id.in_(post_ids),
        (AuditEntry.target_type == "thread") & (AuditEntry.target_id == thread_id))))
    for entry in entries:
        summary = entry.summary
        for title in replace_titles:
            summary = summary.replace(title, "the thread")
        entry.summary = REDACTED_NOTE if traces.found_in(summary) else summary


def _scrub_quotes(post, author_handle):
    """Replies that quoted `post` (and their earlier versions) keep the quote's heading only."""
    pattern = re.compile(r"^> \*\*@" + re.escape(author_handle) + r"\*\* wrote:\n(?:>.*(?:\n|$))*",
                         re.MULTILINE)
    note = f"> **@{author_handle}** wrote:\n>\n> {REDACTED_POST}\n"
    changed = []
    for reply in db.session.scalars(select(Post).where(Post.reply_to_id == post.id)):
        source = pattern.sub(note, reply.body_source)
        if source != reply.body_source:
            reply.body_source, reply.body_html = source, _render(source)[0]
            changed.append(reply)
        for revision in db.session.scalars(select(PostRevision)
                                           .where(PostRevision.post_id == reply.id)):
            revision.body_source = pattern.sub(note, revision.body_source)
    return changed


def redactions_of(post, viewer):
    """Audit entries of the redactions of a post (and of its thread's title when it opens the
    thread), newest first: who, when and why, never what (moderators only)."""
    from ...audit import AuditEntry

    _require(can(viewer, "moderate", post), "Only moderators see earlier versions.")
    targets = [("post", post.id)] + ([("thread", post.thread_id)] if post.is_opening else [])
    return db.session.scalars(AuditEntry.about(targets, ["post.redact", "thread.redact_title"])).all()


def _echoes(traces, thread, exclude_id):
    """Other posts of the thread that still repeat removed text (the moderator is told)."""
    return [other for other in db.session.scalars(Post.in_thread(thread.id))
            if other.id != exclude_id and traces.found_in(other.body_source)]


def redact_post(post, actor, reason, replacement=None):
    """Purge client data from a post everywhere the site keeps it; returns the thread's other
    posts that still repeat the removed text, for the moderator to redact too.

    :param replacement: the moderator's version of the text with the client data cut; empty or
        None replaces the whole post with `REDACTED_POST`. Earlier versions always become
        `REDACTED_POST`: each may hold the data in its own words.
    :param reason: why (kept in the audit log and shown in the post's history); refused when it
        repeats the removed text.
    """
    _require(can(actor, "redact", post), "Only the cluster's facilitators and admins redact.")
    thread = post.thread
    text = (replacement or "").strip() or REDACTED_POST
    if text == post.body_source.strip():
        raise ForumError("The new text is the same as the old: cut the client information, or "
                         "leave the text empty to replace the whole post.", "replacement")
    if len(text) > max_post_chars():
        raise ForumError(f"Posts can be at most {max_post_chars():,} characters.", "replacement")
    if guard.check(text):
        raise ForumError("The new text still looks like it contains client information; cut it, "
                         "or leave the text empty to replace the whole post.", "replacement")
    revisions = db.session.scalars(select(PostRevision).where(PostRevision.post_id == post.id)).all()
    removed = [post.body_source] + [revision.body_source for revision in revisions]
    traces = _Traces(removed, text, names_only=text == REDACTED_POST)
    reason = _check_redaction_reason(reason, traces)
    post.body_source, post.body_html = text, _render(text)[0]
    post.edited_at, post.edited_by_id, post.guard_confirmed = utcnow(), actor.id, False
    for revision in revisions:
        revision.body_source = REDACTED_POST
    quoting = _scrub_quotes(post, post.author.handle)
    _scrub_references(traces, [post.id] + [reply.id for reply in quoting], thread.id)
    quotes = (f" (and its quote in {', '.join(f'#{reply.number}' for reply in quoting)})"
              if quoting else "")
    audit.record(actor, "post.redact", "post", post.id, f"Redacted post #{post.number}{quotes}. "
                 f"Reason: {reason}", thread.cluster_id)
    db.session.flush()
    provides.threads_purged([thread.id])
    return _echoes(traces, thread, post.id)


def redact_thread_title(thread, actor, new_title, reason):
    """Replace a thread's title (and so its slug) everywhere: earlier titles in the history,
    links to the thread that carry the old slug, search. Returns nothing to follow up."""
    _require(can(actor, "redact", thread), "Only the cluster's facilitators and admins redact.")
    new_title = check_title(new_title)
    if guard.check(new_title):
        raise ForumError("The new title still looks like it contains client information.", "title")
    opening = db.session.scalar(select(Post).where(Post.thread_id == thread.id, Post.number == 1))
    revisions = db.session.scalars(select(PostRevision).where(
        PostRevision.post_id == opening.id, PostRevision.title != "")).all() if opening else []
    old_titles = sorted(({thread.title} | {r.title for r in revisions}) - {new_title, REDACTED_TITLE},
                        key=len, reverse=True)
    if not old_titles:
        raise ForumError("The new title is the same as the old: cut the client information.",
                         "title")
    traces = _Traces(old_titles, new_title, names_only=False)
    reason = _check_redaction_reason(reason, traces)
    old_slugs = {Thread.slug_for(title) for title in old_titles}
    thread.title = new_title
    for revision in revisions:
        revision.title = REDACTED_TITLE
    threads_to_reindex = {thread.id} | _relink(thread, old_slugs)
    post_ids = db.session.scalars(select(Post.id).where(Post.thread_id == thread.id)).all()
    _scrub_references(traces, post_ids, thread.id, replace_titles=old_titles)
    audit.record(actor, "thread.redact_title", "thread", thread.id,
                 f"Redacted the thread's title. Reason: {reason}", thread.cluster_id)
    db.session.flush()
    provides.threads_purged(sorted(threads_to_reindex))


def _relink(thread, old_slugs):
    """Posts linking to `thread` with an old slug link with the new one (cards re-rendered with
    the new title); returns the ids of the threads whose posts changed."""
    link = re.compile(rf"(/t/{thread.id}/)(?:{'|'.join(map(re.escape, old_slugs))})(?![\w-])")
    changed = set()
    linking = db.session.scalars(select(Post).where(Post.body_source.contains(f"/t/{thread.id}")))
    for post in linking:
        source = link.sub(rf"\g<1>{thread.slug}", post.body_source)
        # A card holds the linked thread's title: render again even when the link had no slug.
        post.body_source, post.body_html = source, _render(source)[0]
        changed.add(post.thread_id)
        for revision in db.session.scalars(select(PostRevision)
                                           .where(PostRevision.post_id == post.id)):
            revision.body_source = link.sub(rf"\g<1>{thread.slug}", revision.body_source)
    return changed
