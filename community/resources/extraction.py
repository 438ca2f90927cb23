"""Text extraction from uploaded files, bounded in pages, characters, time and memory.

`extract(path, content_type, limits)` reads text in this process with cooperative limits (pages,
characters, a deadline checked between pages). `extract_isolated` runs it in a forked child with
an address-space limit and a hard timeout, so a hostile file can neither hang nor exhaust the
worker. Nothing here raises on a bad file: the result says why no text could be read.
"""
import contextlib
import io
import logging
import multiprocessing
import resource as rlimit
import time
import zipfile
from dataclasses import dataclass

from defusedxml import ElementTree as SafeElementTree

from .files import DOCX, MARKDOWN, PDF, PPTX, TEXT, XLSX

log = logging.getLogger(__name__)


@dataclass
class Limits:
    pages: int = 300
    chars: int = 400_000
    #: Text read past `chars` for the confidentiality guard only (never stored or indexed).
    guard_chars: int = 10_000_000
    seconds: float = 20.0
    memory_mb: int = 512
    #: Largest XML part parsed (declared uncompressed size).
    xml_part_bytes: int = 40 * 1024 * 1024
    zip_total_bytes: int = 200 * 1024 * 1024


@dataclass
class Extraction:
    #: searchable or no_text.
    state: str
    text: str = ""
    #: Why there is no text, or what was left out.
    note: str = ""
    pages: int | None = None
    #: Whether `text` is all the text of the file: False when a limit cut it short, or when the
    #: file could not be read (protected, damaged, scanned images). The confidentiality guard
    #: holds such a file until a person confirms it (it could not look at all of it).
    complete: bool = True
    #: The text past the searchable part, read only for the confidentiality guard.
    rest: str = ""


class _Collector:
    """Gathers text until the character limit or the deadline."""

    def __init__(self, limits):
        self.limits = limits
        self.parts, self.rest, self.size = [], [], 0
        self.deadline = time.monotonic() + limits.seconds
        self.note = ""
        self.cut = False

    def add(self, text):
        """Add text; return False when no more should be read."""
        if not self.more():
            return False
        text = (text or "").strip()
        if text:
            room = max(0, self.limits.chars - self.size)
            if room:
                self.parts.append(text[:room])
            if len(text) > room:  # past the searchable part: read for the guard only
                self.rest.append(text[room:])
                self.note = self._searchable_part()
            self.size += len(text) + 1
        return self.more()

    def more(self):
        if self.size >= max(self.limits.guard_chars, self.limits.chars):
            self.stop_at_chars()
            return False
        if time.monotonic() > self.deadline:
            self.note = "Reading stopped at the time limit; the first part is searchable."
            self.cut = True
            return False
        return True

    def _searchable_part(self):
        return f"Only the first {self.limits.chars:,} characters are searchable."

    def stop_at_chars(self):
        """Reading stops here: the rest of the file is not read, not even for the guard."""
        self.note, self.cut = self._searchable_part(), True

    def stop_at_pages(self, limit, total):
        self.note = f"Only the first {limit} of {total} pages are searchable."
        self.cut = True

    def result(self, pages=None, empty_note="No text was found in the file.", empty_is_complete=True):
        text, rest = "\n".join(self.parts).strip(), "\n".join(self.rest)
        if not text:
            return Extraction("no_text", "", empty_note, pages, complete=empty_is_complete and not self.cut)
        return Extraction("searchable", text, self.note, pages, complete=not self.cut, rest=rest)


def extract(path, content_type, limits=None):
    """Read the text of a stored file; never raises for a bad file."""
    limits = limits or Limits()
    reader = _READERS.get(content_type)
    if reader is None:
        return Extraction("no_text", note="Files of this type are not read for search.", complete=False)
    try:
        return reader(path, limits)
    except MemoryError:
        return Extraction("no_text", note="The file needs more memory to read than allowed.", complete=False)
    except _Refused as refusal:
        return Extraction("no_text", note=str(refusal), complete=False)
    except Exception as error:  # damaged files raise anything from any library
        log.info("text extraction failed for a %s file: %r", content_type, error)
        return Extraction("no_text", note="The file is damaged or incomplete, so its text could not be read.",
                          complete=False)


class _Refused(Exception):
    """The file was not read, for the reason given."""


def _pdf(path, limits):
    from pypdf import PdfReader
    from pypdf.errors import FileNotDecryptedError

    reader = PdfReader(path, strict=False)
    if reader.is_encrypted:
        try:
            if not reader.decrypt(""):
                raise _Refused("The PDF is protected with a password, so its text could not be read.")
        except (FileNotDecryptedError, NotImplementedError) as error:
            raise _Refused("The PDF is protected with a password, so its text could not be read.") from error
    collected = _Collector(limits)
    total = len(reader.pages)
    for number, page in enumerate(reader.pages):
        if number >= limits.pages:
            collected.stop_at_pages(limits.pages, total)
            break
        if not collected.add(page.extract_text() or ""):
            break
    return collected.result(total, "No text was found: the PDF may be scanned images.", empty_is_complete=False)


def _check_office(path, limits):
    """Check declared sizes, then parse every XML part with defusedxml (no entities, no DTDs)."""
    with zipfile.ZipFile(path) as archive:
        entries = archive.infolist()
        if sum(e.file_size for e in entries) > limits.zip_total_bytes:
            raise _Refused("The file unpacks to more data than a document holds, so it was not read.")
        for entry in entries:
            if entry.filename.endswith((".xml", ".rels")):
                if entry.file_size > limits.xml_part_bytes:
                    raise _Refused("A part of the file is too large to read.")
                with archive.open(entry) as part:
                    data = part.read(limits.xml_part_bytes + 1)
                if len(data) > limits.xml_part_bytes:
                    raise _Refused("A part of the file is larger than it claims, so it was not read.")
                try:
                    SafeElementTree.fromstring(data, forbid_dtd=True)
                except SafeElementTree.ParseError as error:
                    raise _Refused("The file is damaged: one of its parts is not valid XML.") from error
                except Exception as error:  # defusedxml's DTDForbidden, EntitiesForbidden …
                    raise _Refused("The file contains XML constructs that are not allowed, so it was not read.") from error


def _docx(path, limits):
    import docx

    _check_office(path, limits)
    document = docx.Document(path)
    collected = _Collector(limits)
    # The body, then every section's headers and footers (a case number in a letterhead is as
    # much the file's text as one in a paragraph).
    parts = [document]
    for section in document.sections:
        parts += [part for part in (section.header, section.first_page_header, section.even_page_header,
                                    section.footer, section.first_page_footer, section.even_page_footer)
                  if not part.is_linked_to_previous]
    for part in parts:
        for paragraph in part.paragraphs:
            if not collected.add(paragraph.text):
                return collected.result()
        for table in part.tables:
            for row in table.rows:
                if not collected.add(" | ".join(cell.text for cell in row.cells)):
                    return collected.result()
    return collected.result()


def _xlsx(path, limits):
    import openpyxl

    _check_office(path, limits)
    workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    collected = _Collector(limits)
    try:
        sheets = workbook.worksheets
        if len(sheets) > limits.pages:
            collected.stop_at_pages(limits.pages, len(sheets))
        for sheet in sheets[: limits.pages]:
            collected.add(sheet.title)
            for row in sheet.iter_rows(values_only=True):
                values = [str(v) for v in row if v is not None]
                if values and not collected.add(" ".join(values)):
                    return collected.result(len(sheets))
        return collected.result(len(sheets))
    finally:
        workbook.close()


def _pptx(path, limits):
    from pptx import Presentation

    _check_office(path, limits)
    deck = Presentation(path)
    collected = _Collector(limits)
    slides = list(deck.slides)
    if len(slides) > limits.pages:
        collected.stop_at_pages(limits.pages, len(slides))
    for slide in slides[: limits.pages]:
        for shape in slide.shapes:
            if shape.has_text_frame and not collected.add(shape.text_frame.text):
                return collected.result(len(slides))
            if getattr(shape, "has_table", False) and shape.has_table:
                for row in shape.table.rows:
                    collected.add(" | ".join(cell.text for cell in row.cells))
    return collected.result(len(slides))


def _plain(path, limits):
    most = max(limits.guard_chars, limits.chars) * 4
    with open(path, "rb") as handle:
        data = handle.read(most)
        longer = bool(handle.read(1))
    collected = _Collector(limits)
    collected.add(io.TextIOWrapper(io.BytesIO(data), encoding="utf-8-sig", errors="replace").read())
    if longer:
        collected.stop_at_chars()
    return collected.result()


_READERS = {PDF: _pdf, DOCX: _docx, XLSX: _xlsx, PPTX: _pptx, TEXT: _plain, MARKDOWN: _plain}


def _child(path, content_type, limits, conn):
    try:
        budget = _current_address_space() + limits.memory_mb * 1024 * 1024
        rlimit.setrlimit(rlimit.RLIMIT_AS, (budget, budget))
        conn.send(extract(path, content_type, limits))
    except BaseException as error:  # report anything; the parent decides
        with contextlib.suppress(Exception):
            conn.send(Extraction("no_text", note=f"The file could not be read ({type(error).__name__}).",
                                 complete=False))
    finally:
        conn.close()


def _current_address_space():
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
    return 0


def extract_isolated(path, content_type, limits=None):
    """`extract` in a forked child with a memory ceiling, killed after the time limit."""
    limits = limits or Limits()
    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)
    child = context.Process(target=_child, args=(str(path), content_type, limits, sender), daemon=True)
    child.start()
    sender.close()
    try:
        # A little more than the cooperative deadline, for start-up and the last page.
        if receiver.poll(limits.seconds + 5):
            return receiver.recv()
        return Extraction("no_text", note="Reading the file took too long, so its text is not searchable.",
                          complete=False)
    except EOFError:
        return Extraction("no_text", note="Reading the file needed more memory than allowed.", complete=False)
    finally:
        receiver.close()
        if child.is_alive():
            child.kill()
        child.join(5)
