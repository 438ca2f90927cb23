"""The one CSV writer: every export goes through it, so no cell opens as a spreadsheet formula."""
import csv
import io

from flask import Response

#: Excel, LibreOffice and Google Sheets run a cell starting with one of these as a formula
#: (``=HYPERLINK(...)``, ``@SUM(...)``, ``+1``, a tab or carriage return before ``=``).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "|", "%")


def safe_cell(value):
    """The cell's text, with a leading apostrophe when a spreadsheet would run it as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_text(header, rows):
    """CSV text of a header row and data rows, every cell made safe by `safe_cell`."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([safe_cell(cell) for cell in header])
    for row in rows:
        writer.writerow([safe_cell(cell) for cell in row])
    return out.getvalue()


#: The UTF-8 byte order mark: Excel reads a CSV file as UTF-8 only when it starts with one.
BOM = "\ufeff"


def csv_response(filename, text, bom=False):
    """A download of CSV text made by `csv_text`; with `bom`, prefixed with the UTF-8 byte
    order mark so that Excel shows accented names and dashes instead of mojibake."""
    return Response((BOM if bom else "") + text, mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="{filename}"',
        "Cache-Control": "private, no-store",
    })
