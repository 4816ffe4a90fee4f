"""Read a CSV export from any CRM into a header and numbered rows.

The reader is forgiving about encoding, delimiter and line endings, and strict
about files that are not CSV at all. It never judges the rows themselves:
ragged rows come back as they are, for the importer to report.
"""

from __future__ import annotations

import csv
import hashlib
import io
import logging
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

DELIMITERS = ",;\t"
_SAMPLE_CHARS = 64 * 1024
_ZIP_MAGIC = b"PK\x03\x04"
_OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # .xls and other Office 97 files
_UNDEFINED_CP1252 = re.compile("[\udc80-\udcff]")


class UnreadableFile(Exception):
    """The file cannot be read as CSV; str() is one line for the user."""


@dataclass(frozen=True)
class CsvRow:
    # The row number a person sees when opening the file in a spreadsheet:
    # the header is row 1 and a record with quoted newlines is still one row.
    number: int
    values: list[str]


@dataclass
class CsvTable:
    path: Path
    encoding: str
    delimiter: str
    header: list[str]
    rows: list[CsvRow]


def read_table(path: Path) -> CsvTable:
    """Read a CSV file, detecting its encoding and delimiter."""
    data = _read_bytes(path)
    _reject_non_csv(path, data)
    text, encoding = _decode(path, data)
    delimiter = _detect_delimiter(text)
    header, rows = _parse(path, text, delimiter)
    log.info(
        "read %s: %d rows, %d columns, %s, delimiter %r",
        path.name,
        len(rows),
        len(header),
        encoding,
        delimiter,
    )
    return CsvTable(
        path=path, encoding=encoding, delimiter=delimiter, header=header, rows=rows
    )


def file_sha256(path: Path) -> str:
    """The hex SHA-256 of a file, so the same export is not imported twice."""
    digest = hashlib.sha256()
    try:
        with path.open("rb") as stream:
            for block in iter(lambda: stream.read(1 << 16), b""):
                digest.update(block)
    except OSError as error:
        raise UnreadableFile(f"{path}: {error.strerror or error}") from error
    return digest.hexdigest()


def _read_bytes(path: Path) -> bytes:
    if not path.exists():
        raise UnreadableFile(f"{path} does not exist")
    if path.is_dir():
        raise UnreadableFile(f"{path} is a folder, not a CSV file")
    try:
        data = path.read_bytes()
    except OSError as error:
        raise UnreadableFile(f"{path}: {error.strerror or error}") from error
    if not data.strip(b" \t\r\n\xef\xbb\xbf"):
        raise UnreadableFile(f"{path} is empty")
    return data


def _reject_non_csv(path: Path, data: bytes) -> None:
    """Name the real format of a file that was saved with a .csv name."""
    if data.startswith(_ZIP_MAGIC):
        raise UnreadableFile(f"{path} is {_describe_zip(data)}")
    if data.startswith(_OLE2_MAGIC):
        raise UnreadableFile(
            f"{path} is an Excel workbook, not CSV: save it as CSV first"
        )
    if data.startswith(b"%PDF"):
        raise UnreadableFile(f"{path} is a PDF document, not CSV")
    start = data.lstrip(b"\xef\xbb\xbf \t\r\n")[:16].lower()
    # No export's header begins with a brace; a bracket may ("[Name]"), so
    # a file that starts with one is refused only when it is JSON.
    if start.startswith(b"{") or (start.startswith(b"[") and _is_json(data)):
        raise UnreadableFile(
            f"{path} is JSON, not CSV: export the records as CSV first"
        )
    if start.startswith((b"<?xml", b"<!doctype", b"<html", b"<table")):
        raise UnreadableFile(
            f"{path} is an XML or HTML file, not CSV: export the records as CSV first"
        )


def _is_json(data: bytes) -> bool:
    import json

    try:
        json.loads(data)
    except ValueError:  # UnicodeDecodeError is one too
        return False
    return True


def _describe_zip(data: bytes) -> str:
    try:
        names = zipfile.ZipFile(io.BytesIO(data)).namelist()
    except zipfile.BadZipFile:
        # Too damaged to look inside: a workbook is by far the likeliest.
        names = ["xl/"]
    if any(name.startswith("xl/") for name in names):
        return "an Excel workbook, not CSV: save it as CSV first"
    if "mimetype" in names or "content.xml" in names:
        return "an OpenDocument spreadsheet, not CSV: save it as CSV first"
    return "a zip archive, not CSV: unzip it first"


def _decode(path: Path, data: bytes) -> tuple[str, str]:
    """Decode without mojibake: UTF-8 when it is valid, else Windows-1252."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        # Excel's "Unicode Text" export: UTF-16 with a byte order mark.
        return _checked_text(path, data.decode("utf-16", errors="replace")), "utf-16"
    if b"\x00" in data[:8192]:
        raise UnreadableFile(f"{path} is not a text file")
    if data.startswith(b"\xef\xbb\xbf"):
        encoding, body = "utf-8-sig", data[3:]
    else:
        encoding, body = "utf-8", data
    try:
        return _checked_text(path, body.decode("utf-8")), encoding
    except UnicodeDecodeError:
        pass
    # cp1252 leaves five bytes undefined; those keep their Latin-1 meaning
    # so one odd byte does not turn the euro signs of the rest into junk.
    text = body.decode("cp1252", errors="surrogateescape")
    if _UNDEFINED_CP1252.search(text):
        text = _UNDEFINED_CP1252.sub(lambda m: chr(ord(m.group()) - 0xDC00), text)
        encoding = "cp1252+latin-1"
    else:
        encoding = "cp1252"
    return _checked_text(path, text), encoding


def _checked_text(path: Path, text: str) -> str:
    sample = text[:8192]
    controls = sum(1 for c in sample if c < " " and c not in "\t\r\n")
    if controls > len(sample) // 20:
        raise UnreadableFile(f"{path} is not a text file")
    return text


def _detect_delimiter(text: str) -> str:
    """The sniffed delimiter, checked against the header line."""
    counts = _count_outside_quotes(_first_line(text))
    most = max(DELIMITERS, key=lambda d: counts[d])
    sample = text[:_SAMPLE_CHARS]
    if len(text) > _SAMPLE_CHARS:
        sample = sample[: sample.rfind("\n") + 1] or sample
    try:
        sniffed = csv.Sniffer().sniff(sample, delimiters=DELIMITERS).delimiter
    except csv.Error:
        sniffed = None
    # The Sniffer is fooled by a delimiter that fills quoted text; a header
    # line, counted outside quotes, rarely lies.
    if sniffed is not None and counts[sniffed] == counts[most]:
        return sniffed
    if counts[most] > 0:
        return most
    return ","


def _first_line(text: str) -> str:
    """The first non-blank record of the text, quoted newlines included."""
    start = len(text) - len(text.lstrip("\r\n"))
    in_quotes = False
    for index in range(start, len(text)):
        char = text[index]
        if char == '"':
            in_quotes = not in_quotes
        elif char in "\r\n" and not in_quotes:
            return text[start:index]
    return text[start:]


def _count_outside_quotes(line: str) -> dict[str, int]:
    counts = dict.fromkeys(DELIMITERS, 0)
    in_quotes = False
    for char in line:
        if char == '"':
            in_quotes = not in_quotes
        elif char in counts and not in_quotes:
            counts[char] += 1
    return counts


def _parse(path: Path, text: str, delimiter: str) -> tuple[list[str], list[CsvRow]]:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header: list[str] | None = None
    rows: list[CsvRow] = []
    # Where the record being read began (a line number), and its number.
    began, number, next_line = 1, 0, 1
    try:
        # Blank lines still take a row in a spreadsheet, so they are counted
        # for the row numbers even though they are not returned.
        for number, values in enumerate(reader, start=1):
            began, next_line = next_line, reader.line_num + 1
            if not any(value.strip() for value in values):
                continue
            if header is None:
                header = _trim_header(values)
                continue
            rows.append(CsvRow(number=number, values=_trim(values, len(header))))
    except csv.Error as error:
        raise UnreadableFile(f"{path} is not valid CSV: {error}") from error
    if header is None:
        raise UnreadableFile(f"{path} has no header row")
    if _opens_a_quote(text, began):
        # The reader took every line after it as one value: the rows there
        # would be neither imported nor reported.
        raise UnreadableFile(
            f"{path}: row {number} opens a quote that is never closed, so the"
            " rest of the file reads as one value; nothing was imported. Close"
            " the quote and import again"
        )
    return header, rows


def _opens_a_quote(text: str, line: int) -> bool:
    """Whether the last record, from ``line`` to the end, opened a quoted
    value that the file never closes: it then runs over several lines with
    an odd number of quotes (a quote inside a value is doubled, so a value
    that closes has an even count)."""
    # Lines as the CSV reader counts them: at \n, \r or \r\n only.
    rest = io.StringIO(text, newline="").readlines()[line - 1 :]
    return len(rest) > 1 and sum(part.count('"') for part in rest) % 2 == 1


def _trim_header(values: list[str]) -> list[str]:
    # Exports where every line ends with a delimiter have an unnamed last
    # column; it holds nothing and would make every row look ragged.
    header = [value.strip() for value in values]
    while header and not header[-1]:
        header.pop()
    return header


def _trim(values: list[str], width: int) -> list[str]:
    """Drop empty cells beyond the header; cells with data stay, ragged."""
    end = len(values)
    while end > width and not values[end - 1].strip():
        end -= 1
    return values[:end]
