"""Uploads are checked from their bytes; text extraction is bounded and survives hostile files."""
import io
import zipfile

import pytest
from werkzeug.datastructures import FileStorage

from community.resources import extraction, files



def _xlsx():
    import openpyxl

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Mutual cases"
    sheet.append(["Month", "Mutual families identified", "Joint case reviews"])
    sheet.append(["January", 42, 7])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _pptx():
    from pptx import Presentation

    deck = Presentation()
    slide = deck.slides.add_slide(deck.slide_layouts[1])
    slide.shapes.title.text = "Linkages overview for the Board of Supervisors"
    slide.placeholders[1].text = "Effective, efficient, essential"
    buffer = io.BytesIO()
    deck.save(buffer)
    return buffer.getvalue()


def _encrypted_pdf(pdf_bytes):
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf_bytes)))
    writer.encrypt(user_password="county-secret", algorithm="AES-256")
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def _office_zip(main_part, extra=()):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr(main_part, "<document/>")
        for name, data in extra:
            archive.writestr(name, data)
    return buffer.getvalue()


def _store(data, name):
    return files.store_upload(FileStorage(io.BytesIO(data), filename=name))


def _nothing_kept():
    """No file in the upload folder and no chunk in the database: a refused upload left nothing."""
    from sqlalchemy import func, select

    from community.extensions import db
    from community.resources.models import FileChunk

    return (list(files.upload_dir().iterdir()) == []
            and db.session.scalar(select(func.count()).select_from(FileChunk)) == 0)


def _extract(tmp_path, data, name, content_type, **limits):
    path = tmp_path / name
    path.write_bytes(data)
    return extraction.extract(path, content_type, extraction.Limits(**limits))


def test_pdf_docx_xlsx_pptx_and_text_files_give_their_text(tmp_path, pdf_bytes, docx_bytes):
    assert "release of information" in _extract(tmp_path, pdf_bytes, "a.pdf", files.PDF).text
    assert "Emergency Response timelines" in _extract(tmp_path, docx_bytes, "a.docx", files.DOCX).text
    sheet = _extract(tmp_path, _xlsx(), "a.xlsx", files.XLSX)
    assert "Mutual families identified" in sheet.text and sheet.pages == 1
    deck = _extract(tmp_path, _pptx(), "a.pptx", files.PPTX)
    assert "Board of Supervisors" in deck.text and deck.state == "searchable"
    assert _extract(tmp_path, "Co-location notes\n".encode(), "a.md", files.MARKDOWN).text == "Co-location notes"


def test_extraction_stops_at_the_page_and_character_limits(tmp_path):
    from community.resources.demo import make_pdf

    long_pdf = make_pdf("Long report", [f"Paragraph {n} about reunification timelines." for n in range(40)])
    by_pages = _extract(tmp_path, long_pdf, "p.pdf", files.PDF, pages=2)
    assert "Paragraph 7" in by_pages.text and "Paragraph 8" not in by_pages.text
    assert "first 2 of 10 pages" in by_pages.note
    by_chars = _extract(tmp_path, long_pdf, "c.pdf", files.PDF, chars=100)
    assert len(by_chars.text) <= 100 and "first 100 characters" in by_chars.note


def test_an_encrypted_pdf_is_stored_but_marked_without_text(app, tmp_path, pdf_bytes):
    locked = _encrypted_pdf(pdf_bytes)
    stored = _store(locked, "locked.pdf")  # accepted: it is a genuine PDF
    result = _extract(tmp_path, locked, "locked.pdf", files.PDF)
    assert result.state == "no_text" and "password" in result.note
    assert files.store().exists(stored.stored_name)


def test_a_truncated_pdf_is_marked_damaged_without_raising(tmp_path, pdf_bytes):
    result = _extract(tmp_path, pdf_bytes[: len(pdf_bytes) // 3], "cut.pdf", files.PDF)
    assert result.state == "no_text"
    assert "damaged" in result.note or "No text" in result.note


def test_a_zip_bomb_docx_is_refused_at_upload_and_leaves_nothing_on_disk(app):
    bomb = _office_zip("word/document.xml", [("word/media/filler.bin", b"\0" * 20_000_000)])
    with pytest.raises(files.BadFile, match="unpacks to far more data"):
        _store(bomb, "bomb.docx")
    assert _nothing_kept()


def test_too_many_zip_entries_are_refused(app):
    app.config["UPLOAD_ZIP_MAX_ENTRIES"] = 50
    crowded = _office_zip("word/document.xml", [(f"word/part{n}.xml", "<a/>") for n in range(60)])
    with pytest.raises(files.BadFile):
        _store(crowded, "crowded.docx")


def test_an_xml_entity_bomb_inside_a_docx_is_never_expanded(tmp_path, docx_bytes):
    laughs = ('<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
              '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]><w:document>&lol2;</w:document>')
    buffer = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(docx_bytes)) as source, zipfile.ZipFile(buffer, "w") as target:
        for item in source.infolist():
            data = laughs.encode() if item.filename == "word/document.xml" else source.read(item)
            target.writestr(item, data)
    result = _extract(tmp_path, buffer.getvalue(), "laughs.docx", files.DOCX)
    assert result.state == "no_text" and "not allowed" in result.note


@pytest.mark.parametrize("name, make, message", [
    ("policy.docx", "pdf", "is a PDF but its name ends in .docx"),
    ("policy.pdf", "docx", "is a Word document but its name ends in .pdf"),
    ("notes.txt", "binary", "does not contain readable text"),
    ("empty.pdf", "empty", "The file is empty"),
    ("script.exe", "pdf", "Choose a PDF, Word"),
    ("fake.xlsx", "zip", "contents do not match its name"),
])
def test_files_whose_bytes_do_not_match_their_name_are_refused(app, pdf_bytes, docx_bytes, name, make, message):
    data = {"pdf": pdf_bytes, "docx": docx_bytes, "binary": b"\x00\x01\x02binary",
            "empty": b"", "zip": _office_zip("other/thing.xml")}[make]
    with pytest.raises(files.BadFile, match=message):
        _store(data, name)
    assert _nothing_kept()


def test_stored_names_are_generated_and_the_original_name_is_only_data(app, pdf_bytes):
    stored = _store(pdf_bytes, "../../etc/passwd .pdf")
    assert "/" not in stored.stored_name and stored.stored_name.endswith(".pdf")
    assert stored.original_name == "passwd .pdf"
    assert files.path_of(stored.stored_name).parent == files.upload_dir()
    with pytest.raises(ValueError):
        files.path_of("../secret_key")


def test_isolated_extraction_kills_a_reader_that_runs_too_long(tmp_path, monkeypatch, pdf_bytes):
    path = tmp_path / "slow.pdf"
    path.write_bytes(pdf_bytes)

    def hang(path, limits):
        while True:
            pass

    monkeypatch.setitem(extraction._READERS, files.PDF, hang)
    result = extraction.extract_isolated(path, files.PDF, extraction.Limits(seconds=0.2))
    assert result.state == "no_text" and "too long" in result.note


def test_isolated_extraction_bounds_memory(tmp_path, monkeypatch, pdf_bytes):
    path = tmp_path / "greedy.pdf"
    path.write_bytes(pdf_bytes)

    def greedy(path, limits):
        hoard = bytearray(1024 * 1024 * 1024)  # 1 GB, over the 64 MB budget
        return extraction.Extraction("searchable", str(len(hoard)))

    monkeypatch.setitem(extraction._READERS, files.PDF, greedy)
    result = extraction.extract_isolated(path, files.PDF, extraction.Limits(memory_mb=64))
    assert result.state == "no_text" and "memory" in result.note


def test_isolated_extraction_returns_the_text_of_a_good_file(tmp_path, pdf_bytes):
    path = tmp_path / "good.pdf"
    path.write_bytes(pdf_bytes)
    result = extraction.extract_isolated(path, files.PDF, extraction.Limits())
    assert result.state == "searchable" and "release of information" in result.text
