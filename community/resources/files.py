"""Uploaded files: checked from their bytes, stored under a generated name, removed on rollback.

Files are named by a random token; the uploader's file name is kept only as data. They are kept
by one of two stores (`stores.py`: the local folder or the database, chosen by FILE_STORE); the
stores' names are importable from here too.
"""
import hashlib
import os
import secrets
import zipfile
from dataclasses import dataclass
from pathlib import Path

from flask import current_app

from ..errors import DomainError
from .stores import (CHUNK_SIZE, STORES, ChunkReader, DatabaseStore, LocalStore,  # noqa: F401
                     discard_new_files, init_cli, migrate, path_of, store, store_name, upload_dir)

PDF = "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PPTX = "application/vnd.openxmlformats-officedocument.presentationml.presentation"
TEXT = "text/plain"
MARKDOWN = "text/markdown"

#: Extension -> (content type, name people know it by).
ACCEPTED = {
    ".pdf": (PDF, "a PDF"),
    ".docx": (DOCX, "a Word document"),
    ".xlsx": (XLSX, "an Excel workbook"),
    ".pptx": (PPTX, "a PowerPoint presentation"),
    ".txt": (TEXT, "a text file"),
    ".md": (MARKDOWN, "a Markdown file"),
}
#: The part every genuine Office file of each kind contains.
OFFICE_MAIN_PART = {DOCX: "word/document.xml", XLSX: "xl/workbook.xml", PPTX: "ppt/presentation.xml"}
ACCEPT_ATTRIBUTE = ",".join(ACCEPTED)
#: Bytes read, written and kept per database row at a time.
_CHUNK = CHUNK_SIZE


class BadFile(DomainError):
    """The upload cannot be accepted; the message is shown on the form's file field."""

    def __init__(self, message, field="file"):
        super().__init__(message, field)


@dataclass
class StoredFile:
    stored_name: str
    original_name: str
    content_type: str
    size: int
    sha256: str


def clean_name(filename):
    """The uploader's file name reduced to something safe to show and to offer for download."""
    name = os.path.basename((filename or "").replace("\\", "/")).strip()
    name = "".join(ch for ch in name if ch.isprintable() and ch not in '"<>|:*?')
    return name[-200:] or "file"


def store_upload(file_storage):
    """Check an uploaded file and keep it; return a StoredFile or raise BadFile.

    The file is written under a temporary name first and kept only once it passes; keeping it is
    undone if the database transaction rolls back.
    """
    original = clean_name(getattr(file_storage, "filename", ""))
    extension = Path(original).suffix.lower()
    if extension not in ACCEPTED:
        raise BadFile("Choose a PDF, Word (.docx), Excel (.xlsx), PowerPoint (.pptx), "
                      "text (.txt) or Markdown (.md) file.")
    keeper = store()
    token = secrets.token_hex(16)
    partial = keeper.partial_path(token)
    digest, size = hashlib.sha256(), 0
    try:
        with open(partial, "wb") as out:
            while chunk := file_storage.stream.read(_CHUNK):
                size += len(chunk)
                if size > current_app.config["MAX_CONTENT_LENGTH"]:
                    raise BadFile("The file is larger than this site accepts.")
                digest.update(chunk)
                out.write(chunk)
        if size == 0:
            raise BadFile("The file is empty. Choose the file again.")
        content_type = sniff(partial, extension)
        stored_name = f"{token}{extension}"
        keeper.keep(stored_name, partial)
    finally:
        partial.unlink(missing_ok=True)
    return StoredFile(stored_name, original, content_type, size, digest.hexdigest())


def sniff(path, extension):
    """The content type the bytes show, which must be what the extension promises."""
    expected, expected_name = ACCEPTED[extension]
    with open(path, "rb") as handle:
        head = handle.read(8192)
    actual = _kind_of(path, head)
    if actual is None:
        if expected in (TEXT, MARKDOWN):
            raise BadFile(f"This file does not contain readable text, so it is not {expected_name}.")
        raise BadFile(f"This file is not {expected_name}: its contents do not match its name. "
                      "It may be damaged, or saved in another format.")
    if actual in (TEXT, MARKDOWN) and expected in (TEXT, MARKDOWN):
        return expected
    if actual != expected:
        actual_name = next(name for ctype, name in ACCEPTED.values() if ctype == actual)
        raise BadFile(f"This file is {actual_name} but its name ends in {extension}. "
                      "Rename it to the right extension, or choose the right file.")
    if actual in OFFICE_MAIN_PART:
        check_zip(path)
    return actual


def _kind_of(path, head):
    if b"%PDF-" in head[:1024]:
        return PDF
    if head.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(path) as archive:
                names = set(archive.namelist())
        except (zipfile.BadZipFile, OSError, ValueError):
            return None
        for ctype, part in OFFICE_MAIN_PART.items():
            if part in names and "[Content_Types].xml" in names:
                return ctype
        return None
    if b"\x00" in head:
        return None
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as error:
        if error.start < len(head) - 4:  # not just a character cut at the end of the sample
            return None
    return TEXT


def check_zip(path, app=None):
    """Refuse Office files whose declared contents are too many or too large (zip bombs)."""
    config = (app or current_app).config
    max_entries = config["UPLOAD_ZIP_MAX_ENTRIES"]
    max_total = config["UPLOAD_ZIP_MAX_BYTES"]
    max_ratio = config["UPLOAD_ZIP_MAX_RATIO"]
    try:
        with zipfile.ZipFile(path) as archive:
            entries = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as error:
        raise BadFile("This Office file is damaged and cannot be opened.") from error
    total = sum(entry.file_size for entry in entries)
    suspicious = any(entry.file_size > 1024 * 1024
                     and entry.file_size > max_ratio * max(entry.compress_size, 1) for entry in entries)
    if len(entries) > max_entries or total > max_total or suspicious:
        raise BadFile("This Office file unpacks to far more data than a document holds, "
                      "so it was refused. Save it again from Word, Excel or PowerPoint.")
