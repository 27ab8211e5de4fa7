"""Encodings are told apart by what the decoded text means, one small file per encoding."""

from __future__ import annotations

import pytest

from chalicelib.imports.read.tables import detect_encoding, read_table, western_text_score
from tests.unit.imports.read.conftest import data_file

ROWS = [
    ["Café Müller", "O’Brien’s – back gate", "€50"],
    ["Zoë Brûlée", "“Ring first” – Ñandú", "£20"],
]


@pytest.mark.parametrize(
    ("name", "encoding"),
    [
        ("utf8.csv", "utf-8"),
        ("utf8-bom.csv", "utf-8-sig"),
        ("utf16-le-bom.csv", "utf-16"),
        ("cp1252.csv", "cp1252"),
        ("mac-roman-cr.csv", "mac_roman"),
    ],
)
def test_each_encoding_reads_the_same_words(name, encoding):
    table = read_table(data_file("encodings", name), name)

    assert table.encoding == encoding
    assert table.headers == ["Customer Name", "Notes", "Price"]
    assert [values for _, values in table.rows()] == ROWS


def test_mac_excel_csv_with_bare_carriage_returns_keeps_its_row_numbers():
    table = read_table(data_file("encodings", "mac-roman-cr.csv"), "mac.csv")

    assert [number for number, _ in table.rows()] == [2, 3]


def test_latin1_file_reads_its_accents_and_marks():
    table = read_table(data_file("encodings", "latin1.csv"), "latin.csv")

    assert [values for _, values in table.rows()] == [
        ["Café Müller", "Señor Ñandú à côté", "£20"],
        ["Zoë Brûlée", "«Fenêtre» °C", "¥5"],
    ]


def test_mac_roman_bytes_are_not_read_as_windows_text(tmp_path):
    # In cp1252 these bytes read "CafŽ", "OÕBrien", "MŸller": capitals inside words.
    path = tmp_path / "mac.csv"
    path.write_bytes("Name\nCafé\nO’Brien\nMüller\n".encode("mac_roman"))

    assert detect_encoding(str(path)) == "mac_roman"


def test_windows_bytes_are_not_read_as_mac_text(tmp_path):
    path = tmp_path / "win.csv"
    path.write_bytes("Name\nCafé\nO’Brien\nMüller – €5\n".encode("cp1252"))

    assert detect_encoding(str(path)) == "cp1252"


def test_text_of_another_script_is_left_to_charset_normalizer(tmp_path):
    path = tmp_path / "ru.csv"
    text = "Имя,Город\nИван Петров,Москва\nОльга Смирнова,Санкт-Петербург\n"
    path.write_bytes(text.encode("cp1251"))

    table = read_table(str(path), "ru.csv")

    assert next(table.rows())[1] == ["Иван Петров", "Москва"]


def test_words_score_above_mojibake():
    assert western_text_score("Café O’Brien Müller") > western_text_score("CafÈ OÕBrien M¸ller")
