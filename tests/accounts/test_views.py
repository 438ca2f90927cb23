"""Account pages through the test client: sign-in, requests, resets, profiles, admin."""
from sqlalchemy import select

from community import audit
from community.accounts.models import County, User
from community.extensions import db
from tests.conftest import text_of


def test_sign_in_with_the_right_password_and_out_again(client, make_user):
    user = make_user()
    response = client.post("/sign-in", data={"email": user.email.upper(), "password": "correct horse battery"})
    assert response.status_code == 302
    assert client.get("/").get_data(as_text=True).count(user.name) >= 1
    client.post("/sign-out")
    assert "Request an account" in client.get("/").get_data(as_text=True)


def test_wrong_password_gets_one_generic_message_and_keeps_the_email(client, make_user):
    user = make_user()
    page = client.post("/sign-in", data={"email": user.email, "password": "wrong"}).get_data(as_text=True)
    assert "do not match an active account" in page
    assert f'value="{user.email}"' in page
    unknown = client.post("/sign-in", data={"email": "nobody@x.org", "password": "wrong"}).get_data(as_text=True)
    assert "do not match an active account" in unknown


def test_account_request_form_keeps_what_was_typed_on_error(client):
    page = client.post("/request-account", data={"name": "Jordan Ellis", "email": "not-an-email",
                                                 "county_id": "0", "program": "calworks",
                                                 "title": "Employment Specialist"}).get_data(as_text=True)
    assert "Enter an e-mail address like" in page
    assert 'value="Jordan Ellis"' in page and 'value="Employment Specialist"' in page
    assert db.session.query(User).count() == 0


def test_account_request_then_admin_approval_then_password(client, make_user, sign_in, outbox):
    admin = make_user(role="admin")
    user = _requested(client)
    sign_in(admin)
    assert "Jordan Ellis" in client.get("/admin/people?status=pending").get_data(as_text=True)
    client.post(f"/admin/people/{user.id}/approve")
    client.post("/sign-out")
    link = next(w for w in text_of(outbox.to(user.email)[-1]).split() if "/welcome/" in w)
    path = link.split("community.test", 1)[1]
    assert "Choose a password" in client.get(path).get_data(as_text=True)
    response = client.post(path, data={"password": "a long enough password", "confirm": "a long enough password"})
    assert response.status_code == 302
    assert client.get(path).status_code == 410  # single use


def test_password_reset_round_trip(client, make_user, outbox):
    user = make_user()
    page = client.post("/password/forgot", data={"email": user.email}).get_data(as_text=True)
    assert "Check your e-mail" in page
    link = next(w for w in text_of(outbox.to(user.email)[-1]).split() if "/password/reset/" in w)
    path = link.split("community.test", 1)[1]
    mismatch = client.post(path, data={"password": "new password one", "confirm": "new password two"})
    assert "do not match" in mismatch.get_data(as_text=True)
    client.post(path, data={"password": "new password one", "confirm": "new password one"})
    client.post("/sign-out")
    assert client.post("/sign-in", data={"email": user.email, "password": "new password one"}).status_code == 302


def test_forgot_password_answers_the_same_for_unknown_addresses(client):
    page = client.post("/password/forgot", data={"email": "nobody@example.org"}).get_data(as_text=True)
    assert "Check your e-mail" in page


def test_profile_is_for_members_only(client, make_user, sign_in):
    user = make_user(name="Maria Lopez", title="Linkages Coordinator")
    assert client.get(f"/people/{user.handle}").status_code == 302  # to sign-in
    sign_in(make_user())
    page = client.get(f"/people/{user.handle}").get_data(as_text=True)
    assert "Maria Lopez" in page and "Linkages Coordinator" in page and "Stanislaus County" in page


def test_edit_own_profile_but_not_ones_county(client, make_user, sign_in):
    """The county decides which county's surveys and assistance requests a person reaches: a
    member posting another county with their profile changes everything else, not that."""
    user = make_user()
    county = user.county_id
    other = db.session.scalar(select(County.id).where(County.id != county).limit(1))
    sign_in(user)
    assert "administrator changes it" in client.get("/account/profile").get_data(as_text=True)
    response = client.post("/account/profile", data={"name": "New Name", "title": "Supervisor",
                                                      "county_id": str(other), "program": "calworks", "bio": "Hi"})
    assert response.status_code == 302
    db.session.refresh(user)
    assert (user.name, user.county_id, user.program) == ("New Name", county, "calworks")


def test_an_admin_moves_a_person_to_another_county_and_it_is_audited(client, make_user, sign_in):
    from community.audit import AuditEntry

    user, admin = make_user(), make_user(role="admin")
    other = db.session.scalar(select(County.id).where(County.id != user.county_id).limit(1))
    sign_in(admin)
    assert f"/admin/people/{user.id}/county" in client.get("/admin/people?status=active").get_data(as_text=True)
    response = client.post(f"/admin/people/{user.id}/county", data={"county_id": str(other)})
    assert response.status_code == 302
    db.session.refresh(user)
    assert user.county_id == other
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "account.county"))
    assert entry is not None and user.email in entry.summary


def test_members_cannot_reach_admin_pages(client, make_user, sign_in):
    sign_in(make_user())
    assert client.get("/admin/people").status_code == 403
    assert client.get("/admin/audit").status_code == 403


def test_admin_invites_someone(client, make_user, sign_in, outbox):
    sign_in(make_user(role="admin"))
    response = client.post("/admin/invite", data={"name": "Nia Park", "email": "nia@kern.example.gov",
                                                  "role": "organizer", "county_id": "0", "program": "cws"})
    assert response.status_code == 302
    invited = db.session.scalar(User.by_email("nia@kern.example.gov"))
    assert (invited.status, invited.role) == ("invited", "organizer")
    assert "/welcome/" in text_of(outbox.to("nia@kern.example.gov")[-1])


def test_change_password_signs_out_other_sessions(app, make_user):
    user = make_user()
    first, second = app.test_client(), app.test_client()
    for c in (first, second):
        c.post("/sign-in", data={"email": user.email, "password": "correct horse battery"})
    first.post("/account/password", data={"current_password": "correct horse battery",
                                          "password": "another good password", "confirm": "another good password"})
    assert first.get("/people").status_code == 200
    assert second.get("/people").status_code == 302


def test_people_directory_lists_active_members_by_county(client, make_user, sign_in):
    make_user(name="In Stanislaus", county="Stanislaus")
    make_user(name="In Fresno", county="Fresno")
    sign_in(make_user(county="Kern"))
    page = client.get("/people?county=fresno").get_data(as_text=True)
    assert "In Fresno" in page and "In Stanislaus" not in page


def test_people_directory_filters_by_program_role_and_name(client, make_user, sign_in):
    make_user(name="Rosa Delgado", program="calworks")
    make_user(name="Rosa Whitfield", program="cws", role="organizer")
    make_user(name="Tomas Reyes", program="calworks")
    make_user(name="Rosa Inactive", program="calworks").status = "deactivated"
    db.session.commit()
    sign_in(make_user(name="Viewer Person"))

    def names(query):
        page = client.get("/people" + query).get_data(as_text=True)
        return {n for n in ("Rosa Delgado", "Rosa Whitfield", "Tomas Reyes", "Rosa Inactive") if n in page}

    assert names("?program=calworks") == {"Rosa Delgado", "Tomas Reyes"}
    assert names("?role=organizer") == {"Rosa Whitfield"}
    assert names("?q=rosa") == {"Rosa Delgado", "Rosa Whitfield"}
    assert names("?q=ROSA+del&program=calworks") == {"Rosa Delgado"}
    # a wildcard typed into the name box is a character, not a pattern
    assert names("?q=%25") == set()
    # values nobody offers are ignored, not a 500
    assert client.get("/people?role=root&program=x&county=nowhere").status_code == 200
    page = client.get("/people?program=calworks").get_data(as_text=True)
    assert '<option value="calworks" selected>' in page and "2 people" in page


def test_healthz_checks_the_database(client):
    assert client.get("/healthz").get_json() == {"status": "ok", "database": "ok"}


def test_create_user_command_reads_the_password_from_stdin(runner):
    result = runner.invoke(args=["create-user", "new@county.example.gov", "--role", "organizer",
                                 "--password-stdin"], input="a long enough password\n")
    assert result.exit_code == 0, result.output
    user = db.session.scalar(User.by_email("new@county.example.gov"))
    assert user.role == "organizer" and user.check_password("a long enough password")


def test_seed_demo_loads_once(runner):
    assert "Demo data loaded" in runner.invoke(args=["seed-demo", "--if-empty"]).output
    count = db.session.query(User).count()
    assert "already loaded" in runner.invoke(args=["seed-demo", "--if-empty"]).output
    assert db.session.query(User).count() == count > 10


def test_people_page_query_count_does_not_grow_with_members(app, client, make_user, sign_in):
    from tests.support.queries import queries_for

    sign_in(make_user(county="Kern"))
    for _ in range(3):
        make_user()
    few = queries_for(client, app, "/people")
    for _ in range(25):
        make_user(county="Fresno")
    assert queries_for(client, app, "/people") == few


def test_admin_people_page_query_count_does_not_grow_with_requests(app, client, make_user, sign_in):
    from community.accounts import services
    from tests.support.queries import queries_for

    sign_in(make_user(role="admin"))
    services.request_account("First Asker", "first@example.org", None, "cws", "SW")
    db.session.commit()
    few = queries_for(client, app, "/admin/people?status=pending")
    for n in range(20):
        services.request_account(f"Asker {n}", f"asker{n}@example.org", None, "cws", "SW")
    db.session.commit()
    assert queries_for(client, app, "/admin/people?status=pending") == few


def test_sign_out_everywhere_ends_every_session(app, make_user):
    user = make_user()
    first, second = app.test_client(), app.test_client()
    for c in (first, second):
        c.post("/sign-in", data={"email": user.email, "password": "correct horse battery"})
    first.post("/account/sign-out-everywhere")
    assert first.get("/people").status_code == 302
    assert second.get("/people").status_code == 302


def test_a_reset_link_is_built_from_site_url_whatever_host_the_request_names(client, make_user, outbox):
    user = make_user()
    client.post("/password/forgot", data={"email": user.email}, headers={"Host": "evil.example"})
    client.post("/request-account", base_url="http://evil.example",
                data={"name": "Again", "email": user.email, "county_id": "0", "program": "cws",
                      "title": "SW"})
    messages = outbox.to(user.email)
    assert len(messages) == 2
    for message in messages:
        links = [w for w in text_of(message).split() if "://" in w]
        assert links and all(link.startswith("http://community.test/") for link in links)
        assert "evil.example" not in message.as_string()


def test_audit_log_reads_as_words_and_filters_by_area_action_and_person(client, make_user, sign_in):
    from community.accounts import services as accounts

    admin = make_user(role="admin", name="Alma Ortiz")
    other_admin = make_user(role="admin", name="Bea Lang")
    person = make_user(name="Cruz Diaz")
    accounts.change_role(admin, person, "organizer")
    accounts.deactivate(other_admin, person)
    audit.record(admin, "thread.redact_title", "thread", 1, summary="Title redacted")
    db.session.commit()
    sign_in(admin)

    def rows(query=""):  # the table only: the filter's options name every action too
        page = client.get("/admin/audit" + query).get_data(as_text=True)
        return page.split("<tbody>", 1)[1].split("</tbody>", 1)[0]

    page = rows()
    assert "Changed a site role" in page and "Deactivated an account" in page
    assert "Thread: redact title" not in page and "Redacted a thread title" in page
    assert "<code>account.role</code>" not in page

    by_actor = rows("?actor=bea")
    assert "Deactivated an account" in by_actor and "Changed a site role" not in by_actor
    by_area = rows("?area=thread")
    assert "Redacted a thread title" in by_area and "Deactivated an account" not in by_area
    by_action = rows("?action=account.role")
    assert "Changed a site role" in by_action and "Deactivated an account" not in by_action
    assert '<option value="account.role" selected>' in client.get("/admin/audit?action=account.role").get_data(as_text=True)
    assert "Nothing recorded matches" in rows("?actor=nobody+here")
    assert audit.action_label("thing.make_new") == "Thing: make new"


def test_the_home_lists_the_newest_members_and_counts_them_all_in_one_query(client, app, make_user, sign_in):
    from tests.support.queries import count_queries

    people = [make_user(name=f"Member {n}") for n in range(10)]
    db.session.commit()
    sign_in(people[0])
    with count_queries(app) as statements:
        page = client.get("/").get_data(as_text=True)
    assert "All 10 members" in page and "Member 9" in page and "Member 1<" not in page
    # One for the section (the signed-in person comes with their session: `UserSession.find_live`).
    assert len([s for s in statements if "FROM users" in s and "user_sessions" not in s]) == 1


def _requested(client):
    """Jordan Ellis asks for an account through the form; the waiting account."""
    client.post("/request-account", data={"name": "Jordan Ellis", "email": "jordan@placer.example.gov",
                                          "county_id": "0", "program": "calworks",
                                          "title": "Employment Specialist"})
    return db.session.scalar(User.by_email("jordan@placer.example.gov"))


def _link(outbox, user, part):
    link = next(w for w in text_of(outbox.to(user.email)[-1]).split() if part in w)
    return link.split("community.test", 1)[1]


def test_a_reset_link_stops_working_once_the_password_is_changed_another_way(client, make_user,
                                                                              sign_in, outbox):
    user = make_user()
    client.post("/password/forgot", data={"email": user.email})
    reset = _link(outbox, user, "/password/reset/")
    sign_in(user)
    assert client.post("/account/password", data={
        "current_password": "correct horse battery", "password": "a brand new passphrase",
        "confirm": "a brand new passphrase"}).status_code == 302
    client.post("/sign-out")
    assert client.get(reset).status_code == 410  # a forwarded or stolen e-mail no longer sets one
    client.post(reset, data={"password": "the attacker's choice", "confirm": "the attacker's choice"})
    assert client.post("/sign-in", data={"email": user.email, "password": "the attacker's choice"}
                       ).status_code != 302
    assert client.post("/sign-in", data={"email": user.email, "password": "a brand new passphrase"}
                       ).status_code == 302


def test_an_invitation_stops_working_once_a_reset_link_set_the_password(client, make_user, sign_in,
                                                                         outbox):
    admin = make_user(role="admin")
    user = _requested(client)
    sign_in(admin)
    client.post(f"/admin/people/{user.id}/approve")
    client.post("/sign-out")
    welcome = _link(outbox, user, "/welcome/")
    client.post("/password/forgot", data={"email": user.email})
    reset = _link(outbox, user, "/password/reset/")
    assert client.post(reset, data={"password": "the owner's passphrase",
                                    "confirm": "the owner's passphrase"}).status_code == 302
    client.post("/sign-out")
    assert client.get(welcome).status_code == 410


def test_deactivating_an_account_ends_its_outstanding_links(client, make_user, sign_in, outbox):
    admin, user = make_user(role="admin"), make_user()
    client.post("/password/forgot", data={"email": user.email})
    reset = _link(outbox, user, "/password/reset/")
    sign_in(admin)
    client.post(f"/admin/people/{user.id}/deactivate")
    client.post(f"/admin/people/{user.id}/reactivate")
    client.post("/sign-out")
    assert db.session.get(User, user.id).status == "active"
    assert client.get(reset).status_code == 410


def test_a_decline_reason_too_long_says_so_and_declines_nothing(client, make_user, sign_in):
    admin = make_user(role="admin")
    user = _requested(client)
    sign_in(admin)
    assert 'maxlength="1000"' in client.get("/admin/people?status=pending").get_data(as_text=True)
    page = client.post(f"/admin/people/{user.id}/decline", data={"reason": "Reapply. " * 120},
                       follow_redirects=True).get_data(as_text=True)
    assert "Keep the reason to 1,000 characters" in page
    assert db.session.get(User, user.id).status == "pending"
