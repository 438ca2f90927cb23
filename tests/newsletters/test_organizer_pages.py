"""The organizers' newsletter pages are one blueprint behind one guard: every route, every verb."""
import re

import pytest
from sqlalchemy import text

from community.extensions import db
from newsletters import services


def _row_counts():
    tables = [t.name for t in db.metadata.sorted_tables]
    row = db.session.execute(text("SELECT " + ", ".join(
        f'(SELECT count(*) FROM "{name}")' for name in tables))).one()
    db.session.rollback()
    return dict(zip(tables, row, strict=True))


def _organizer_routes(app, issue, block):
    values = {"issue_id": issue.id, "block_id": block.id, "kind": "story"}
    for rule in app.url_map.iter_rules():
        if rule.endpoint.split(".")[0] == "newsletters_manage":
            path = re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(values[m.group(1)]), rule.rule)
            for method in sorted(rule.methods & {"GET", "POST"}):
                yield method, path


@pytest.mark.parametrize("who", ["anonymous", "member"])
def test_no_organizer_route_answers_or_writes_for_visitors_and_members(
        app, client, sign_in, make_user, organizer, compose_issue, who):
    issue = compose_issue(organizer)
    block = issue.blocks[0]
    if who == "member":
        sign_in(make_user())
    before = _row_counts()
    routes = list(_organizer_routes(app, issue, block))
    assert len(routes) >= 15 and ("POST", f"/newsletters/manage/{issue.id}/blocks/{block.id}/move") in routes
    for method, path in routes:
        response = client.open(path, method=method, data={"direction": "up", "subject": "Taken over"})
        if who == "anonymous":
            assert response.status_code == 302 and "/sign-in" in response.location, (method, path)
        else:
            assert response.status_code == 404, (method, path)
    assert _row_counts() == before


def test_unscheduling_twice_says_it_is_not_scheduled_instead_of_failing(client, sign_in, organizer,
                                                                          compose_issue):
    from datetime import timedelta

    from community.timeutil import utcnow

    issue = compose_issue(organizer)
    services.schedule_issue(organizer, issue, utcnow() + timedelta(days=2))
    db.session.commit()
    sign_in(organizer)
    assert client.post(f"/newsletters/manage/{issue.id}/unschedule").status_code == 302
    again = client.post(f"/newsletters/manage/{issue.id}/unschedule", follow_redirects=True)
    assert again.status_code == 200
    assert "This issue is not scheduled" in again.get_data(as_text=True)


def test_moving_and_removing_blocks_still_work_for_organizers(client, sign_in, organizer, compose_issue):
    issue = compose_issue(organizer)
    first, second = issue.blocks
    sign_in(organizer)
    response = client.post(f"/newsletters/manage/{issue.id}/blocks/{second.id}/move",
                           data={"direction": "up"})
    assert response.status_code == 302
    db.session.refresh(issue)
    assert [b.id for b in issue.blocks] == [second.id, first.id]
    client.post(f"/newsletters/manage/{issue.id}/blocks/{first.id}/remove")
    db.session.refresh(issue)
    assert [b.id for b in issue.blocks] == [second.id]
