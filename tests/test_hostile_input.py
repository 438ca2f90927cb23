"""Class defence: every page and every form, fed hostile input by every role, answers below 500.

The test loads the demo data, reads every form the organizer can see to learn the field names of
each POST route, then sends every route in `app.url_map` (GET and POST) hostile path parameters,
query strings and form fields as an anonymous visitor, a member and an organizer: NUL and other
control characters, lone surrogates and other bytes that are not UTF-8, a 1 MB string, huge and
negative numbers, far dates. A systematic sweep sends every route real and hostile path
parameters as every role (and, as the organizer, a 1 MB field and bodies that are not UTF-8);
Hypothesis then draws further combinations (derandomized, so a run is repeatable). No answer may
be a 5xx, and a refused request (4xx, a form shown again with errors, or an error message flashed)
must leave the row count of every table as it was.
"""
import re
from datetime import datetime
from html.parser import HTMLParser
from urllib.parse import quote, quote_from_bytes, urlsplit

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select, text

from community.cli import seed_demo
from community.core.demo import DEMO_PASSWORD
from community.extensions import db

MEGABYTE = "x" * 1_000_000
#: Text values: controls, numbers beyond any column, far dates, and ordinary mischief.
HOSTILE_TEXT = [
    "a\x00b", "\x00", "\x01\x02\x1b[31m\x7f\x85\x9f", "\ufffd",
    "99999999999999999999999999", "-2147483649", "2147483648", "-1", "0",
    "9999-12-31T20:00", "0001-01-01", "9999-12-31", "0001-01-01T00:00", "",
    "<script>alert(1)</script>", "'; DROP TABLE users; --", "%00", "../../etc/passwd", "\u202egnp.exe",
    "🙂" * 20, "\t\r\n", "9" * 5000,
]
#: Bytes that are not UTF-8: lone surrogates (the bytes that would encode them) and Latin-1.
#: One such value makes the whole request unreadable, so they go in requests of their own.
NOT_UTF8 = ["name\ud800", "\udfff", b"\xff\xfe", b"caf\xe9", b"\xc3"]
HOSTILE_INTS = ["0", "2147483648", "9223372036854775808", "9" * 40, "9" * 5000]
HOSTILE_SEGMENTS = ["a\x00b", "\x01", "\ufffd", "..", "9" * 300, "%", "\udfff", "\x85"]
#: Query parameters the views read.
QUERY_NAMES = ["q", "page", "status", "type", "kind", "cluster", "quote", "preview", "next"]
#: Form fields some views read without a form class.
LOOSE_FIELDS = ["direction", "decision", "role", "present", "action", "archived", "cluster_id",
                "back", "next", "q", "level", "reply_to", "cluster-" + "9" * 30, "thread-2147483648"]
ROLES = {"anonymous": None, "member": "james.chen@lacounty.example.gov",
         "organizer": "organizer@linkages.example.org"}
#: Path parameters and the table (or values) real ones come from.
REAL_VALUES = {
    "thread_id": "forum_threads", "post_id": "forum_posts", "flag_id": "forum_flags",
    "notification_id": "forum_notifications", "membership_id": "cluster_memberships",
    "user_id": "users", "resource_id": "resources", "entry_id": "toolkit_entries",
    "event_id": "events", "registration_id": "event_registrations", "session_id": "event_sessions",
    "issue_id": "newsletter_issues", "block_id": "newsletter_blocks",
}


class _Forms(HTMLParser):
    """The POST forms of a page: [(action, enctype, {field name: a value from the page})]."""

    def __init__(self):
        super().__init__()
        self.forms, self._current = [], None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and (attrs.get("method") or "get").lower() == "post":
            self._current = (attrs.get("action") or "", attrs.get("enctype") or "", {})
            self.forms.append(self._current)
        elif tag == "form":
            self._current = None
        elif self._current is not None and tag in ("input", "textarea", "select", "button"):
            name = attrs.get("name")
            if name and (attrs.get("type") not in ("radio", "checkbox") or name not in self._current[2]):
                self._current[2].setdefault(name, attrs.get("value") or "")
        elif self._current is not None and tag == "option" and self._current[2]:
            last = list(self._current[2])[-1]
            if not self._current[2][last]:
                self._current[2][last] = attrs.get("value") or ""

    def handle_endtag(self, tag):
        if tag == "form":
            self._current = None


def _row_counts():
    tables = [t.name for t in db.metadata.sorted_tables]
    columns = ", ".join(f'(SELECT count(*) FROM "{name}")' for name in tables)
    counts = dict(zip(tables, db.session.execute(text(f"SELECT {columns}")).one(), strict=True))
    db.session.rollback()
    return counts


def _encoded(value):
    """Bytes for a value: text in UTF-8 (a lone surrogate becomes the bytes that encode it)."""
    return value if isinstance(value, bytes) else value.encode("utf-8", "surrogatepass")


def _path(rule, values):
    def fill(match):
        name = match.group(2)
        return quote(_encoded(values[name]), safe="")

    return re.sub(r"<(?:(\w+)(?:\([^)]*\))?:)?(\w+)>", fill, rule.rule)


class Probe:
    """Sends requests as one role and checks every answer."""

    def __init__(self, app, role):
        self.app, self.role = app, role
        self.client = app.test_client()
        self.adapter = app.url_map.bind("localhost")
        self.sign_in()
        self.counts = _row_counts()

    def sign_in(self):
        if ROLES[self.role]:
            response = self.client.post("/sign-in", data={"email": ROLES[self.role],
                                                          "password": DEMO_PASSWORD})
            assert response.status_code == 302

    def send(self, method, path, fields=None, multipart=False, raw_body=None):
        if method == "GET":
            response = self.client.get(path)
        else:
            body, content_type = raw_body, "application/x-www-form-urlencoded"
            if body is None and multipart:
                body, content_type = _multipart(fields)
            elif body is None:
                body = b"&".join(quote_from_bytes(_encoded(k)).encode() + b"=" +
                                 quote_from_bytes(_encoded(v)).encode() for k, v in fields.items())
            response = self.client.post(path, data=body, content_type=content_type)
        where = f"{self.role} {method} {path[:200]!r}"
        assert response.status_code < 500, f"{where} answered {response.status_code}"
        after = _row_counts()
        if self._refused(method, response):
            changed = {t: (self.counts[t], after[t]) for t in after if after[t] != self.counts[t]}
            assert not changed, f"{where} was refused ({response.status_code}) but wrote rows: {changed}"
        self.counts = after
        if "sign-out" in path and method == "POST":
            self.sign_in()
            self.counts = _row_counts()
        return response

    def _refused(self, method, response):
        if response.status_code >= 400:
            return True
        with self.client.session_transaction() as session:
            if any(category == "error" for category, _ in session.get("_flashes", [])):
                return True
        if method == "POST" and response.status_code == 200:
            body = response.get_data(as_text=True)
            return 'aria-invalid="true"' in body or 'class="error-summary"' in body
        return False


def _multipart(fields):
    boundary = b"hostile-boundary-7d2f"
    out = []
    for name, value in fields.items():
        if name == "file" or name.endswith("-file"):
            out.append(b"--" + boundary + b'\r\nContent-Disposition: form-data; name="' +
                       name.encode() + b'"; filename="re\x00port' + _encoded(value)[:40] +
                       b'.pdf"\r\nContent-Type: application/pdf\r\n\r\n%PDF-1.4 ' +
                       _encoded(value)[:1000] + b"\r\n")
        else:
            out.append(b"--" + boundary + b'\r\nContent-Disposition: form-data; name="' +
                       name.encode() + b'"\r\n\r\n' + _encoded(value) + b"\r\n")
    out.append(b"--" + boundary + b"--\r\n")
    return b"".join(out), "multipart/form-data; boundary=" + boundary.decode()


class World:
    """The demo data, real path parameters, and the fields of every POST route."""

    def __init__(self, app):
        seed_demo(app)
        db.session.commit()
        self.app = app
        self.rules = [r for r in app.url_map.iter_rules() if r.endpoint != "static"]
        self.real = {name: [str(i) for i in db.session.scalars(
            select(db.metadata.tables[table].c.id).order_by(db.metadata.tables[table].c.id).limit(3))]
            or ["1"] for name, table in REAL_VALUES.items()}
        tables = db.metadata.tables
        self.real.update(
            slug=list(db.session.scalars(select(tables["clusters"].c.slug).limit(2))),
            handle=list(db.session.scalars(select(tables["users"].c.handle).limit(2))),
            area_key=list(db.session.scalars(select(tables["toolkit_areas"].c.key).limit(2))) or ["x"],
            token=list(db.session.scalars(select(tables["event_calendar_tokens"].c.token).limit(1)))
            or ["token"],
            kind=["story", "events"], number=["1", "2"], year=["2026"], month=["1", "12"],
            secret=["not-a-secret"], filename=["favicon.svg"])
        db.session.rollback()
        self.fields = {}
        self._learn_forms()

    def real_values(self, rule, choice=0):
        values = {}
        for name, converter in rule._converters.items():
            if type(converter).__name__ == "AnyConverter":
                options = sorted(converter.items)
                values[name] = options[choice % len(options)]
            else:
                candidates = self.real.get(name, ["1"])
                values[name] = candidates[choice % len(candidates)]
        return values

    def _learn_forms(self):
        probe = Probe(self.app, "organizer")
        for rule in self.rules:
            if "GET" not in rule.methods or "sign-out" in rule.rule:
                continue
            path = _path(rule, self.real_values(rule))
            response = probe.client.get(path)
            if response.status_code != 200 or "html" not in (response.mimetype or ""):
                continue
            parser = _Forms()
            parser.feed(response.get_data(as_text=True))
            for action, enctype, fields in parser.forms:
                target = urlsplit(action or path).path
                try:
                    endpoint, _ = probe.adapter.match(target, method="POST")
                except Exception:  # a form posting elsewhere (another host, a GET-only page)
                    continue
                known = self.fields.setdefault(endpoint, ({}, set()))
                known[0].update(fields)
                if "multipart" in enctype:
                    known[1].add("multipart")
        db.session.rollback()

    def form_of(self, rule):
        fields, flags = self.fields.get(rule.endpoint, ({}, set()))
        return dict(fields), "multipart" in flags


def _hostile_fields(world, rule, variant, pick):
    fields, multipart = world.form_of(rule)
    names = [n for n in fields if n not in ("csrf_token",)] + LOOSE_FIELDS
    values = {}
    for index, name in enumerate(names):
        if index % 3 == variant % 3 and name in fields:
            values[name] = fields[name]  # keep some real values, so that validation goes deeper
        else:
            values[name] = pick(index)
    return values, multipart


@pytest.fixture
def world(app):
    return World(app)


def _hostile_path(rule, world, pick):
    values = world.real_values(rule)
    for index, (name, converter) in enumerate(rule._converters.items()):
        kind = type(converter).__name__
        if kind == "BoundedIntegerConverter":
            values[name] = HOSTILE_INTS[pick(index) % len(HOSTILE_INTS)]
        elif kind != "AnyConverter":
            values[name] = HOSTILE_SEGMENTS[pick(index) % len(HOSTILE_SEGMENTS)]
    return values


def _query(pick):
    return "?" + "&".join(f"{name}={quote(_encoded(pick(i)), safe='')}"
                          for i, name in enumerate(QUERY_NAMES))


def test_every_route_answers_hostile_input_below_500_and_refusals_write_nothing(app, world):
    """A sweep of every route by every role, then random combinations (one test: one seeding)."""
    _sweep_every_route(app, world)
    _random_requests(app, world)


def _sweep_every_route(app, world):
    for role_index, role in enumerate(ROLES):
        probe = Probe(app, role)
        for rule_index, rule in enumerate(world.rules):
            def pick(i, offset=rule_index + 7 * role_index):
                return HOSTILE_TEXT[(i + offset) % len(HOSTILE_TEXT)]

            real = _path(rule, world.real_values(rule, rule_index + role_index))
            paths = [real]
            if rule.arguments:
                paths.append(_path(rule, _hostile_path(rule, world, lambda i, offset=rule_index: i + offset)))
            if "GET" in rule.methods and "sign-out" not in rule.rule:
                for path in paths:
                    probe.send("GET", path + _query(pick))
            if "POST" not in rule.methods:
                continue
            fields, multipart = _hostile_fields(world, rule, role_index, pick)
            for path in paths:
                probe.send("POST", path, fields, multipart=multipart)
            if role == "organizer" and fields:  # the role that reaches most forms
                first = next(iter(fields))
                probe.send("POST", real, dict(fields, **{first: MEGABYTE}), multipart=multipart)
                # One field not UTF-8 (percent-encoded or multipart), then a raw body of such bytes.
                unreadable = NOT_UTF8[rule_index % len(NOT_UTF8)]
                probe.send("POST", real, dict(fields, **{first: unreadable}), multipart=multipart)
                raw = b"&".join(k.encode() + b"=" + _encoded(NOT_UTF8[2 + rule_index % 3])
                                for k in fields)
                response = probe.send("POST", real, raw_body=raw)
                assert response.status_code != 200, f"{real} accepted a body that is not UTF-8"


text_values = st.one_of(
    st.sampled_from(HOSTILE_TEXT),
    st.text(st.characters(codec="utf-8", categories=["Cc", "Zs", "Ll", "Nd", "So"]), max_size=40),
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    st.datetimes(min_value=datetime(1, 1, 1)).map(
        lambda d: d.strftime("%Y-%m-%dT%H:%M") if d.year >= 1000 else f"{d.year:04d}-01-01T00:00"),
)


def _random_requests(app, world):
    probes = {role: Probe(app, role) for role in ROLES}

    @settings(max_examples=45, deadline=None, database=None, derandomize=True,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(data=st.data())
    def check(data):
        probe = probes[data.draw(st.sampled_from(list(ROLES)))]
        rule = data.draw(st.sampled_from(world.rules))
        values = world.real_values(rule, data.draw(st.integers(0, 2)))
        for name, converter in rule._converters.items():
            if type(converter).__name__ != "AnyConverter" and data.draw(st.booleans()):
                values[name] = data.draw(st.sampled_from(
                    HOSTILE_INTS if "Integer" in type(converter).__name__ else HOSTILE_SEGMENTS))
        path = _path(rule, values)
        if "POST" in rule.methods and "sign-out" not in rule.rule and data.draw(st.booleans()):
            form, multipart = world.form_of(rule)
            fields = {name: (form[name] if form.get(name) and data.draw(st.booleans())
                             else data.draw(text_values))
                      for name in [*form, *LOOSE_FIELDS] if name != "csrf_token"}
            if data.draw(st.integers(0, 5)) == 0:  # now and then, one field not UTF-8
                fields[data.draw(st.sampled_from(sorted(fields)))] = data.draw(st.sampled_from(NOT_UTF8))
            probe.send("POST", path, fields, multipart=multipart)
        elif "GET" in rule.methods and "sign-out" not in rule.rule:
            query = {name: data.draw(text_values) for name in QUERY_NAMES if data.draw(st.booleans())}
            probe.send("GET", path + "?" + "&".join(
                f"{k}={quote_from_bytes(_encoded(v))}" for k, v in query.items()))

    check()
