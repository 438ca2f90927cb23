"""Forum operations, split by verb: writing posts, clusters and members, moderation, redaction.

Every function checks the permission policy, changes objects and flushes; the caller commits.
Callers import them from here (`services.post_reply`); the modules group them for readers.
"""
from .posts import (  # noqa: F401
    MAX_TITLE, MIN_TITLE, answerable_posts, can_mark_answer, can_reply, check_body, check_title,
    delete_post, edit_post, lock_thread, mark_answer, mark_read, max_post_chars, post_reply,
    preview_html, revisions_of, start_thread, toggle_helpful)
from .membership import (  # noqa: F401
    create_cluster, decide_join_request, facilitator_links, facilitators_of, join_cluster, leave_cluster,
    remove_member, request_to_join, set_cluster_archived, set_member_role, update_cluster)
from .moderation import (  # noqa: F401
    dismiss_flag, flag_post, hide_post, moderated_clusters, move_targets, move_thread,
    open_flags_for, set_locked, set_pinned, unhide_post)
from .redaction import (  # noqa: F401
    REDACTED_NOTE, REDACTED_POST, REDACTED_TITLE, redact_post, redact_thread_title,
    redactions_of)
