"""Where uploaded files are kept: the local folder or database chunks, behind one interface.

Uploads, downloads, versions, extraction and the guards behave the same on both stores; files
move between them with `flask files migrate`.
"""
import io

import pytest
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage

from community import jobs
from community.extensions import db
from community.permissions import access_filter
from community.resources import files, services
from community.resources.models import FileChunk, Resource, ResourceVersion
from community.search import backend as site_search


@pytest.fixture(params=["local", "database"])
def file_store(request):
    return request.param


@pytest.fixture
def app(app_factory, file_store):
    application = app_factory(FILE_STORE=file_store, EXTRACTION_ISOLATED=False)
    with application.app_context():
        yield application


@pytest.fixture
def owner(app, make_user):
    site_search.rebuild()
    return make_user(name="Maria Lopez")


def _big_text(chunks=2.5):
    """A text file spanning several chunks, with a findable phrase in its first part."""
    line = b"Joint case reviews of sanctioned families, county by county.\n"
    body = b"Zanzibar protocol for mutual families.\n" + line * int(files.CHUNK_SIZE * chunks / len(line))
    return body


def _share(owner, data, name="protocol.txt", title="Kern joint review protocol"):
    stored = files.store_upload(FileStorage(io.BytesIO(data), filename=name))
    details = services.ResourceDetails(title=title, doc_type="protocol", visibility="public")
    resource = services.share_resource(owner, details, stored)
    db.session.commit()
    jobs.run_ready()
    return resource


def _chunk_rows():
    return db.session.scalar(select(func.count()).select_from(FileChunk))


def test_a_file_larger_than_a_chunk_downloads_byte_for_byte_and_its_text_is_searchable(client, owner, file_store):
    data = _big_text()
    resource = _share(owner, data)
    expected_rows = -(-len(data) // files.CHUNK_SIZE) if file_store == "database" else 0
    assert _chunk_rows() == expected_rows
    assert (list(files.upload_dir().iterdir()) != []) == (file_store == "local")
    response = client.get(f"/library/{resource.id}/download")
    assert response.status_code == 200 and response.data == data
    assert int(response.headers["Content-Length"]) == len(data)
    assert response.headers["Content-Type"].startswith("text/plain")
    assert site_search.search(access_filter(None), "zanzibar").total == 1


def test_a_range_request_gets_the_bytes_asked_for_across_a_chunk_boundary(client, owner):
    data = _big_text()
    resource = _share(owner, data)
    start, end = files.CHUNK_SIZE - 10, files.CHUNK_SIZE + 9
    response = client.get(f"/library/{resource.id}/download", headers={"Range": f"bytes={start}-{end}"})
    assert response.status_code == 206
    assert response.data == data[start:end + 1]
    assert response.headers["Content-Range"] == f"bytes {start}-{end}/{len(data)}"


def test_a_download_with_the_current_etag_answers_not_modified(client, owner, pdf_bytes):
    resource = _share(owner, pdf_bytes, "mou.pdf")
    first = client.get(f"/library/{resource.id}/download")
    again = client.get(f"/library/{resource.id}/download", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""


def test_an_upload_in_a_transaction_that_rolls_back_keeps_nothing(app, owner, pdf_bytes):
    stored = files.store_upload(FileStorage(io.BytesIO(pdf_bytes), filename="draft.pdf"))
    services.share_resource(owner, services.ResourceDetails(title="Draft", doc_type="mou"), stored)
    assert files.store().exists(stored.stored_name)
    db.session.rollback()
    assert not files.store().exists(stored.stored_name)
    assert _chunk_rows() == 0 and list(files.upload_dir().iterdir()) == []


def test_an_oversized_upload_is_refused_on_every_store(app, owner):
    app.config["MAX_CONTENT_LENGTH"] = files.CHUNK_SIZE
    with pytest.raises(files.BadFile, match="larger than this site accepts"):
        files.store_upload(FileStorage(io.BytesIO(_big_text(1.5)), filename="big.txt"))
    assert _chunk_rows() == 0 and list(files.upload_dir().iterdir()) == []


def test_versions_of_a_resource_each_download_their_own_file(client, owner, sign_in, pdf_bytes):
    from community.resources.demo import make_pdf

    resource = _share(owner, pdf_bytes, "mou.pdf")
    sign_in(owner)
    revised = make_pdf("Kern protocol revised", ["Adds the co-location addendum."])
    response = client.post(f"/library/{resource.id}/versions", data={
        "file": (io.BytesIO(revised), "mou-2024.pdf"), "note": "Revised"}, content_type="multipart/form-data")
    assert response.status_code == 302
    assert client.get(f"/library/{resource.id}/download/1").data == pdf_bytes
    assert client.get(f"/library/{resource.id}/download/2").data == revised
    assert site_search.search(access_filter(None), "addendum").total == 1


def test_a_deleted_resource_keeps_its_file_but_no_one_downloads_it(client, owner, pdf_bytes):
    resource = _share(owner, pdf_bytes, "mou.pdf")
    name = resource.current_version.stored_name
    services.delete_resource(resource, owner)
    db.session.commit()
    assert client.get(f"/library/{resource.id}/download").status_code == 404
    assert files.store().exists(name)


def test_files_migrate_to_the_database_and_back_keeps_every_byte(app, client, owner, runner, pdf_bytes, file_store):
    if file_store != "local":
        pytest.skip("starts from the local folder")
    data = _big_text()
    text_resource, pdf_resource = _share(owner, data), _share(owner, pdf_bytes, "mou.pdf", "Kern MOU")
    result = runner.invoke(args=["files", "migrate", "--to", "database"])
    assert result.exit_code == 0, result.output
    assert "2 moved" in result.output and "FILE_STORE=database" in result.output
    assert list(files.upload_dir().iterdir()) == []
    app.config["FILE_STORE"] = "database"
    assert client.get(f"/library/{text_resource.id}/download").data == data
    assert client.get(f"/library/{pdf_resource.id}/download").data == pdf_bytes
    again = runner.invoke(args=["files", "migrate", "--to", "database"])
    assert "0 moved, 2 already there" in again.output
    back = runner.invoke(args=["files", "migrate", "--to", "local"])
    assert back.exit_code == 0 and "2 moved" in back.output, back.output
    assert _chunk_rows() == 0
    app.config["FILE_STORE"] = "local"
    assert client.get(f"/library/{text_resource.id}/download").data == data


def test_the_database_store_serves_files_still_in_the_local_folder_until_they_are_moved(app, client, owner, pdf_bytes, file_store):
    if file_store != "local":
        pytest.skip("starts from the local folder")
    resource = _share(owner, pdf_bytes, "mou.pdf")
    app.config["FILE_STORE"] = "database"
    assert client.get(f"/library/{resource.id}/download").data == pdf_bytes


def test_a_file_whose_bytes_changed_is_not_migrated(app, owner, runner, pdf_bytes, file_store):
    if file_store != "local":
        pytest.skip("starts from the local folder")
    resource = _share(owner, pdf_bytes, "mou.pdf")
    files.path_of(resource.current_version.stored_name).write_bytes(b"%PDF-1.4 tampered")
    result = runner.invoke(args=["files", "migrate", "--to", "database"])
    assert "1 damaged" in result.output and _chunk_rows() == 0
    assert files.path_of(resource.current_version.stored_name).exists()


def test_stored_names_never_reach_outside_the_store(app):
    for hostile in ("../secret_key", "/etc/passwd", ".hidden", ""):
        with pytest.raises(ValueError):
            files.store().exists(hostile)
    assert db.session.scalar(select(func.count()).select_from(ResourceVersion)) == 0


def test_a_viewer_reading_in_ranges_and_a_cache_revalidating_count_one_download(client, owner,
                                                                                pdf_bytes):
    resource = _share(owner, pdf_bytes, "mou.pdf")
    first = client.get(f"/library/{resource.id}/download?preview=1", headers={"Range": "bytes=0-99"})
    assert first.status_code == 206
    for start in (100, 200, 300):
        assert client.get(f"/library/{resource.id}/download?preview=1",
                          headers={"Range": f"bytes={start}-{start + 99}"}).status_code == 206
    for _ in range(3):
        assert client.get(f"/library/{resource.id}/download",
                          headers={"If-None-Match": first.headers["ETag"]}).status_code == 304
    db.session.expire_all()
    assert db.session.get(Resource, resource.id).download_count == 1
    assert client.get(f"/library/{resource.id}/download").status_code == 200
    db.session.expire_all()
    assert db.session.get(Resource, resource.id).download_count == 2
