"""Role × route leak test: words from a closed cluster never reach anyone outside its audience.

Unique marker words are placed in a closed cluster's thread (title, opening post, reply), a
cluster-only resource (title, summary, tag, file text, version 2 text) and a cluster-only event
(title, description, join link); and another county's request for technical assistance and one
person's written answer to a frontline survey (a group of one, so never shown). Then an anonymous visitor, an outsider, a pending member, a member
who left and an organizer who is not in the cluster crawl every page they can reach, hit every
direct URL of the private things (ids, versions, downloads, feeds, exports, notifications), search
for the markers and near-misses of them (did you mean), and read the e-mail they were sent. No
marker may turn up anywhere. Runs on SQLite and PostgreSQL like every `app` test.
"""
import io
import re
from collections import deque
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from werkzeug.datastructures import FileStorage

from werkzeug.datastructures import MultiDict

from community import jobs
from community.assistance import services as assistance
from community.clusters.models import Cluster, ClusterMembership
from community.convenings import services as events
from community.extensions import db
from community.forums import services as forums
from community.resources import files
from community.resources import services as library
from community.resources.demo import make_pdf
from community.surveys import services as surveys
from community.timeutil import utcnow

#: Made-up words that occur nowhere else, one per private place.
MARKERS = {
    "thread_title": "vorpalkestrel",
    "thread_body": "glimmerbasalt",
    "reply_body": "quintafernly",
    "resource_title": "moonwhistle",
    "resource_summary": "brackenoath",
    "resource_tag": "saffronquay",
    "resource_file": "pelicanthrope",
    "resource_version_2": "ultramarook",
    "event_title": "dovetailorix",
    "event_summary": "harrowminty",
    "event_join": "joinroom77341",
    "assistance_topic": "quillbrindle",
    "assistance_details": "marrowfinch",
    "assistance_file": "cindergrove",
    "survey_answer": "tesselhorn",
}
EVENT_MARKERS = {"event_title", "event_summary", "event_join"}
#: CFPIC organizers see every county's requests for help; nobody else outside the county does.
ASSISTANCE_MARKERS = {"assistance_topic", "assistance_details", "assistance_file"}
#: A near-miss of each searchable word, as a person who mistypes it would send it.
NEAR_MISSES = {word: word[:-2] + word[-1] for word in MARKERS.values()}

#: Ordinary words that occur beside the markers, so that a leaking search would show them.
ORDINARY_WORDS = ["approach", "plan", "protocol", "check", "step", "review", "compare", "notes",
                  "county", "call", "agenda", "tdm"]

MAX_PAGES = 400
#: Paths a crawler must not follow: they change state or sign the visitor out.
SKIP = re.compile(r"^/(sign-out|account/sign-out|static/)")


def _commit():
    db.session.commit()
    jobs.run_ready()


def _upload(data, name):
    return files.store_upload(FileStorage(io.BytesIO(data), filename=name))


@pytest.fixture
def world(app, make_user, outbox):
    """The private things and the people who must not see them."""
    facilitator = make_user(name="Maria Lopez", email="maria@stanislaus.example.gov")
    insider = make_user(name="James Chen", email="james@lacounty.example.gov")
    leaver = make_user(name="Tanya Brooks", email="tanya@sbcounty.example.gov")
    pending = make_user(name="Omar Haddad", email="omar@kern.example.gov")
    outsider = make_user(name="Luis Ramirez", email="luis@fresno.example.gov")
    organizer = make_user(role="organizer", name="Renee Okafor", email="organizer@linkages.example.org")

    closed = Cluster(slug="closed-circle", name="Closed Circle", description="A closed peer cluster.",
                     is_open=False, is_public=False)
    db.session.add(closed)
    closed.memberships.append(ClusterMembership(user=facilitator, role="facilitator"))
    closed.memberships.append(ClusterMembership(user=insider, role="member"))
    closed.memberships.append(ClusterMembership(user=leaver, role="member"))
    other = Cluster(slug="open-door", name="Open Door", description="An open peer cluster.",
                    is_open=True, is_public=False)
    db.session.add(other)
    other.memberships.append(ClusterMembership(user=outsider, role="member"))
    other.memberships.append(ClusterMembership(user=leaver, role="member"))
    db.session.flush()
    forums.request_to_join(closed, pending)
    _commit()

    thread = forums.start_thread(
        closed, insider, f"Mutual family plan {MARKERS['thread_title']}",
        f"We tried the {MARKERS['thread_body']} approach with the TDM facilitator.")
    _commit()
    reply = forums.post_reply(thread, facilitator,
                              f"Our county calls it {MARKERS['reply_body']} in the case plan.")
    _commit()

    details = library.ResourceDetails(
        title=f"Protocol {MARKERS['resource_title']}", doc_type="protocol",
        summary=f"How we run the {MARKERS['resource_summary']} review.", visibility="clusters",
        cluster_ids=[closed.id], tags=[MARKERS["resource_tag"], "protocol"], year=2024)
    resource = library.share_resource(
        insider, details, _upload(make_pdf("Protocol", [f"Step one: the {MARKERS['resource_file']} check."]),
                                  "protocol.pdf"))
    _commit()
    library.add_version(resource, insider, _upload(
        make_pdf("Protocol v2", [f"Step two: the {MARKERS['resource_version_2']} check."]), "protocol-v2.pdf"))
    _commit()

    # Things others may see, full of the ordinary words around the markers, so that a query like
    # "<near-miss> OR plan" finds something visible and would carry a leaking suggestion.
    ordinary = " ".join(ORDINARY_WORDS)
    library.share_resource(organizer, library.ResourceDetails(
        title="Public plan protocol", doc_type="protocol", summary=f"A public {ordinary} guide.",
        visibility="public", tags=["protocol", "plan"], year=2024), _upload(
        make_pdf("Public plan", [f"Public {ordinary}."]), "public-plan.pdf"))
    forums.start_thread(other, outsider, "Plan review in the open door cluster", f"Our {ordinary}.")
    _commit()

    start = utcnow().replace(second=0, microsecond=0) + timedelta(hours=20)
    event = events.create_event(
        organizer, kind="cluster-call", title=f"Call about {MARKERS['event_title']}",
        summary=f"We compare {MARKERS['event_summary']} notes.", start_at=start,
        end_at=start + timedelta(hours=1), visibility="clusters", cluster_id=closed.id,
        join_url=f"https://meet.example.org/{MARKERS['event_join']}")
    events.publish_event(event, organizer)
    _commit()
    registration = events.register(event, leaver, events.Answers(program=leaver.program))
    events.register(event, insider, events.Answers(program=insider.program))
    _commit()
    token = events.calendar_token(leaver)
    _commit()

    # The leaver goes; from here on nothing of the cluster may reach them.
    forums.leave_cluster(closed, leaver)
    _commit()
    outbox.clear()

    # Things that happen after someone left: a reply, an event change, reminders.
    forums.post_reply(thread, insider, f"Following up on {MARKERS['thread_body']} and the plan.")
    _commit()
    events.update_event(event, organizer, summary=f"Updated: {MARKERS['event_summary']} notes and agenda.",
                        venue="Online")
    _commit()
    events.send_reminders(now=utcnow())
    _commit()

    # Another county asks CFPIC for help, and answers a frontline survey alone (a group of one).
    kern = make_user(name="Rita Moss", email="rita@kern.example.gov", county="Kern")
    help_request = assistance.ask_for_help(kern, assistance.Ask(
        topic=f"Help with {MARKERS['assistance_topic']}", details=f"We tried {MARKERS['assistance_details']}."),
        upload=FileStorage(io.BytesIO(f"Our {MARKERS['assistance_file']} schedule.\n".encode()), filename="plan.txt"))
    survey = surveys.create_survey(organizer, "Frontline worker experience", audience="individual")
    question = surveys.save_question(survey, organizer, kind="long_text", prompt="What gets in the way?")
    survey_round = surveys.create_round(survey, organizer, "Spring", utcnow() - timedelta(hours=1),
                                        utcnow() + timedelta(days=5))
    surveys.open_round(survey_round, organizer)
    answer = surveys.response_for(survey_round, kern, create=True)
    surveys.save_answers(answer, kern, MultiDict({question.field_name: f"Barrier {MARKERS['survey_answer']}"}),
                         submit=True)
    surveys.close_round(survey_round, organizer)
    _commit()

    return {
        "help_request": help_request.id, "help_file": help_request.attachments[0].id,
        "survey_round": survey_round.id,
        "people": {"outsider": outsider, "pending": pending, "leaver": leaver, "organizer": organizer},
        "thread": thread, "reply": reply, "resource": resource, "event": event,
        "registration_id": registration.id, "leaver_token": token, "cluster": closed,
    }


def _direct_urls(world):
    thread, resource, event = world["thread"], world["resource"], world["event"]
    urls = [
        f"/t/{thread.id}", f"/t/{thread.id}/{thread.slug}", f"/t/{thread.id}/post/1",
        f"/t/{thread.id}/post/2", f"/t/{thread.id}/reply", f"/p/{world['reply'].id}",
        f"/p/{world['reply'].id}/history", f"/p/{world['reply'].id}/edit", f"/p/{world['reply'].id}/flag",
        "/clusters", "/clusters/closed-circle", "/clusters/closed-circle/members",
        "/clusters/closed-circle/new", "/flags", "/notifications", "/notifications/settings",
        f"/library/{resource.id}", f"/library/{resource.id}/download", f"/library/{resource.id}/download/1",
        f"/library/{resource.id}/download/2", f"/library/{resource.id}/download/1?preview=1",
        f"/library/{resource.id}/edit", "/library/", "/library/toolkit",
        f"/events/{event.id}", f"/events/{event.id}/event.ics", f"/events/{event.id}/register",
        f"/events/{event.id}/registrants", f"/events/{event.id}/registrants.csv",
        f"/events/{event.id}/feedback", f"/events/{event.id}/materials",
        f"/events/registrations/{world['registration_id']}", "/events/mine", "/events/calendar.ics",
        f"/events/feed/{world['leaver_token']}.ics", "/events/", "/events/month",
        "/newsletter", "/newsletter/feed.atom", "/people", "/",
        f"/assistance/{world['help_request']}", f"/assistance/{world['help_request']}/files/{world['help_file']}",
        "/assistance/", "/assistance/dashboard", "/surveys/",
        f"/surveys/rounds/{world['survey_round']}/results", f"/surveys/rounds/{world['survey_round']}/results.csv",
        f"/surveys/rounds/{world['survey_round']}",
    ]
    # Searches never name a marker (the page repeats the query): near-misses ask for "did you
    # mean", prefixes and the ordinary words around the markers ask for hits and snippets.
    for word in MARKERS.values():
        urls += [f"/search?q={NEAR_MISSES[word]}", f"/search?q={NEAR_MISSES[word]}+OR+plan",
                 f"/search?q=%22{NEAR_MISSES[word]}%22", f"/search?q=tag:{NEAR_MISSES[word]}",
                 f"/search?q={word[:5]}*"]
    urls += [f"/search?q={word}" for word in ORDINARY_WORDS]
    urls += ["/search?q=plan&sort=newest", "/search?q=check&type=protocol", "/search?q=step+OR+notes",
             "/search?q=protocol&sort=downloads", "/search"]
    # The library page searches and counts too (the site search narrowed to resources, or the table).
    urls += [f"/library/?q={NEAR_MISSES[word]}" for word in MARKERS.values()]
    urls += ["/library/?q=check&type=protocol", "/library/?q=step+OR+notes&sort=downloads",
             "/library/?type=protocol&sort=title", "/library/?year=2024", "/library/toolkit/assessment-planning"]
    return urls


def _links(html):
    for href in re.findall(r'(?:href|src|action)="([^"#]+)', html):
        href = href.replace("&amp;", "&")
        parts = urlsplit(href)
        if parts.scheme or parts.netloc or not href.startswith("/") or SKIP.match(parts.path):
            continue
        yield href


def _found(body, forbidden):
    lowered = body.lower()
    return sorted(name for name, word in forbidden.items() if word in lowered)


def _crawl(client, seeds, forbidden):
    """GET every reachable same-site page from the seeds; return the leaks found."""
    leaks, seen, queue = [], set(), deque(seeds)
    direct, per_path = set(seeds), {}
    while queue and len(seen) < MAX_PAGES:
        url = queue.popleft()
        path = urlsplit(url).path
        if url in seen or (url not in direct and per_path.get(path, 0) >= 6):
            continue
        seen.add(url)
        per_path[path] = per_path.get(path, 0) + 1
        response = client.get(url)
        assert response.status_code < 500, f"{url} answered {response.status_code}"
        body = response.get_data().decode("utf-8", "replace")
        location = response.headers.get("Location", "")
        hits = _found(body + location, forbidden)
        if hits:
            leaks.append((url, hits))
        if response.status_code == 200 and "html" in response.content_type:
            queue.extend(link for link in _links(body) if link not in seen)
    return leaks, len(seen)


ROLES = ["anonymous", "outsider", "pending", "leaver", "organizer"]


@pytest.mark.parametrize("role", ROLES)
def test_nothing_from_a_closed_cluster_reaches_someone_outside_it(role, app, world, sign_in, outbox):
    client = app.test_client()
    person = world["people"].get(role)
    if person is not None:
        response = client.post("/sign-in", data={"email": person.email, "password": "correct horse battery"})
        assert response.status_code == 302
    # CFPIC organizers run every cluster's calls, so the event is theirs to see (as the policy says).
    forbidden = {k: v for k, v in MARKERS.items()
                 if not (role == "organizer" and k in EVENT_MARKERS | ASSISTANCE_MARKERS)}

    leaks, visited = _crawl(client, _direct_urls(world), forbidden)

    assert visited > 40, f"the crawl reached only {visited} pages"
    assert leaks == [], f"{role} saw private words: {leaks}"
    if person is not None:
        for message in outbox.to(person.email):
            raw = message.as_bytes().decode("utf-8", "replace")
            assert _found(raw, forbidden) == [], f"{role} was e-mailed private words: {message['Subject']}"


def test_the_cluster_member_sees_every_marker_so_the_leak_test_would_notice(app, world, sign_in):
    """The other side of the test: an insider finds each marker, so an empty result above means something."""
    client = app.test_client()
    client.post("/sign-in", data={"email": "james@lacounty.example.gov", "password": "correct horse battery"})
    thread, resource, event = world["thread"], world["resource"], world["event"]
    pages = "".join(client.get(url).get_data(as_text=True) for url in (
        f"/t/{thread.id}", f"/library/{resource.id}", f"/events/{event.id}",
        f"/search?q={MARKERS['resource_file']}", f"/search?q={MARKERS['resource_version_2']}"))
    seen = set(_found(pages, MARKERS))
    assert {"thread_title", "thread_body", "reply_body", "resource_title", "resource_summary",
            "resource_tag", "event_title", "event_summary", "event_join"} <= seen
    assert {"resource_file", "resource_version_2"} & seen
    cfpic = app.test_client()
    cfpic.post("/sign-in", data={"email": "organizer@linkages.example.org", "password": "correct horse battery"})
    request_page = "".join(cfpic.get(url).get_data(as_text=True) for url in (
        f"/assistance/{world['help_request']}", f"/assistance/{world['help_request']}/files/{world['help_file']}"))
    assert set(_found(request_page, MARKERS)) == ASSISTANCE_MARKERS
    # Search finds the request for CFPIC (near-misses are corrected to its words), as it would
    # for anyone the crawl above signs in if the permission filter let it through.
    topic, details, file_word = (MARKERS[k] for k in ("assistance_topic", "assistance_details", "assistance_file"))
    searched = "".join(cfpic.get(url).get_data(as_text=True) for url in (
        f"/search?q={NEAR_MISSES[topic]}", f"/search?q={details[:5]}*", f"/search?q={NEAR_MISSES[file_word]}"))
    assert set(_found(searched, MARKERS)) == ASSISTANCE_MARKERS


def test_a_near_miss_of_a_private_word_is_corrected_only_for_the_cluster(app, world):
    """Did you mean: the member gets the private word suggested, an outsider never does."""
    insider, outsider = app.test_client(), app.test_client()
    insider.post("/sign-in", data={"email": "james@lacounty.example.gov", "password": "correct horse battery"})
    outsider.post("/sign-in", data={"email": "luis@fresno.example.gov", "password": "correct horse battery"})
    word = MARKERS["thread_title"]
    url = f"/search?q={NEAR_MISSES[word]}"
    assert word in insider.get(url).get_data(as_text=True).lower()
    assert word not in outsider.get(url).get_data(as_text=True).lower()
