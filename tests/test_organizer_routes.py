"""A signed-in member who POSTs to any organizer or admin route of any area gets 403 or 404 and
changes nothing.

The routes are found, not listed. On the demo data, every POST route of `app.url_map` is sent (with
the fields of the organizer's own form for it) by a member who belongs to no cluster and owns
nothing, then by the organizer, while the permission policy records what it is asked until a
template starts rendering (so buttons a page merely shows or hides do not count). A route is an
organizer or admin route when it belongs to a blueprint that guards itself in `before_request`
(GET routes there too), or when either request asked the policy for a staff right: a site action
such as `organize` or `admin`, or `edit`, `delete`, `manage`, `moderate`, `redact` or `triage` on
an object — which the member, owning and moderating nothing, never has.
"""
import hashlib

import pytest
from sqlalchemy import select

from community import permissions
from community.core.demo import DEMO_PASSWORD
from community.extensions import db
from tests.test_hostile_input import World, _multipart, _path

STAFF_SITE_ACTIONS = {"admin", "view_audit_log", "organize", "create_cluster"}
STAFF_OBJECT_ACTIONS = {"edit", "delete", "manage", "moderate", "redact", "triage"}
#: Written by any request of a signed-in person (last seen), not by what the request asked for.
VOLATILE_TABLES = {"user_sessions"}


class PolicyRecorder:
    """Records the staff rights the policy is asked about while `recording` is on."""

    def __init__(self, app, monkeypatch):
        self.recording, self.asked = False, set()
        recorder = self

        class SiteActions(dict):
            def get(self, action, default=None):
                recorder._note(action in STAFF_SITE_ACTIONS, action)
                return super().get(action, default)

        def wrap(rule):
            def recorded(user, action, thing):
                recorder._note(action in STAFF_OBJECT_ACTIONS, action)
                return rule(user, action, thing)
            return recorded

        monkeypatch.setattr(permissions, "_SITE_ACTIONS", SiteActions(permissions._SITE_ACTIONS))
        monkeypatch.setattr(permissions, "_OBJECT_RULES",
                            {name: wrap(rule) for name, rule in permissions._OBJECT_RULES.items()})
        scoped = permissions._can_scoped
        monkeypatch.setattr(permissions, "_can_scoped",
                            lambda user, action, scope: wrap(scoped)(user, action, scope))
        # Rendering starts with the template context (the navigation asks the policy too).
        update_context = app.update_template_context

        def stop_then_update(context):
            self.recording = False
            return update_context(context)

        monkeypatch.setattr(app, "update_template_context", stop_then_update)

    def _note(self, staff, action):
        if self.recording and staff:
            self.asked.add(action)

    def ask(self, send, *args):
        """Send a request (`send(*args)`) and return the response and the staff rights the policy
        was asked about before rendering."""
        self.asked, self.recording = set(), True
        try:
            response = send(*args)
        finally:
            self.recording = False
        return response, set(self.asked)


def _snapshot():
    """{table: digest of its rows}: any insert, update or delete changes it."""
    digests = {}
    for table in db.metadata.sorted_tables:
        if table.name in VOLATILE_TABLES:
            continue
        rows = sorted(repr(tuple(row)) for row in db.session.execute(select(table)))
        digests[table.name] = hashlib.sha256("\n".join(rows).encode()).hexdigest()
    db.session.rollback()
    return digests


def _signed_in_client(app, email, password):
    client = app.test_client()
    assert client.post("/sign-in", data={"email": email, "password": password}).status_code == 302
    return client


def _send(client, method, path, fields, multipart):
    if method == "GET":
        return client.get(path)
    if multipart:
        body, content_type = _multipart(fields)
        return client.post(path, data=body, content_type=content_type)
    return client.post(path, data=fields)


@pytest.fixture
def recorder(app, monkeypatch):
    return PolicyRecorder(app, monkeypatch)


def test_a_member_posting_to_any_organizer_or_admin_route_is_refused_and_changes_nothing(
        app, make_user, recorder):
    world = World(app)
    make_user(email="newcomer@county.example.gov", name="Nadia Newcomer", password="newcomer-password")
    member = _signed_in_client(app, "newcomer@county.example.gov", "newcomer-password")
    staff = [_signed_in_client(app, email, DEMO_PASSWORD)
             for email in ("organizer@linkages.example.org", "admin@linkages.example.org")]
    guarded = {name for name in app.before_request_funcs if name is not None}
    assert {"admin", "newsletters_manage", "surveys_manage"} <= guarded

    routes = []
    for rule in world.rules:
        # Every option of an <any(...)> segment (pin, lock, delete, …) is a route of its own.
        options = max([len(c.items) for c in rule._converters.values() if hasattr(c, "items")] or [1])
        for path in dict.fromkeys(_path(rule, world.real_values(rule, n)) for n in range(options)):
            if "POST" in rule.methods and "sign-out" not in rule.rule:
                routes.append((rule, "POST", path))
            elif rule.endpoint.split(".")[0] in guarded:
                routes.append((rule, "GET", path))

    # The member first, on the untouched demo data; then the organizer and the admin (who sees
    # every cluster, so reaches the moderators' questions), for what the policy is asked.
    answered = {}
    for rule, method, path in routes:
        fields, multipart = world.form_of(rule)
        fields = {name: value for name, value in fields.items() if name != "csrf_token"}
        before = _snapshot()
        response, asked = recorder.ask(_send, member, method, path, fields, multipart)
        after = _snapshot()
        changed = sorted(name for name in after if after[name] != before[name])
        answered[(path, method)] = (rule, path, response.status_code, changed, asked, fields, multipart)

    organizer_routes, failures = [], []
    for (_, method), (rule, path, status, changed, asked, fields, multipart) in answered.items():
        staff_asked = set()
        for client in staff:
            staff_asked |= recorder.ask(_send, client, method, path, fields, multipart)[1]
        assert status < 500, f"member {method} {path} answered {status}"
        if not (rule.endpoint.split(".")[0] in guarded or asked or staff_asked):
            continue
        organizer_routes.append(rule.endpoint)
        if status not in (403, 404) or changed:
            failures.append(f"{method} {path} ({rule.endpoint}): {status}, tables changed: {changed}, "
                            f"asked: {asked} / {staff_asked}")

    assert failures == [], "\n".join(failures)
    # Every area's organizer side was reached (56 endpoints when this was written): the discovery
    # found them, not a list.
    areas = {endpoint.split(".")[0] for endpoint in organizer_routes}
    assert {"admin", "newsletters_manage", "surveys_manage", "convenings", "resources", "forums",
            "assistance"} <= areas, sorted(areas)
    assert len(set(organizer_routes)) >= 55, sorted(set(organizer_routes))
