"""Several machines: two gunicorn nodes and an RQ worker on one PostgreSQL database and one Redis.

Each process has its own instance folder, as separate machines have; nothing but the database and
Redis is shared. The nodes share one host name here (cookies ignore ports), as nodes behind a
proxy do. Needs TEST_DATABASE_URL and TEST_REDIS_URL (CI sets both).
"""
import os
import re
import subprocess
import sys
import time
import uuid
from functools import partial
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from bench.common import free_port, wait_for_port
from tests.conftest import IN_CI, PG_URL

ROOT = Path(__file__).resolve().parent.parent
REDIS_URL = os.environ.get("TEST_REDIS_URL", "")
PASSWORD = "correct horse battery"
#: How long to wait for a change made on one node to be found by search on another. The worker
#: indexes within about a second on a quiet machine; this is a bound for a loaded CI machine (a job
#: measured 4 s there while two test processes and two servers shared two cores), not a figure.
SEARCH_WITHIN = 20.0
#: Text extraction runs in a forked reader on the worker: allow it more time.
EXTRACTION_WITHIN = 30.0

requests = pytest.importorskip("requests")


def _eventually(check, seconds):
    """Call `check` until it returns something true or `seconds` pass; return its last answer."""
    deadline = time.monotonic() + seconds
    while True:
        answer = check()
        if answer or time.monotonic() > deadline:
            return answer
        time.sleep(0.1)


class Cluster:
    """URLs of the nodes, and the people and clusters seeded in their database."""

    def __init__(self, urls, people, closed_slug):
        self.a, self.b = urls
        self.people = people
        self.closed_slug = closed_slug


def _node_database_url():
    base, _, name = PG_URL.rpartition("/")
    return f"{base}/{name.split('?')[0]}_nodes"


def _seed(database_url, instance):
    """People and a closed cluster, made through the services, as an operator's script would."""
    from community import create_app
    from community.accounts import services as accounts
    from community.clusters.models import Cluster as PeerCluster, ClusterMembership
    from community.extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "INSTANCE_PATH": str(instance),
                      "SECRET_KEY": "x" * 40, "REDIS_URL": "", "MAIL_URL": "none"})
    with app.app_context():
        people = {}
        for key, name in (("insider", "Ines Insider"), ("outsider", "Omar Outsider")):
            user = accounts.create_user(f"{key}@county.example.gov", name, PASSWORD, role="member",
                                        county_name="Kern", program="cws")
            people[key] = user
        closed = PeerCluster(slug="fiscal-closed", name="Fiscal closed cluster", is_open=False)
        db.session.add_all([closed, ClusterMembership(cluster=closed, user=people["insider"])])
        db.session.commit()
        emails = {key: user.email for key, user in people.items()}
        db.session.remove()
        db.engine.dispose()
    return emails, "fiscal-closed"


@pytest.fixture(scope="module")
def nodes(tmp_path_factory):
    if not (PG_URL and REDIS_URL):
        message = "needs TEST_DATABASE_URL and TEST_REDIS_URL: the nodes share PostgreSQL and Redis"
        if IN_CI:
            pytest.fail(message + " (they must be set under CI=true)")
        pytest.skip(message)
    from redis import Redis
    from rq import Queue

    from community.jobs import QUEUE_NAME

    connection = Redis.from_url(REDIS_URL)
    connection.ping()
    Queue(QUEUE_NAME, connection=connection).empty()  # nothing left from an earlier run
    database_url = _node_database_url()
    name = database_url.rpartition("/")[2]
    admin = create_engine(PG_URL.replace("postgresql://", "postgresql+psycopg://", 1), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    base = tmp_path_factory.mktemp("nodes")
    common = {**os.environ, "DATABASE_URL": database_url, "REDIS_URL": REDIS_URL,
              "SECRET_KEY": "several-nodes-share-this-secret-key-0123456789", "MAIL_URL": "none",
              "SITE_URL": "http://community.test", "PYTHONPATH": str(ROOT), "FLASK_APP": "community",
              "SEARCH_BACKEND": "auto", "FILE_STORE": "auto", "ENV_NAME": "development",
              "LIMIT_SIGN_IN": "200 per minute"}
    for key in ("UPLOAD_DIR", "SEARCH_INDEX_DIR", "JOBS_INLINE", "INSTANCE_PATH"):
        common.pop(key, None)
    processes = []
    try:
        migrate_env = {**common, "INSTANCE_PATH": str(base / "migrate")}
        subprocess.run([sys.executable, "-m", "flask", "db", "upgrade"], cwd=ROOT, env=migrate_env,
                       check=True, capture_output=True, timeout=120)
        people, closed_slug = _seed(database_url.replace("postgresql://", "postgresql+psycopg://", 1),
                                    base / "seed")
        worker_env = {**common, "INSTANCE_PATH": str(base / "worker")}
        processes.append(subprocess.Popen([sys.executable, "-m", "flask", "jobs", "worker"], cwd=ROOT,
                                          env=worker_env))
        urls = []
        for node in ("a", "b"):
            port = free_port()
            env = {**common, "INSTANCE_PATH": str(base / f"node-{node}")}
            process = subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "-w", "2", "--preload", "-b", f"127.0.0.1:{port}", "--log-level",
                 "warning", "community:create_app()"], cwd=ROOT, env=env)
            processes.append(process)
            wait_for_port(port, process, 60, "a node")
            urls.append(f"http://127.0.0.1:{port}")
        yield Cluster(urls, people, closed_slug)
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _csrf(page):
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)


def _signed_in(node_url, email):
    browser = requests.Session()
    token = _csrf(browser.get(f"{node_url}/sign-in").text)
    response = browser.post(f"{node_url}/sign-in", data={"csrf_token": token, "email": email,
                                                         "password": PASSWORD}, allow_redirects=False)
    assert response.status_code == 302, response.text[:300]
    return browser


def _start_thread(browser, node_url, slug, title, body):
    token = _csrf(browser.get(f"{node_url}/clusters/{slug}/new").text)
    response = browser.post(f"{node_url}/clusters/{slug}/new", data={
        "csrf_token": token, "title": title, "body": body}, allow_redirects=False)
    assert response.status_code == 302, response.text[:500]
    return response.headers["Location"]


def _share_file(browser, node_url, title, data, filename, visibility="members"):
    token = _csrf(browser.get(f"{node_url}/library/new").text)
    response = browser.post(f"{node_url}/library/new", data={
        "csrf_token": token, "title": title, "summary": "Shared on node A.", "doc_type": "protocol",
        "county_id": "0", "program": "linkages", "visibility": visibility, "tags": "", "year": "2024",
        "note": ""}, files={"file": (filename, data, "text/plain")}, allow_redirects=False)
    assert response.status_code == 302, response.text[:500]
    return response.headers["Location"]


def _text_of(response):
    """The page's text without tags (search highlights split titles with <mark>)."""
    return re.sub(r"<[^>]+>", "", response.text)


def _finds(browser, node_url, words, title):
    page = browser.get(f"{node_url}/search", params={"q": words})
    return page.status_code == 200 and title in _text_of(page)


def _letters():
    return "".join(chr(ord("a") + int(c, 16) % 26) for c in uuid.uuid4().hex[:8])


def test_a_thread_and_a_resource_made_on_one_node_are_found_by_search_on_the_other(nodes):
    insider_on_a = _signed_in(nodes.a, nodes.people["insider"])
    insider_on_b = _signed_in(nodes.b, nodes.people["insider"])
    marker = _letters()  # letters only: a mix of letters and digits looks like a case id to the guard
    _start_thread(insider_on_a, nodes.a, nodes.closed_slug, f"Braided funding thread {marker}",
                  "How do your counties braid the single allocation with child welfare funds?")
    _share_file(insider_on_a, nodes.a, f"Kern joint review protocol {marker}",
                b"Quarterly joint case reviews of sanctioned families.\n", "protocol.txt")
    assert _eventually(lambda: _finds(insider_on_b, nodes.b, f"braided {marker}",
                                      f"Braided funding thread {marker}"), SEARCH_WITHIN)
    assert _eventually(lambda: _finds(insider_on_b, nodes.b, f"protocol {marker}",
                                      f"Kern joint review protocol {marker}"), SEARCH_WITHIN)


def test_a_file_uploaded_on_one_node_downloads_from_the_other_and_its_text_is_searchable_on_both(nodes):
    insider_on_a = _signed_in(nodes.a, nodes.people["insider"])
    insider_on_b = _signed_in(nodes.b, nodes.people["insider"])
    word = "quokka" + _letters()
    data = f"County co-location handbook.\nThe {word} pilot placed CalWORKs staff in the child welfare office.\n".encode()
    location = _share_file(insider_on_a, nodes.a, "Co-location handbook", data, "handbook.txt")
    resource_path = location.replace(nodes.a, "").split("?")[0]
    assert re.fullmatch(r"/library/\d+", resource_path), location
    download = insider_on_b.get(f"{nodes.b}{resource_path}/download")
    assert download.status_code == 200 and download.content == data
    # The text is read by the worker (its own machine, its own folder) from the shared store.
    for node in (nodes.a, nodes.b):
        assert _eventually(partial(_finds, insider_on_b, node, word, "Co-location handbook"), EXTRACTION_WITHIN)


def test_a_closed_clusters_content_stays_invisible_to_outsiders_on_every_node(nodes):
    insider_on_a = _signed_in(nodes.a, nodes.people["insider"])
    marker = _letters()
    title = f"Confidential budget {marker}"
    thread_url = _start_thread(insider_on_a, nodes.a, nodes.closed_slug, title,
                               f"Our zanzibar{marker} negotiations with the county board.")
    thread_path = thread_url.replace(nodes.a, "")
    assert _eventually(lambda: _finds(insider_on_a, nodes.b, f"budget {marker}", title), SEARCH_WITHIN)
    # The insider is offered the correction; nobody else is.
    assert f"zanzibar{marker}" in _text_of(insider_on_a.get(f"{nodes.b}/search", params={"q": f"zanzibat{marker}"}))
    visitor = requests.Session()
    for node in (nodes.a, nodes.b):
        outsider = _signed_in(node, nodes.people["outsider"])
        for person in (outsider, visitor):
            page = _text_of(person.get(f"{node}/search", params={"q": f"budget {marker}"}))
            assert title not in page and f"zanzibar{marker}" not in page
            suggestion = _text_of(person.get(f"{node}/search", params={"q": f"zanzibat{marker}"}))
            assert f"zanzibar{marker}" not in suggestion
            assert person.get(f"{node}{thread_path}").status_code == 404


def test_signing_out_everywhere_on_one_node_ends_the_session_on_the_other(nodes):
    on_a = _signed_in(nodes.a, nodes.people["outsider"])
    copied = requests.Session()
    copied.cookies.update(on_a.cookies)
    assert copied.get(f"{nodes.b}/account/profile", allow_redirects=False).status_code == 200
    token = _csrf(on_a.get(f"{nodes.a}/account/profile").text)
    assert on_a.post(f"{nodes.a}/account/sign-out-everywhere", data={"csrf_token": token},
                     allow_redirects=False).status_code == 302
    assert copied.get(f"{nodes.b}/account/profile", allow_redirects=False).status_code == 302


def test_signing_out_on_one_node_ends_that_session_on_the_other(nodes):
    on_a = _signed_in(nodes.a, nodes.people["insider"])
    copied = requests.Session()
    copied.cookies.update(on_a.cookies)
    assert copied.get(f"{nodes.b}/account/profile", allow_redirects=False).status_code == 200
    token = _csrf(on_a.get(f"{nodes.a}/account/profile").text)
    assert on_a.post(f"{nodes.a}/sign-out", data={"csrf_token": token}, allow_redirects=False).status_code == 302
    assert copied.get(f"{nodes.b}/account/profile", allow_redirects=False).status_code == 302
