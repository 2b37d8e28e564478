"""The per-territory journal of updates made in the browser: `mises_a_jour.jsonl`.

An append-only file of JSON lines in the territory's source folder, read by the ETL after the
workbook or CSV files like any other source (docs/template.md, « Mises à jour en ligne »):

- `update` lines: a person changed an action's status, progress, actual start or end and/or
  added a dated, typed note with a météo, from the fiche action or « Mes actions »;
- `import` lines: an upload was published; `base` is the journal position its workbook was made
  from (entries up to it are in the workbook, later ones are applied on top of it) and
  `changes` what the upload changed in each action (the history of changes by upload).

Entries after the last import's `base` are applied to the `actions` sheet (and their notes
added to `suivi`) before validation, so the same parsers, checks and French messages apply.
An entry whose « before » value is neither the sheet's value nor its « after » value meets a
change made elsewhere (a workbook edited meanwhile): refused, never overwritten silently.
Every entry, applied or not, gives the rows of the `action_history` table. No Streamlit here.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import json
import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

import pandas as pd

from etl.extract import RawSheet, TerritorySource
from etl.issues import IssueList
from etl.schema import NOTE_TYPES, SHEETS_BY_NAME, WEATHERS
from etl.validate import _parse_text

JOURNAL_FILE = "mises_a_jour.jsonl"
KINDS = ("update", "import")
ORIGINS = {"update": "en ligne", "import": "import"}
LOCAL_ZONE = ZoneInfo("Europe/Paris")
# Action fields a contributor may update online: template column -> (warehouse column, label).
UPDATABLE = {
    "statut": ("status", "Statut"),
    "avancement": ("progress", "Avancement"),
    "debut_reel": ("actual_start", "Début réel"),
    "fin_reelle": ("actual_end", "Fin réelle"),
}
# Fields whose changes by upload are recorded in the history (the upload's own changes).
TRACKED = {
    **UPDATABLE,
    "intitule": ("title", "Intitulé"),
    "debut_prevu": ("planned_start", "Début prévu"),
    "fin_prevue": ("planned_end", "Fin prévue"),
    "service_pilote": ("pilot_service", "Service pilote"),
    "pilote": ("pilot_email", "Pilote"),
    "priorite": ("priority", "Priorité"),
}
NOTE_FIELD, NOTE_LABEL = "note", "Note de suivi"
# Document property of a downloaded workbook: « <territory folder>:<journal position> ».
WORKBOOK_MARKER = "pilotage_mises_a_jour"
MAX_TEXT = 5000  # characters of a note or a reason: a journal line stays small
ACTIONS_SPEC = SHEETS_BY_NAME["actions"]
SUIVI_SPEC = SHEETS_BY_NAME["suivi"]
HISTORY_COLUMNS = [
    "territory_id", "action_id", "code", "seq", "entry_id", "field", "field_label", "before",
    "after", "author_login", "author_name", "author_email", "changed_at", "origin",
]  # fmt: skip


@dataclass
class Entry:
    """One valid journal line."""

    line: int
    seq: int
    entry_id: str
    kind: str
    at: dt.datetime
    author: dict
    action: str | None = None
    base: int = 0
    changes: dict = field(default_factory=dict)
    note: dict | None = None

    @property
    def author_name(self) -> str:
        return self.author.get("name") or self.author.get("login") or "inconnu"

    def action_changes(self) -> dict[str, dict[str, list]]:
        """code -> {field: [before, after]} for either kind."""
        if self.kind == "update":
            return {self.action: self.changes} if self.changes else {}
        return self.changes


@dataclass
class Journal:
    entries: list[Entry] = field(default_factory=list)
    label: str = ""

    @property
    def last_seq(self) -> int:
        return max((e.seq for e in self.entries), default=0)

    @property
    def import_base(self) -> int:
        """Entries up to this position are in the sources' workbook or CSV files."""
        imports = [e for e in self.entries if e.kind == "import"]
        return imports[-1].base if imports else 0


def journal_path(folder: Path) -> Path:
    return folder / JOURNAL_FILE


def _column(name: str):
    return ACTIONS_SPEC.column(name)


def parse_value(template_field: str, value: object) -> object:
    """A value as the ETL reads the template's cell (ValueError with its French message)."""
    if value is None or value == "":
        return None
    column = _column(template_field)
    return _parse_text(column.kind, column.choices, to_cell_text(template_field, value))


def to_cell_text(template_field: str, value: object) -> str:
    """The text a sheet cell would hold for `value` (ISO dates, « 45 % »)."""
    if value is None:
        return ""
    kind = _column(template_field).kind
    if kind == "pct" and isinstance(value, int | float):
        return f"{float(value):g} %".replace(".", ",")
    if isinstance(value, dt.date):
        return value.isoformat()
    if kind == "person" and isinstance(value, list | tuple):
        name, email = value
        return f"{name} <{email}>" if name and email else (email or name or "")
    return str(value)


def display_value(template_field: str, value: object) -> str | None:
    """French text of a value in the history: « 45 % », « 23/03/2026 »."""
    if template_field == NOTE_FIELD:
        return None if value is None else str(value)
    try:
        parsed = parse_value(template_field, value)
    except ValueError:
        return str(value)
    if parsed is None:
        return None
    if isinstance(parsed, dt.date):
        return parsed.strftime("%d/%m/%Y")
    if isinstance(parsed, float):
        return f"{parsed:g} %".replace(".", ",")
    if isinstance(parsed, tuple):
        name, email = parsed
        return f"{name} <{email}>" if name and email else (email or name)
    return str(parsed)


def _json_value(value: object) -> object:
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, tuple):
        return list(value)
    return value


def _text(value: object, limit: int = MAX_TEXT) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValueError("texte attendu")
    text = value.strip()
    if len(text) > limit:
        raise ValueError(f"texte trop long (au plus {limit} caractères)")
    return text or None


def check_note(note: object) -> dict:
    """A note {type, text, meteo, raison} checked with the template's vocabularies."""
    if not isinstance(note, dict):
        raise ValueError("note illisible : un objet {type, texte, météo, raison} est attendu")
    text = _text(note.get("text"))
    if not text:
        raise ValueError("note sans texte : écrivez la note")
    note_type = note.get("type")
    if note_type is not None:
        note_type = _parse_text("enum", NOTE_TYPES, str(note_type))
    weather = note.get("meteo")
    if weather is not None:
        weather = _parse_text("enum", WEATHERS, str(weather))
    reason = _text(note.get("raison"))
    if weather is not None and reason is None:
        raise ValueError("météo sans raison : dites pourquoi")
    if weather is None and reason is not None:
        raise ValueError("raison de météo sans météo")
    return {"type": note_type, "text": text, "meteo": weather, "raison": reason}


def check_changes(changes: object, allowed: dict) -> dict:
    """{field: [before, after]}: known fields, values read by the template's parsers."""
    if not isinstance(changes, dict):
        raise ValueError("changements illisibles : un objet {champ: [avant, après]} est attendu")
    checked = {}
    for name, pair in changes.items():
        if name not in allowed:
            raise ValueError(f"champ « {name} » non modifiable ici ({', '.join(allowed)})")
        if not isinstance(pair, list) or len(pair) != 2:
            raise ValueError(f"champ « {name} » : [avant, après] attendu")
        for value in pair:
            try:
                parse_value(name, value)
            except ValueError as exc:
                raise ValueError(f"{allowed[name][1]} : {exc}") from exc
        checked[name] = [_json_value(v) for v in pair]
    return checked


def check_date_order(values: dict[str, object]) -> str | None:
    """The ETL's date rules for an action's actual dates (parsed values): None when fine."""
    start, end = values.get("debut_reel"), values.get("fin_reelle")
    today = dt.date.today()
    for name, label in (("debut_reel", "début réel"), ("fin_reelle", "fin réelle")):
        value = values.get(name)
        if isinstance(value, dt.date) and value > today:
            return f"{label} dans le futur : une date réelle est passée"
    if isinstance(start, dt.date) and isinstance(end, dt.date) and end < start:
        return "fin réelle antérieure au début réel"
    return None


def _parse_line(record: object, line: int, previous_seq: int) -> Entry:
    if not isinstance(record, dict):
        raise ValueError("ligne illisible : un objet JSON est attendu")
    kind = record.get("kind")
    if kind not in KINDS:
        raise ValueError("type d'entrée inconnu (attendu : update ou import)")
    seq = record.get("seq")
    if not isinstance(seq, int) or isinstance(seq, bool) or seq <= previous_seq:
        raise ValueError(f"numéro d'ordre « seq » absent ou non croissant (après {previous_seq})")
    try:
        at = dt.datetime.fromisoformat(str(record.get("at")))
    except ValueError:
        raise ValueError("date et heure « at » illisibles (ISO 8601 avec fuseau)") from None
    if at.tzinfo is None:
        raise ValueError("date et heure « at » sans fuseau horaire")
    author = record.get("author")
    if not isinstance(author, dict) or not (author.get("login") or author.get("name")):
        raise ValueError("auteur absent : {login, name, email} attendu")
    author = {key: str(author.get(key) or "") for key in ("login", "name", "email")}
    entry = Entry(line, seq, str(record.get("id") or seq), kind, at, author)
    if kind == "update":
        action = record.get("action")
        if not isinstance(action, str) or not action.strip():
            raise ValueError("code de l'action absent")
        entry.action = action.strip()
        entry.base = int(record.get("base") or 0)
        entry.changes = check_changes(record.get("changes") or {}, UPDATABLE)
        if record.get("note") is not None:
            entry.note = check_note(record["note"])
        if not entry.changes and entry.note is None:
            raise ValueError("mise à jour vide : ni changement ni note")
    else:
        base = record.get("base")
        if not isinstance(base, int) or isinstance(base, bool) or not 0 <= base < seq:
            raise ValueError("position « base » de l'import absente ou incohérente")
        entry.base = base
        changes = record.get("changes") or {}
        if not isinstance(changes, dict):
            raise ValueError("changements de l'import illisibles")
        entry.changes = {str(c): check_changes(f, TRACKED) for c, f in changes.items()}
    return entry


def read_journal(path: Path, label: str, issues: IssueList) -> Journal:
    """Every line read, or reported with the file and its line number; never raises."""
    journal = Journal(label=label)
    try:
        data = path.read_bytes()
    except OSError as exc:
        issues.error(label, None, None, None, None, f"journal illisible ({type(exc).__name__})")
        return journal
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        issues.error(label, None, None, None, None, "journal illisible : texte UTF-8 attendu")
        return journal
    previous = 0
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        try:
            entry = _parse_line(json.loads(line), number, previous)
        except json.JSONDecodeError:
            issues.error(label, None, number, None, line[:80], "ligne JSON illisible ou tronquée")
            continue
        except (ValueError, TypeError) as exc:
            issues.error(label, None, number, None, line[:80], str(exc))
            continue
        previous = entry.seq
        journal.entries.append(entry)
    return journal


# --- applying the journal to the sheets as read ----------------------------------------------


def _row_index(sheet: RawSheet) -> dict[str, int]:
    return {code: i for i, code in enumerate(sheet.column("code")) if code}


def _ensure_column(sheet: RawSheet, name: str) -> list[str]:
    if name not in sheet.columns:
        sheet.columns[name] = [""] * len(sheet)
        sheet.headers.append(name)
    return sheet.columns[name]


def _same(template_field: str, left: object, right: object) -> bool:
    try:
        return parse_value(template_field, left) == parse_value(template_field, right)
    except ValueError:
        return False


def _describe(entry: Entry) -> str:
    local = entry.at.astimezone(LOCAL_ZONE)
    origin = "en ligne" if entry.kind == "update" else "par import"
    return f"modifié {origin} par {entry.author_name} le {local:%d/%m/%Y à %H:%M}"


def _apply_update(entry: Entry, actions: RawSheet, rows: dict, label: str, issues) -> bool:
    """Apply one entry's changes to the `actions` sheet; False (reported) on a conflict."""
    index = rows.get(entry.action)
    if index is None:
        issues.error(
            label, None, entry.line, "action", entry.action, "action inconnue dans « actions »"
        )
        return False
    ok = True
    for name, (before, after) in entry.changes.items():
        cells = _ensure_column(actions, name)
        current = cells[index]
        if _same(name, current, before):
            cells[index] = to_cell_text(name, after)
        elif not _same(name, current, after):
            shown = display_value(name, current) or "non renseigné"
            issues.error(
                label,
                None,
                entry.line,
                name,
                shown,
                f"action {entry.action}, {UPDATABLE[name][1].lower()} {_describe(entry)} "
                f"({display_value(name, before) or 'non renseigné'} → "
                f"{display_value(name, after) or 'non renseigné'}) alors que "
                f"{actions.file} porte « {shown} » : reprenez la valeur en ligne ou modifiez-la "
                "en ligne, rien n'a été écrasé",
            )
            ok = False
    return ok


def _note_row(entry: Entry, actions: RawSheet, index: int) -> dict[str, str]:
    note = entry.note or {}
    return {
        "action": entry.action,
        "date": entry.at.astimezone(LOCAL_ZONE).date().isoformat(),
        "auteur": entry.author_name,
        "type": note.get("type") or "",
        "statut": actions.column("statut")[index],
        "avancement": actions.column("avancement")[index],
        "meteo": note.get("meteo") or "",
        "raison_meteo": note.get("raison") or "",
        "texte": note.get("text") or "",
        "source": "mise à jour en ligne",
    }


def _append_notes(source: TerritorySource, notes: list[tuple[int, dict]], label: str) -> None:
    sheet = source.sheets.get("suivi")
    if sheet is None:
        headers = [c for c in SUIVI_SPEC.column_names if c in notes[0][1]]
        sheet = RawSheet("suivi", label, False, headers, {h: [] for h in headers}, [])
        source.sheets["suivi"] = sheet
    last = max(sheet.row_numbers, default=1)
    for offset, (_, row) in enumerate(notes, start=1):
        for name in row:
            _ensure_column(sheet, name)
        for name, cells in sheet.columns.items():
            cells.append(row.get(name, ""))
        # A note's row continues the sheet's numbering (a journal line number would name
        # another row of the same file).
        sheet.row_numbers.append(last + offset)


def apply_journal(source: TerritorySource, journal: Journal, issues: IssueList) -> None:
    """Entries after the sources' position overlay the `actions` and `suivi` sheets."""
    actions = source.sheets.get("actions")
    pending = [e for e in journal.entries if e.kind == "update" and e.seq > journal.import_base]
    if actions is None or not pending:
        return
    rows = _row_index(actions)
    notes: list[tuple[int, dict]] = []
    for entry in pending:
        if not _apply_update(entry, actions, rows, journal.label, issues):
            continue
        if entry.note is not None:
            notes.append((entry.line, _note_row(entry, actions, rows[entry.action])))
    if notes:
        _append_notes(source, notes, journal.label)


def read_and_apply(source: TerritorySource, issues: IssueList) -> Journal:
    """Read the folder's journal (if any), record it among the source files, apply it."""
    from etl.extract import SourceFile

    path = journal_path(source.folder)
    if not path.exists():
        return Journal()
    label = f"{source.folder.name}/{JOURNAL_FILE}"
    journal = read_journal(path, label, issues)
    source.files.append(SourceFile(path, label, "mises_a_jour"))
    apply_journal(source, journal, issues)
    return journal


# --- warehouse tables -----------------------------------------------------------------------


def history_rows(territory_id: str, journal: Journal) -> list[dict]:
    rows = []
    for entry in journal.entries:
        common = {
            "territory_id": territory_id,
            "seq": entry.seq,
            "entry_id": entry.entry_id,
            "author_login": entry.author.get("login") or None,
            "author_name": entry.author_name,
            "author_email": entry.author.get("email") or None,
            "changed_at": entry.at.astimezone(dt.UTC),
            "origin": ORIGINS[entry.kind],
        }
        labels = UPDATABLE if entry.kind == "update" else TRACKED
        for code, changes in entry.action_changes().items():
            for name, (before, after) in changes.items():
                rows.append(
                    {
                        **common,
                        "action_id": f"{territory_id}:{code}",
                        "code": code,
                        "field": name,
                        "field_label": labels[name][1],
                        "before": display_value(name, before),
                        "after": display_value(name, after),
                    }
                )
        if entry.note is not None:
            note = entry.note
            text = (f"{note['type']} : " if note.get("type") else "") + note["text"]
            if note.get("meteo"):
                text += f" (météo : {note['meteo']}, {note['raison']})"
            rows.append(
                {
                    **common,
                    "action_id": f"{territory_id}:{entry.action}",
                    "code": entry.action,
                    "field": NOTE_FIELD,
                    "field_label": NOTE_LABEL,
                    "before": None,
                    "after": text,
                }
            )
    return rows


def build_history(journals: dict[str, Journal]) -> dict[str, pd.DataFrame]:
    """`action_history` (every change with who, when, before → after) and `journal_positions`."""
    rows = [row for tid, journal in journals.items() for row in history_rows(tid, journal)]
    history = pd.DataFrame(rows, columns=HISTORY_COLUMNS)
    history["changed_at"] = pd.to_datetime(history["changed_at"], utc=True)
    positions = pd.DataFrame(
        [
            {
                "territory_id": tid,
                "last_seq": journal.last_seq,
                "import_base": journal.import_base,
                "n_entries": len(journal.entries),
            }
            for tid, journal in journals.items()
        ],
        columns=["territory_id", "last_seq", "import_base", "n_entries"],
    )
    return {"action_history": history, "journal_positions": positions}


def workbook_position(data: bytes, territory_id: str) -> int | None:
    """The journal position a downloaded workbook was made from; None without the marker (a
    workbook typed from the template, or of another territory)."""
    import re
    import zipfile
    from io import BytesIO
    from xml.sax.saxutils import unescape

    try:
        with zipfile.ZipFile(BytesIO(data)) as archive:
            if "docProps/custom.xml" not in archive.namelist():
                return None
            info = archive.getinfo("docProps/custom.xml")
            if info.file_size > 1 << 20:
                return None
            xml = archive.read(info).decode("utf-8", "replace")
    except (zipfile.BadZipFile, ValueError, OSError):
        return None
    found = re.search(rf'name="{WORKBOOK_MARKER}"[^>]*>\s*<vt:lpwstr[^>]*>([^<]*)</vt:lpwstr>', xml)
    if not found:
        return None
    folder, _, position = unescape(found.group(1)).rpartition(":")
    return int(position) if folder == territory_id and position.isdigit() else None


# --- writing --------------------------------------------------------------------------------


@contextlib.contextmanager
def journal_lock(sources_dir: Path, territory_id: str) -> Iterator[None]:
    """One writer at a time per territory (saves and publications); outside the territory's
    folder, which a publication renames, and outside the sources (every file there is read)."""
    locks = sources_dir.parent / ".mises_a_jour.locks"
    locks.mkdir(parents=True, exist_ok=True)
    with open(locks / f"{territory_id}.lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def read_quietly(folder: Path) -> Journal:
    """The journal's valid entries (the build reports the others)."""
    path = journal_path(folder)
    if not path.exists():
        return Journal()
    return read_journal(path, JOURNAL_FILE, IssueList())


def new_record(kind: str, seq: int, author: dict, **fields: object) -> dict:
    now = dt.datetime.now(dt.UTC).astimezone(LOCAL_ZONE).replace(microsecond=0)
    return {
        "seq": seq,
        "id": f"{now:%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:8]}",
        "kind": kind,
        "at": now.isoformat(),
        "author": {key: author.get(key) or "" for key in ("login", "name", "email")},
        **fields,
    }


def append(folder: Path, record: dict) -> None:
    """Append one line and make it durable (fsync) before returning. Call under the lock."""
    folder.mkdir(parents=True, exist_ok=True)
    path = journal_path(folder)
    line = json.dumps(record, ensure_ascii=False, default=str) + "\n"
    with open(path, "a", encoding="utf-8") as handle:
        handle.write(line)
        handle.flush()
        os.fsync(handle.fileno())
