"""read_table: every encoding, separator and workbook layout; French number parsing."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pytest
from openpyxl import Workbook

from cdv_lib.errors import DataError
from cdv_lib.readers import find_table, parse_bool, parse_int, read_table
from cdv_lib.text import parse_numbers as parse_decimal

ROWS = "code_insee;nom;montant\n01004;Ambérieu-en-Bugey;12,5\n2A004;Ajaccio;1 234\n"


def write_bytes(path, data: bytes):
    path.write_bytes(data)
    return path


def assert_table(frame):
    assert list(frame.columns) == ["code_insee", "nom", "montant"]
    assert frame["code_insee"].tolist() == ["01004", "2A004"]
    assert frame["nom"].tolist() == ["Ambérieu-en-Bugey", "Ajaccio"]
    assert frame.index.tolist() == [2, 3]
    assert all(frame[c].dtype == object for c in frame.columns)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252"])
@pytest.mark.parametrize("sep", [";", ",", "\t"])
def test_encodings_and_separators(tmp_path, encoding, sep):
    text = ROWS.replace("12,5", "12.5").replace(";", sep) if sep == "," else ROWS.replace(";", sep)
    frame = read_table(write_bytes(tmp_path / "t.csv", text.encode(encoding)))
    assert_table(frame)


def test_bom_is_not_in_first_column_name(tmp_path):
    frame = read_table(write_bytes(tmp_path / "t.csv", ROWS.encode("utf-8-sig")))
    assert frame.columns[0] == "code_insee"


def test_quoted_fields_with_separators_inside(tmp_path):
    text = 'code,nom,note\n01004,"Lens, centre","a;b"\n62498,"Liévin; nord","x,y,z"\n'
    frame = read_table(write_bytes(tmp_path / "t.csv", text.encode()))
    assert frame["nom"].tolist() == ["Lens, centre", "Liévin; nord"]
    assert frame["note"].tolist() == ["a;b", "x,y,z"]


def test_semicolon_file_with_decimal_commas_is_not_read_as_comma_separated(tmp_path):
    text = "a;b;c\n1,5;2,5;3,5\n4,5;5,5;6,5\n"
    frame = read_table(write_bytes(tmp_path / "t.csv", text.encode()))
    assert list(frame.columns) == ["a", "b", "c"]
    assert frame["b"].tolist() == ["2,5", "5,5"]


def test_empty_rows_dropped_and_row_numbers_kept(tmp_path):
    text = "code;nom\n01004;A\n\n;\n  ;  \n62498;B\n"
    frame = read_table(write_bytes(tmp_path / "t.csv", text.encode()))
    assert frame.index.tolist() == [2, 6]
    assert frame["code"].tolist() == ["01004", "62498"]


def test_values_and_headers_stripped_blank_is_missing(tmp_path):
    text = " code ; nom \n 01004 ;   \n"
    frame = read_table(write_bytes(tmp_path / "t.csv", text.encode()))
    assert list(frame.columns) == ["code", "nom"]
    assert frame.loc[2, "code"] == "01004"
    assert pd.isna(frame.loc[2, "nom"])


def test_na_and_insee_markers_stay_text(tmp_path):
    text = "code;valeur\n01004;NA\n01005;s\n01006;nd\n"
    frame = read_table(write_bytes(tmp_path / "t.csv", text.encode()))
    assert frame["valeur"].tolist() == ["NA", "s", "nd"]


@pytest.mark.parametrize("content, fragment", [
    (b"", "fichier vide"),
    (b"code;nom\n", "seul l'en-tête"),
    (b"code;nom;code\n1;2;3\n", "positions 1 et 3"),
    (b"\x00\x01\x02junk\xff\xfe", "binaire"),
    (b"PK\x03\x04\x14\x00\x00\x00", "classeur Excel"),
    ("code;nom\n1;é\n".encode("utf-16"), "UTF-16"),
    (b"code;nom\n1;\x90tienne\n", "0x90"),
    ("code;nom\n1;é\n".encode() + "2;è\n".encode("cp1252"), "mélange"),
    (b'code;nom\n1;"ouvert\n', "guillemet"),
    (b"code|nom\n1|a\n", "« | »"),
])
def test_unreadable_files_raise_dataerror_in_french(tmp_path, content, fragment):
    path = write_bytes(tmp_path / "t.csv", content)
    with pytest.raises(DataError) as info:
        read_table(path)
    text = str(info.value)
    assert "t.csv" in text
    assert fragment in text


def test_encoding_error_names_row_column_and_value(tmp_path):
    path = write_bytes(tmp_path / "communes.csv",
                       b"code_insee;nom\n01004;Lyon\n01005;\x90tampes\n")
    with pytest.raises(DataError) as info:
        read_table(path)
    problem = info.value.problems[0]
    assert (problem.row, problem.column) == (3, "nom")
    assert "tampes" in problem.value


def test_too_many_fields_names_the_line(tmp_path):
    path = write_bytes(tmp_path / "t.csv", b"a,b\n1,2\n3,4,5\n")
    with pytest.raises(DataError) as info:
        read_table(path)
    assert info.value.problems[0].row == 3
    assert "3 trouvés" in str(info.value)


def test_mixed_separator_line_is_reported(tmp_path):
    path = write_bytes(tmp_path / "t.csv", b"a;b;c\n1;2;3\n4,5,6\n")
    with pytest.raises(DataError) as info:
        read_table(path)
    problem = info.value.problems[0]
    assert (problem.row, problem.column, problem.value) == (3, "a", "4,5,6")


def make_workbook(path, sheets: dict[str, list[list]], merged=None, formulas=None):
    wb = Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for row in rows:
            ws.append(row)
        for rng in (merged or {}).get(name, []):
            ws.merge_cells(rng)
    wb.save(path)
    return path


def test_xlsx_sheet_named_like_file_is_preferred(tmp_path):
    path = make_workbook(tmp_path / "communes.xlsx", {
        "Notes": [["export du 01/02/2023"]],
        "communes": [["code_insee", "nom", "population"], ["01004", "A", 14514.0],
                     [None, None, None], ["2A004", "Ajaccio", 12.5]],
    })
    frame = read_table(path)
    assert frame["code_insee"].tolist() == ["01004", "2A004"]
    assert frame["population"].tolist() == ["14514", "12.5"]
    assert frame.index.tolist() == [2, 4]


def test_xlsx_first_sheet_or_given_sheet(tmp_path):
    path = make_workbook(tmp_path / "export.xlsx", {
        "Feuil1": [["a", "b"], [1, "x"]], "Feuil2": [["c"], ["y"]]})
    assert list(read_table(path).columns) == ["a", "b"]
    assert list(read_table(path, sheet="Feuil2").columns) == ["c"]
    with pytest.raises(DataError, match="Feuil3"):
        read_table(path, sheet="Feuil3")


def test_xlsx_numeric_code_keeps_what_excel_stored(tmp_path):
    path = make_workbook(tmp_path / "t.xlsx", {"t": [["code_insee"], [1004], ["01004"]]})
    assert read_table(path)["code_insee"].tolist() == ["1004", "01004"]


def test_xlsx_formula_without_cached_value_is_a_problem(tmp_path):
    path = make_workbook(tmp_path / "t.xlsx", {"t": [["a", "b"], [1, "=A2*2"]]})
    with pytest.raises(DataError) as info:
        read_table(path)
    problem = info.value.problems[0]
    assert (problem.row, problem.column, problem.value) == (3 - 1, "b", "=A2*2")
    assert "formule" in problem.expected


def test_xlsx_merged_header_is_a_problem(tmp_path):
    path = make_workbook(tmp_path / "t.xlsx", {"t": [["Montants", None, "x"], ["a", "b", "c"]]},
                         merged={"t": ["A1:B1"]})
    with pytest.raises(DataError) as info:
        read_table(path)
    assert "A1:B1" in str(info.value) and "fusionnées" in str(info.value)


def test_find_table(tmp_path):
    assert find_table(tmp_path, "communes") is None
    (tmp_path / "communes.xlsx").write_bytes(b"")
    assert find_table(tmp_path, "communes").name == "communes.xlsx"
    (tmp_path / "communes.csv").write_text("a\n")
    assert find_table(tmp_path, "communes").name == "communes.csv"


def test_parse_decimal_french_forms():
    values, bad = parse_decimal(pd.Series(
        ["12,5", "5 760 000", "5.760.000,00", "5\u00a0760", "5\u202f760,5", "1'234", "12 €",
         "-3", "3.5", None, ""], index=range(2, 13)))
    assert values.tolist()[:9] == [12.5, 5760000, 5760000, 5760, 5760.5, 1234, 12, -3, 3.5]
    assert np.isnan(values.iloc[9]) and np.isnan(values.iloc[10])
    assert not bad.any()
    assert values.index.tolist() == list(range(2, 13))


@pytest.mark.parametrize("text", ["5,760,000", "5,760.00", "abc", "12 euros env.", "inf", "nan",
                                  "1,2,3"])
def test_parse_decimal_refuses(text):
    values, bad = parse_decimal(pd.Series([text]))
    assert bad.tolist() == [True] and np.isnan(values.iloc[0])


def test_parse_int_and_bool():
    values, bad = parse_int(pd.Series(["1 234", "12,0", "1,5", None, "x"]))
    assert values.dtype == "Int64"
    assert values.tolist()[:2] == [1234, 12]
    assert bad.tolist() == [False, False, True, False, True]
    flags, bad = parse_bool(pd.Series(["Oui", "NON", "x", None, "o", "n", "Vrai", "false", "1",
                                       "0", "peut-être"]))
    assert flags.tolist() == [True, False, True, False, True, False, True, False, True, False,
                              False]
    assert bad.tolist() == [False] * 10 + [True]


@pytest.mark.slow
def test_100_mb_csv_reads_in_seconds(tmp_path):
    line = "2022;D-{i:07d};Association des habitants du quartier;Atelier santé et bien-être;" \
           "01004;QP001001;Cohésion sociale;Santé;État;12 500,50;10 000;25 000\n"
    header = "annee;numero_dossier;porteur;intitule;commune;code_qpv;pilier;thematique;" \
             "financeur;montant_demande;montant_accorde;total_declare\n"
    n = 100_000_000 // len(line.format(i=0).encode())
    path = tmp_path / "programmation.csv"
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(header)
        block = "".join(line.format(i=i) for i in range(10_000))
        for _ in range(n // 10_000):
            fh.write(block)
    assert path.stat().st_size > 95_000_000
    start = time.perf_counter()
    frame = read_table(path)
    elapsed = time.perf_counter() - start
    assert len(frame) == (n // 10_000) * 10_000
    assert frame["commune"].iloc[0] == "01004"
    assert elapsed < 30, elapsed
