"""Download counts under real concurrency: gunicorn with several workers, on PostgreSQL and SQLite."""

from community.extensions import db
from community.resources import services
from community.resources.models import Resource
from tests.support.server import serve


DOWNLOADS, WORKERS = 24, 4



def test_simultaneous_downloads_are_each_counted(app, make_user, tmp_path):
    owner = make_user(name="Maria Lopez")
    resource = services.share_resource(owner, services.ResourceDetails(
        title="Linkages family stories", doc_type="video", visibility="public",
        link_url="https://www.cfpic.org/linkages/videos"))
    db.session.commit()

    with serve(app, tmp_path, workers=WORKERS) as server:
        replies = server.at_once([("GET", f"/library/{resource.id}/download", "", None)] * DOWNLOADS)

    # A link resource's download is the page that says where the link leads (no silent redirect).
    assert [reply.status for reply in replies] == [200] * DOWNLOADS
    db.session.expire_all()
    assert db.session.get(Resource, resource.id).download_count == DOWNLOADS
