"""The one permission policy: `can(user, action, thing)` for views, templates, search, feeds, mail.

Nothing else in the code base decides access. Feature areas describe their objects to the policy
with an `access_scope()` method returning a `Scope`; the policy never imports feature models.
An object with a true `is_draft` attribute is visible only to the people who may edit it.
"""
from dataclasses import dataclass, field, fields
from operator import attrgetter

from flask import abort, g, has_request_context
from flask_login import current_user

from .errors import NotAllowed  # noqa: F401  (services and views import it from here)
from .extensions import db

PUBLIC, MEMBERS, CLUSTERS = "public", "members", "clusters"
#: Seen by one county's staff and by CFPIC staff (organizers, admins): technical assistance.
#: Not a choice people make for what they share, so not among VISIBILITIES.
COUNTY = "county"
VISIBILITIES = [
    (PUBLIC, "Public: anyone, including visitors"),
    (MEMBERS, "Members: anyone signed in"),
    (CLUSTERS, "Cluster members only"),
]


@dataclass(frozen=True)
class Scope:
    """Who may see and manage a piece of content.

    :param visibility: public, members, clusters or county.
    :param cluster_ids: with `clusters`, the clusters whose active members may see it.
    :param county_id: with `county`, the county whose staff may see it (CFPIC staff see every
        county's).
    :param owner_id: the person who created it (may edit and delete it).
    :param cluster_id: the cluster whose facilitators moderate it, if any.
    :param organizers_manage: whether organizers may edit and delete it (library, events).
    :param moderators_edit: whether the facilitators of `cluster_id` may edit it too (forum posts).
    :param managers_see: whether those who manage it (owner, admins, organizers when
        `organizers_manage`) may see and manage it even outside its clusters (events: CFPIC staff
        run every cluster's calls without being members).
    """

    visibility: str
    cluster_ids: frozenset = field(default_factory=frozenset)
    owner_id: int | None = None
    cluster_id: int | None = None
    organizers_manage: bool = True
    managers_see: bool = False
    county_id: int | None = None
    moderators_edit: bool = False


@dataclass(frozen=True)
class AccessFilter:
    """What a person may see, in a form search and list queries can apply.

    `everything` is true for admins; otherwise public content, members content when `members`,
    cluster content for the clusters in `cluster_ids`, and county content of `county_id` (the
    person's own county) or, with `all_counties` (CFPIC staff), of every county.
    """

    everything: bool
    members: bool
    cluster_ids: frozenset
    county_id: int | None = None
    all_counties: bool = False

    def allows(self, scope: Scope):
        if self.everything or scope.visibility == PUBLIC:
            return True
        if scope.visibility == MEMBERS:
            return self.members
        if scope.visibility == COUNTY:
            return self.all_counties or (self.county_id is not None and self.county_id == scope.county_id)
        return bool(self.cluster_ids & scope.cluster_ids)


def _signed_in(user):
    return user is not None and getattr(user, "is_authenticated", False) and user.is_active


def _roles_key(user_id):
    return f"_cluster_roles_{user_id}"


def cluster_roles(user):
    """{cluster_id: role} for the person's active memberships, loaded once per request (with
    their session when they are the one signed in)."""
    if not _signed_in(user):
        return {}
    if has_request_context() and _roles_key(user.id) in g:
        return g.get(_roles_key(user.id))
    from .clusters.models import ACTIVE_ROLES

    roles = dict(db.session.execute(ACTIVE_ROLES, {"person": user.id}).all())
    remember_cluster_roles(user, roles)
    return roles


def remember_cluster_roles(user, roles):
    """Keep `roles` ({cluster_id: role}) as this request's answer of `cluster_roles`."""
    if has_request_context():
        setattr(g, _roles_key(user.id), roles)


def forget_cluster_roles(user):
    """Drop the per-request cache after a membership changes."""
    if has_request_context():
        g.pop(_roles_key(getattr(user, "id", None)), None)
        g.pop(f"_access_filter_{getattr(user, 'id', None)}", None)
        g.pop("_policy_answers", None)


_VISITOR = AccessFilter(everything=False, members=False, cluster_ids=frozenset())


def access_filter(user):
    """The AccessFilter for this person (anonymous visitors see public content only), built once
    per request with the memberships it comes from (a list page asks for it once per row)."""
    if not _signed_in(user):
        return _VISITOR
    cache_key = f"_access_filter_{user.id}"
    found = g.get(cache_key) if has_request_context() else None
    if found is not None and found[0] == (user.role, user.county_id):
        return found[1]
    allowed = AccessFilter(everything=user.is_admin, members=True,
                           cluster_ids=frozenset(cluster_roles(user)), county_id=user.county_id,
                           all_counties=user.is_organizer)
    if has_request_context():
        setattr(g, cache_key, ((user.role, user.county_id), allowed))
    return allowed


def is_facilitator(user, cluster_id):
    return _signed_in(user) and cluster_roles(user).get(cluster_id) == "facilitator"


class _EveryCluster:
    """The clusters an admin moderates: every one."""

    def __contains__(self, cluster_id):
        return True


EVERY_CLUSTER = _EveryCluster()


def moderated_cluster_ids(user):
    """The ids of the clusters `user` moderates (admins: `EVERY_CLUSTER`; else those they
    facilitate), for `cluster_id in …`: a list of clusters asks once, not once per row."""
    if not _signed_in(user):
        return frozenset()
    if user.is_admin:
        return EVERY_CLUSTER
    return frozenset(cluster_id for cluster_id, role in cluster_roles(user).items() if role == "facilitator")


def moderates(user, cluster_id):
    """Whether `user` moderates the cluster `cluster_id` (admins: every one; else its
    facilitators): the cluster rule's "moderate", for callers holding a cluster's id only (a
    list of clusters read as plain rows)."""
    return cluster_id in moderated_cluster_ids(user)


# Site-level actions (no object), by the lowest role that may do them.
_SITE_ACTIONS = {
    "admin": ("admin",),                    # accounts, roles, audit log
    "view_audit_log": ("admin",),
    "organize": ("admin", "organizer"),     # events, newsletters, toolkit
    "create_cluster": ("admin", "organizer"),
    "view_members": ("admin", "organizer", "member"),
    # County staff answer surveys; CFPIC's organizers and admins run the rounds and read the
    # results, whatever county their account names (its own office, in Sacramento).
    "answer_surveys": ("member",),
}


def can(user, action, thing=None):
    """May `user` (a User, or an anonymous user) do `action` to `thing`?"""
    user = unproxied(user)
    if thing is None:
        roles = _SITE_ACTIONS.get(action)
        if roles is None:
            raise ValueError(f"unknown site action {action!r}")
        return _signed_in(user) and user.role in roles

    rule = _OBJECT_RULES.get(type(thing).__name__)
    if rule is not None:
        return rule(user, action, thing)
    return _scoped_rule(user, action, thing)


def _scoped_rule(user, action, thing):
    """The rule of everything with an `access_scope`: its scope decides."""
    scope_of = getattr(thing, "access_scope", None)
    if scope_of is None:
        raise TypeError(f"the permission policy knows nothing of {type(thing).__name__}")
    scope = scope_of()
    if action == "view" and (getattr(thing, "is_draft", False) or getattr(thing, "is_removed", False)):
        # Drafts (an unpublished event, say) and removed threads (the opening post hidden or
        # deleted) are seen only by those who may edit them: the author and the moderators.
        action = "edit"
    return _can_scoped_once(user, action, scope)


#: Every field of a scope but its owner's id (in `_can_scoped_once`'s key: whether the person is
#: the owner).
_SCOPE_BUT_OWNER = attrgetter(*[f.name for f in fields(Scope) if f.name != "owner_id"])


def _can_scoped_once(user, action, scope: Scope):
    """`_can_scoped`, answered once per request for each (person as they are now, action, scope):
    the answer depends on nothing else, and a list page asks the same question of every row.
    Of the owner it matters only whether it is this person (`_manages`), so the posts of every
    other author in one thread share one answer."""
    if not has_request_context():
        return _can_scoped(user, action, scope)
    signed_in = _signed_in(user)
    key = (action, _SCOPE_BUT_OWNER(scope),
           signed_in and (user.id, user.role, user.county_id, user.id == scope.owner_id))
    answers = g.get("_policy_answers")
    if answers is None:
        answers = g._policy_answers = {}
    found = answers.get(key)
    if found is None:
        found = answers[key] = _can_scoped(user, action, scope)
    return found


def unproxied(user):
    """`current_user` itself: the proxy looks the person up again on every attribute read, and a
    list page asks the policy several times per row."""
    unwrap = getattr(user, "_get_current_object", None)
    return unwrap() if unwrap is not None else user


def _manages(user, scope: Scope):
    return _signed_in(user) and (user.id == scope.owner_id or user.is_admin
                                 or (scope.organizers_manage and user.is_organizer))


def _can_scoped(user, action, scope: Scope):
    if scope.managers_see and action in ("view", "edit", "delete") and _manages(user, scope):
        return True
    if action == "view":
        return access_filter(user).allows(scope)
    if not _signed_in(user) or not access_filter(user).allows(scope):
        return False
    if action in ("edit", "delete"):
        if action == "edit" and scope.moderators_edit and scope.cluster_id is not None \
                and is_facilitator(user, scope.cluster_id):
            return True
        return _manages(user, scope)
    if action in ("moderate", "redact"):
        # Redacting (purging client data from a post everywhere) is a moderator's act.
        return user.is_admin or (scope.cluster_id is not None and is_facilitator(user, scope.cluster_id))
    raise ValueError(f"unknown action {action!r}")


def _user_rule(user, action, person):
    if action == "view":
        # Profiles are for signed-in members; only active accounts have one to see.
        return _signed_in(user) and (person.is_active or user.is_admin)
    if action == "edit":
        return _signed_in(user) and (user.id == person.id or user.is_admin)
    if action == "manage":
        return _signed_in(user) and user.is_admin and user.id != person.id
    raise ValueError(f"unknown action {action!r} on a person")


def _cluster_rule(user, action, cluster):
    signed_in = _signed_in(user)
    role = cluster_roles(user).get(cluster.id) if signed_in else None
    if action == "view":  # name and description are public
        return True
    if action == "read":  # threads and posts (members lists stay with "moderate"/membership)
        return cluster.is_public or (signed_in and (role is not None or user.is_admin))
    if action == "join":
        return signed_in and role is None and cluster.is_open and not cluster.is_archived
    if action == "request_join":
        return signed_in and role is None and not cluster.is_open and not cluster.is_archived
    if action == "leave":
        return signed_in and role is not None
    if action == "post":
        return signed_in and role is not None and not cluster.is_archived
    if action == "moderate":
        return moderates(user, cluster.id)
    if action == "manage":  # rename, archive, appoint facilitators
        return signed_in and user.is_organizer
    raise ValueError(f"unknown action {action!r} on a cluster")


def _survey_response_rule(user, action, response):
    """A county's response belongs to its staff; a person's response to that person alone.

    Organizers may read a county's response (it speaks for the county), never a person's:
    individual answers are seen only in aggregates of five or more.
    """
    if not _signed_in(user):
        return False
    if response.county_id is not None:
        mine = user.county_id == response.county_id
    else:
        mine = user.id == response.user_id
    if action == "answer":
        return mine and can(user, "answer_surveys")
    if action == "view":
        return mine or (response.county_id is not None and user.is_organizer)
    raise ValueError(f"unknown action {action!r} on a survey response")


def _assistance_rule(user, action, request):
    """A county's requests are seen by its staff and CFPIC (the `county` scope, as search
    filters them); CFPIC organizers triage them."""
    if not _signed_in(user):
        return False
    if action == "view":
        return access_filter(user).allows(request.access_scope())
    if action == "triage":
        return user.is_organizer
    raise ValueError(f"unknown action {action!r} on an assistance request")


def _post_rule(user, action, post):
    """A post is reached only through its thread: whoever may not see the thread (a removed one:
    everyone but its author and the moderators) may do nothing to any of its posts, nor reach
    them by their own links (/p/<id>, its flag or edit page)."""
    return can(user, "view", post.thread) and _scoped_rule(user, action, post)


_OBJECT_RULES = {"User": _user_rule, "Cluster": _cluster_rule, "SurveyResponse": _survey_response_rule,
                 "AssistanceRequest": _assistance_rule, "Post": _post_rule}


def require(action, thing=None, user=None, status=403):
    """Abort with `status` unless the current user may do `action`."""
    user = user if user is not None else current_user
    if not can(user, action, thing):
        abort(status)


def visible_or_404(thing, user=None):
    """Return `thing` if the person may see it; 404 otherwise so names never leak."""
    user = user if user is not None else current_user
    if thing is None or not can(user, "view", thing):
        abort(404)
    return thing


def get_or_404(model, ident, action="view", user=None):
    """Load `model` by primary key and check `action`; 404 for missing or hidden things."""
    thing = db.session.get(model, ident)
    user = user if user is not None else current_user
    if thing is None or not can(user, "view", thing):
        abort(404)
    if action != "view" and not can(user, action, thing):
        abort(403)
    return thing

