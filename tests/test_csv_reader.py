"""Reading the CSV files reps export from their old CRM."""

from __future__ import annotations

import hashlib
import zipfile
from pathlib import Path

import pytest

from crm_tui.importing.reader import CsvRow, UnreadableFile, file_sha256, read_table

REAL_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "real"


def write(tmp_path: Path, data: bytes | str, name: str = "leads.csv") -> Path:
    path = tmp_path / name
    if isinstance(data, str):
        data = data.encode("utf-8")
    path.write_bytes(data)
    return path


def test_plain_utf8_file(tmp_path: Path) -> None:
    table = read_table(write(tmp_path, "First Name,Email\nAnna,anna@example.net\n"))
    assert table.encoding == "utf-8"
    assert table.delimiter == ","
    assert table.header == ["First Name", "Email"]
    assert table.rows == [CsvRow(number=2, values=["Anna", "anna@example.net"])]


def test_byte_order_mark_is_not_part_of_the_first_header(tmp_path: Path) -> None:
    path = write(
        tmp_path, b"\xef\xbb\xbfFirst Name,City\r\nJos\xc3\xa9,M\xc3\xbcnchen\r\n"
    )
    table = read_table(path)
    assert table.encoding == "utf-8-sig"
    assert table.header == ["First Name", "City"]
    assert table.rows[0].values == ["José", "München"]


def test_windows_1252_file_is_decoded_without_mojibake(tmp_path: Path) -> None:
    text = "Last Name;Company;Budget\r\nMüller;Café Größe;€ 1.500\r\n"
    table = read_table(write(tmp_path, text.encode("cp1252")))
    assert table.encoding == "cp1252"
    assert table.delimiter == ";"
    assert table.rows[0].values == ["Müller", "Café Größe", "€ 1.500"]


def test_byte_undefined_in_cp1252_falls_back_to_latin_1(tmp_path: Path) -> None:
    table = read_table(write(tmp_path, b"Name,Note\nM\xfcller,a\x81b \x80\n"))
    assert table.rows[0].values == ["Müller", "a\x81b €"]
    assert table.encoding == "cp1252+latin-1"


def test_utf16_unicode_text_export(tmp_path: Path) -> None:
    text = "Name\tCity\r\nZoë\tKöln\r\n"
    table = read_table(write(tmp_path, text.encode("utf-16")))
    assert table.delimiter == "\t"
    assert table.rows[0].values == ["Zoë", "Köln"]


def test_tab_separated_file(tmp_path: Path) -> None:
    table = read_table(write(tmp_path, "Name\tCompany\nAnna\tAcme, Inc.\n"))
    assert table.delimiter == "\t"
    assert table.rows[0].values == ["Anna", "Acme, Inc."]


def test_semicolon_file_with_commas_in_values(tmp_path: Path) -> None:
    text = "Name;Title;City\nAnna;Scientist, clinical;Lyon\nBob;Owner, CEO;Nice\n"
    table = read_table(write(tmp_path, text))
    assert table.delimiter == ";"
    assert table.rows[1].values == ["Bob", "Owner, CEO", "Nice"]


def test_comma_file_whose_quoted_text_is_full_of_semicolons(tmp_path: Path) -> None:
    text = 'Name,Note\nAnna,"a;b;c;d;e"\nBob,"f;g;h;i"\n'
    table = read_table(write(tmp_path, text))
    assert table.delimiter == ","
    assert table.rows[0].values == ["Anna", "a;b;c;d;e"]


def test_quoted_commas_and_newlines_keep_spreadsheet_row_numbers(
    tmp_path: Path,
) -> None:
    text = (
        "Name,Street,Title\r\n"
        'Anna,"64642 Brianna Forges\r\nSuite 5","Scientist, clinical"\r\n'
        "Bob,1 Main St,Dealer\r\n"
    )
    table = read_table(write(tmp_path, text))
    assert [row.number for row in table.rows] == [2, 3]
    assert table.rows[0].values == [
        "Anna",
        "64642 Brianna Forges\r\nSuite 5",
        "Scientist, clinical",
    ]


def test_blank_lines_are_skipped_but_keep_their_row(tmp_path: Path) -> None:
    text = "Name,City\n\nAnna,Lyon\n,\n\nBob,Nice\n"
    table = read_table(write(tmp_path, text))
    assert [(row.number, row.values[0]) for row in table.rows] == [
        (3, "Anna"),
        (6, "Bob"),
    ]


def test_trailing_comma_on_every_line_is_not_a_column(tmp_path: Path) -> None:
    text = "Prospect ID,Lead Source,\r\nabc,Google,\r\ndef,Select,\r\n"
    table = read_table(write(tmp_path, text))
    assert table.header == ["Prospect ID", "Lead Source"]
    assert [row.values for row in table.rows] == [["abc", "Google"], ["def", "Select"]]


def test_ragged_rows_come_back_as_they_are(tmp_path: Path) -> None:
    text = "Name,Email,City\nAnna,anna@example.net\nBob,bob@example.net,Nice,extra\n"
    table = read_table(write(tmp_path, text))
    assert [row.values for row in table.rows] == [
        ["Anna", "anna@example.net"],
        ["Bob", "bob@example.net", "Nice", "extra"],
    ]


def test_single_column_file(tmp_path: Path) -> None:
    table = read_table(write(tmp_path, "Email\nanna@example.net\n"))
    assert table.delimiter == ","
    assert table.rows[0].values == ["anna@example.net"]


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(UnreadableFile, match="does not exist"):
        read_table(tmp_path / "nowhere.csv")


@pytest.mark.parametrize("data", [b"", b"\r\n\r\n", b"\xef\xbb\xbf"])
def test_empty_file(tmp_path: Path, data: bytes) -> None:
    with pytest.raises(UnreadableFile, match="is empty"):
        read_table(write(tmp_path, data))


def test_file_of_empty_cells_has_no_header(tmp_path: Path) -> None:
    with pytest.raises(UnreadableFile, match="has no header row"):
        read_table(write(tmp_path, ",,,\n,,\n"))


def test_excel_workbook_saved_with_a_csv_name(tmp_path: Path) -> None:
    path = tmp_path / "leads.csv"
    with zipfile.ZipFile(path, "w") as workbook:
        workbook.writestr("[Content_Types].xml", "<Types/>")
        workbook.writestr("xl/workbook.xml", "<workbook/>")
    with pytest.raises(UnreadableFile) as caught:
        read_table(path)
    assert str(caught.value) == (
        f"{path} is an Excel workbook, not CSV: save it as CSV first"
    )


@pytest.mark.parametrize(
    "magic", [b"PK\x03\x04\x14\x00\x06\x00", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"]
)
def test_workbook_magic_bytes(tmp_path: Path, magic: bytes) -> None:
    with pytest.raises(UnreadableFile, match="is an Excel workbook, not CSV"):
        read_table(write(tmp_path, magic + b"\x00" * 64))


def test_binary_file(tmp_path: Path) -> None:
    with pytest.raises(UnreadableFile, match="is not a text file"):
        read_table(write(tmp_path, b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"))


def test_file_sha256(tmp_path: Path) -> None:
    path = write(tmp_path, "Name\nAnna\n")
    assert file_sha256(path) == hashlib.sha256(b"Name\nAnna\n").hexdigest()


@pytest.mark.real_data
@pytest.mark.parametrize(
    ("name", "columns", "rows"),
    [("hubspot_contacts.csv", 20, 950), ("xeducation_leads.csv", 37, 9240)],
)
def test_real_exports(name: str, columns: int, rows: int) -> None:
    path = REAL_DATA / name
    if not path.exists():
        pytest.skip(f"real exports not checked out next to the repo: {path}")
    table = read_table(path)
    assert (table.encoding, table.delimiter) == ("utf-8", ",")
    assert len(table.header) == columns
    assert len(table.rows) == rows
    assert table.rows[-1].number == rows + 1
    assert all(len(row.values) == columns for row in table.rows)


def test_a_quote_never_closed_is_refused_with_its_row_not_swallowing_the_rest(
    tmp_path: Path,
) -> None:
    path = write(
        tmp_path,
        'Name,Email,Phone\n"Ann Lee,ann@x.com,555\nBob,bob@x.com,12\n'
        "Carl,carl@x.com,555-0100\n",
    )
    with pytest.raises(UnreadableFile, match="row 2 opens a quote that is never"):
        read_table(path)


def test_closed_quotes_over_lines_and_a_stray_inch_mark_still_read(
    tmp_path: Path,
) -> None:
    path = write(tmp_path, 'Name,Note\nAnn,"two\nlines ""quoted"""\nBob,5" screen\n')
    assert [row.values for row in read_table(path).rows] == [
        ["Ann", 'two\nlines "quoted"'],
        ["Bob", '5" screen'],
    ]
