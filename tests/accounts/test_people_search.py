"""People are findable by name in the site search — by signed-in members only."""
from community import jobs
from community.accounts import services
from community.extensions import db
from community.search import backend as search


def _found(client, words):
    page = client.get("/search", query_string={"q": words}).get_data(as_text=True)
    return page


def test_members_find_people_by_name_title_and_county(app, client, make_user, sign_in):
    rosa = make_user(name="Rosa Quintanilla", county="Fresno", title="Linkages coordinator")
    viewer = make_user(name="Viewer Person")
    search.rebuild()

    anonymous = _found(client, "Quintanilla")
    assert f"/people/{rosa.handle}" not in anonymous  # the public never sees who works where

    sign_in(viewer)
    page = _found(client, "Quintanilla")
    assert f"/people/{rosa.handle}" in page and "People · Fresno" in page
    assert f"/people/{rosa.handle}" in _found(client, "coordinator Fresno")

    services.update_profile(rosa, "Rosa Quintanilla", "Welfare-to-Work supervisor", "calworks", "")
    db.session.commit()
    jobs.run_ready()  # what the request's teardown does after a service commits
    page = _found(client, "supervisor")
    assert f"/people/{rosa.handle}" in page

    admin = make_user(role="admin")
    services.deactivate(admin, rosa)
    db.session.commit()
    jobs.run_ready()  # what the request's teardown does after a service commits
    assert f"/people/{rosa.handle}" not in _found(client, "Quintanilla")
