"""What the forums add to shared pages: the home page, profiles and the header's bell."""
from flask_login import current_user

from . import notify, queries


def latest_in_clusters(user):
    """Home page: "Latest in your clusters"."""
    rows = queries.latest_in_clusters(user)
    return {"rows": rows} if rows else None


def recent_posts(person, viewer):
    """Profile page: the person's recent posts the viewer may see."""
    posts = queries.recent_posts_by(person, viewer)
    return {"posts": posts, "person": person} if posts else None


def bell_context():
    """`forum_bell()` for the header: the unread count, queried only when the bell renders."""
    def forum_bell():
        if not current_user.is_authenticated:
            return None
        return notify.unread_count(current_user)

    return {"forum_bell": forum_bell}
