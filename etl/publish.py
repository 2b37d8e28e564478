"""Publish a territory's plan from an upload: check, build a candidate, compare, swap, journal.

The published warehouse and sources are only touched by `publish`, under the build lock: a bad
upload, a failed build or an interrupted publication leaves them as they were. No Streamlit here.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import os
import re
import shutil
import uuid
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from io import BytesIO
from pathlib import Path

import duckdb
import pandas as pd

from etl import extract, load, pipeline, update_journal
from etl.extract import normalize_header
from etl.issues import IssueList, ValidationError
from etl.load import LoadCheckError
from etl.schema import DONE_STATUSES, KEY_FIGURES_FILE, SHEETS

SQL_DIR = Path(__file__).parent / "sql"
PUBLICATIONS_DIR = pipeline.ROOT / "data" / "publications"
# Same cap as `server.maxUploadSize` in .streamlit/config.toml, checked again here.
MAX_UPLOAD_BYTES = 20 * 1024 * 1024
KEY_FIGURES_STEM = Path(KEY_FIGURES_FILE).stem
SHEET_FILES = {sheet.name for sheet in SHEETS} | {KEY_FIGURES_STEM}
XLSX_MEMBERS = ("[Content_Types].xml", "xl/workbook.xml")
JOURNAL = "journal.jsonl"
# Staged uploads nobody confirmed (a closed tab) are removed after this long.
STAGING_MAX_AGE_S = 24 * 3600
COUNTED_TABLES = ("plan_items", "actions", "budget_lines", "funding", "followups")


class PublishConflict(Exception):
    """The published warehouse changed between the preview and the confirmation."""


@dataclass(frozen=True)
class Upload:
    name: str
    data: bytes


@dataclass
class Candidate:
    """An upload staged into a copy of the sources, checked, and built if it has no errors."""

    token: str
    territory_id: str
    workdir: Path
    uploads: list[dict]
    issues: IssueList
    base_version: str | None
    database: Path | None = None
    changes: pd.DataFrame = field(default_factory=pd.DataFrame)
    totals: pd.DataFrame = field(default_factory=pd.DataFrame)
    journal_seq: int = 0  # the live update journal's last entry when the upload was checked
    journal_base: int = 0  # position the upload was made from (its online updates included)

    @property
    def staging(self) -> Path:
        return self.workdir / "sources"

    @property
    def ok(self) -> bool:
        return self.database is not None and not self.issues.errors


def sources_path() -> Path:
    return Path(os.environ.get("PILOTAGE_SOURCES", pipeline.SOURCES_DIR))


def publications_path() -> Path:
    """Journal, archives and staging area: a writable folder, never committed."""
    return Path(os.environ.get("PILOTAGE_PUBLICATIONS", PUBLICATIONS_DIR))


def file_identity(path: Path) -> str | None:
    try:
        stat = path.stat()
    except FileNotFoundError:
        return None
    return f"{stat.st_ino}-{stat.st_mtime_ns}-{stat.st_size}"


def _is_xlsx_name(name: str) -> bool:
    return name.lower().endswith(".xlsx")


def _text_refusal(data: bytes) -> str | None:
    """The same words as the ETL's for a file that cannot be a CSV text."""
    refusal = extract.text_refusal(data)
    if refusal:
        return refusal
    return extract.decode_text(data)[1]


def _workbook_refusal(data: bytes) -> str | None:
    try:
        with zipfile.ZipFile(BytesIO(data)) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, ValueError):
        if data.startswith(extract.OLE_MAGIC):  # password-protected, or an .xls renamed
            return extract.workbook_refusal(data[:8])
        return NOT_A_WORKBOOK
    if not all(member in names for member in XLSX_MEMBERS):
        return NOT_A_WORKBOOK
    return None


NOT_A_WORKBOOK = "le contenu n'est pas celui d'un classeur Excel .xlsx"


def check_uploads(uploads: list[Upload]) -> IssueList:
    """Size, type by content (not only by name), one workbook or known CSV names."""
    issues = IssueList()
    if not uploads:
        issues.error(None, None, None, None, None, "aucun fichier reçu")
    for upload in uploads:
        name, suffix = Path(upload.name).name, Path(upload.name).suffix.lower()
        if len(upload.data) > MAX_UPLOAD_BYTES:
            limit = MAX_UPLOAD_BYTES // (1024 * 1024)
            issues.error(
                name, None, None, None, None, f"fichier trop volumineux (plus de {limit} Mo)"
            )
        elif suffix == ".xlsx":
            refusal = _workbook_refusal(upload.data)
            if refusal:
                issues.error(name, None, None, None, None, refusal)
        elif suffix == ".csv":
            stem = normalize_header(Path(name).stem)
            if stem not in SHEET_FILES:
                guess = extract.nearest_name(stem, sorted(SHEET_FILES))
                expected = ", ".join(f"{n}.csv" for n in sorted(SHEET_FILES))
                message = f"nom de fichier CSV inconnu (attendu : {expected})"
                if guess:
                    message = f"nom de fichier CSV inconnu : vouliez-vous dire « {guess}.csv » ?"
                issues.error(name, None, None, None, None, message)
            elif refusal := _text_refusal(upload.data):
                issues.error(name, None, None, None, None, refusal)
        else:
            issues.error(name, None, None, None, None, "type de fichier refusé (.xlsx ou .csv)")
    workbooks = [u for u in uploads if _is_xlsx_name(u.name)]
    tables = [u for u in uploads if normalize_header(Path(u.name).stem) != KEY_FIGURES_STEM]
    if len(workbooks) > 1 or (workbooks and len(tables) > 1):
        message = "un seul classeur .xlsx, ou des fichiers CSV, pas les deux"
        issues.error(None, None, None, None, None, message)
    return issues


def _stage_folder(
    folder: Path, uploads: list[Upload], issues: IssueList, replace_all: bool = False
) -> None:
    """A workbook replaces the whole plan; CSV files replace the tables they are named after
    (every file when restoring an archived folder). Key figures stay unless re-sent."""
    folder.mkdir(parents=True, exist_ok=True)
    sends_workbook = any(_is_xlsx_name(u.name) for u in uploads)
    existing = [*folder.glob("*.xlsx"), *folder.glob("*.csv")]
    if replace_all:
        for path in existing:
            path.unlink()
    elif sends_workbook:
        for path in existing:
            if normalize_header(path.stem) != KEY_FIGURES_STEM:
                path.unlink()
    elif any(path.suffix == ".xlsx" for path in existing):
        message = "ce territoire est saisi dans un classeur Excel : importez le classeur complet"
        issues.error(uploads[0].name, None, None, None, None, message)
        return
    for upload in uploads:
        # Our own file names: nothing of the uploaded name reaches the file system.
        stem = "plan" if _is_xlsx_name(upload.name) else normalize_header(Path(upload.name).stem)
        suffix = ".xlsx" if _is_xlsx_name(upload.name) else ".csv"
        (folder / f"{stem}{suffix}").write_bytes(upload.data)


def _territory_issues(issues: IssueList, territory_id: str) -> IssueList:
    """Findings about the uploaded territory; other territories' warnings are not news."""
    mine = IssueList()
    for issue in issues.items:
        # Indicator files are shared by every territory: a file left out is news to everyone.
        ours = (issue.file or "").split("/")[0] in (territory_id, "indicators")
        if ours or issue.severity == "erreur":
            mine.add(issue)
    mine.count_omitted("erreur", issues.omitted["erreur"])
    return mine


def _published_siren_and_themes(warehouse: Path, territory_id: str) -> tuple[str | None, set]:
    if not warehouse.exists():
        return None, set()
    with attached(old=warehouse) as con:
        row = con.execute(
            "select siren from old.territories where territory_id = $t", {"t": territory_id}
        ).fetchone()
        themes = con.execute(
            "select distinct unnest(themes) from old.actions where territory_id = $t",
            {"t": territory_id},
        ).fetchall()
    return (row[0] if row else None), {t[0] for t in themes}


def _territory_sheet(folder: Path) -> extract.RawSheet | None:
    """Only the `territoire` sheet or file: the build reads the rest, once."""
    quiet = IssueList()
    workbooks = sorted(folder.glob("*.xlsx"))
    if workbooks:
        return extract.read_workbook(workbooks[0], "", quiet, only=("territoire",)).get(
            "territoire"
        )
    path = folder / "territoire.csv"
    return extract.read_csv_table(path, "territoire", "", quiet) if path.exists() else None


def _check_siren(folder: Path, territory_id: str, warehouse: Path, issues: IssueList) -> None:
    """An upload replaces this territory only: a file of another SIREN is refused up front."""
    sheet = _territory_sheet(folder)
    if sheet is None or not len(sheet):
        return  # the build reports the missing sheet with its usual message
    given = re.sub(r"\s", "", sheet.rows[0].get("siren", ""))
    published, _ = _published_siren_and_themes(warehouse, territory_id)
    if published and given and given != published:
        issues.error(
            sheet.file,
            "territoire",
            sheet.row_numbers[0],
            "siren",
            given,
            f"ce fichier décrit un autre territoire (SIREN attendu : {published})",
        )


def _extra_checks(result: pipeline.CheckResult, territory_id: str, warehouse: Path, issues) -> None:
    """What the ETL accepts but an editor should hear about before publishing."""
    parsed = next((t for t in result.territories if t.territory_id == territory_id), None)
    source = next((s for s in result.sources if s.territory_id == territory_id), None)
    if parsed is None or source is None or "actions" not in parsed.tables:
        return
    _, known_themes = _published_siren_and_themes(warehouse, territory_id)
    actions, sheet = parsed.tables["actions"], source.sheets["actions"]
    budget = parsed.tables.get("budget")
    budgeted = set(budget["action"]) if budget is not None else set()
    for record in actions.to_dict("records"):
        row = int(record["_row"])
        if record["statut"] not in DONE_STATUSES and record["code"] not in budgeted:
            issues.warn(
                sheet.file, "actions", row, "code", record["code"], "action sans ligne de budget"
            )
        for theme in record["thematiques"] or []:
            if known_themes and theme not in known_themes:
                issues.warn(
                    sheet.file,
                    "actions",
                    row,
                    "thematiques",
                    theme,
                    "thématique inconnue dans les données publiées (faute de frappe ?)",
                )


def prepare(
    uploads: list[Upload],
    territory_id: str,
    sources_dir: Path,
    reference_dir: Path,
    warehouse: Path,
    replace_all: bool = False,
    author: dict | None = None,
) -> Candidate:
    """Check `uploads` as the new sources of `territory_id`; build a candidate file if they pass.

    `author` {login, name, email}: who imports, recorded in the update journal with the
    upload's own changes (the history of each action).

    Never raises on bad input: every refusal is in `candidate.issues`, and a refused candidate
    leaves nothing in the staging area."""
    clean_staging()
    token = uuid.uuid4().hex[:12]
    workdir = publications_path() / "staging" / token
    try:
        author = author or {"login": "import", "name": "import"}
        candidate = _prepare(
            uploads, territory_id, sources_dir, reference_dir, warehouse, replace_all, workdir,
            author,
        )  # fmt: skip
        if candidate.ok:
            _record_import(candidate, warehouse)
    except Exception as exc:  # a damaged file met where none was expected: refused, in French
        shutil.rmtree(workdir, ignore_errors=True)
        issues = IssueList()
        message = (
            f"vérification interrompue par une erreur inattendue ({type(exc).__name__}) : "
            "fichier refusé, rien n'a été publié"
        )
        issues.error(None, None, None, None, None, message)
        return Candidate(token, territory_id, workdir, [], issues, None)
    if not candidate.ok:
        discard(candidate)
    return candidate


def _prepare(
    uploads: list[Upload],
    territory_id: str,
    sources_dir: Path,
    reference_dir: Path,
    warehouse: Path,
    replace_all: bool,
    workdir: Path,
    author: dict,
) -> Candidate:
    token = workdir.name
    described = [
        {
            "name": Path(u.name).name,
            "sha256": hashlib.sha256(u.data).hexdigest(),
            "bytes": len(u.data),
        }
        for u in uploads
    ]
    issues = check_uploads(uploads)
    candidate = Candidate(token, territory_id, workdir, described, issues, file_identity(warehouse))
    if issues.errors:
        return candidate
    shutil.copytree(sources_dir, candidate.staging)
    indicators = sources_dir.parent / "indicators"  # read by the ETL next to the sources
    if indicators.is_dir():
        (workdir / "indicators").symlink_to(indicators.resolve(), target_is_directory=True)
    _stage_folder(candidate.staging / territory_id, uploads, issues, replace_all)
    if issues.errors:
        return candidate
    _check_siren(candidate.staging / territory_id, territory_id, warehouse, issues)
    if issues.errors:
        return candidate
    _stage_import_marker(candidate, uploads, author)
    # One pass: the build validates everything and refuses to write on a blocking error.
    output = workdir / "warehouse.duckdb"
    try:
        result = pipeline.run_build(candidate.staging, reference_dir, output, previous=warehouse)
    except ValidationError as exc:
        candidate.issues = _territory_issues(exc.issues, territory_id)
        return candidate
    except LoadCheckError as exc:
        issues.error(None, None, None, None, None, str(exc))
        return candidate
    candidate.issues = issues = _territory_issues(result.issues, territory_id)
    _extra_checks(result, territory_id, warehouse, issues)
    if issues.errors:
        output.unlink()
        return candidate
    candidate.database = output
    candidate.changes, candidate.totals = compare(warehouse, output, territory_id)
    return candidate


def _stage_import_marker(candidate: Candidate, uploads: list[Upload], author: dict) -> None:
    """Append an `import` line to the staged copy of the update journal: the online updates
    after the position the workbook was made from are applied on top of it by the build (one
    the workbook changed too is refused, with both values). Its changes are filled in once the
    candidate is compared with the published data (`_record_import`)."""
    folder = candidate.staging / candidate.territory_id
    journal = update_journal.read_quietly(folder)
    workbooks = [u for u in uploads if _is_xlsx_name(u.name)]
    position = (
        update_journal.workbook_position(workbooks[0].data, candidate.territory_id)
        if workbooks
        else None
    )
    base = journal.import_base if position is None else min(position, journal.last_seq)
    candidate.journal_seq, candidate.journal_base = journal.last_seq, base
    record = update_journal.new_record(
        "import", journal.last_seq + 1, author, base=base, changes={}
    )
    update_journal.append(folder, record)


ACTION_FIELDS_SQL = """
select code, status, progress, planned_start, planned_end, actual_start, actual_end,
       pilot_service, pilot_name, pilot_email, title, priority
from {side}.actions where territory_id = $territory
"""


def _template_value(name: str, row: dict) -> object:
    if name == "pilote":
        person_name, email = row.get("pilot_name"), row.get("pilot_email")
        if person_name and email:
            return f"{person_name} <{email}>"
        return email or person_name
    value = row.get(update_journal.TRACKED[name][0])
    if value is None or (isinstance(value, float) and value != value) or value is pd.NaT:
        return None
    if isinstance(value, pd.Timestamp | dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return float(value) if isinstance(value, int | float) else str(value)


def action_field_changes(published: Path, candidate: Path, territory_id: str) -> dict:
    """{code: {template column: [before, after]}} of the actions present on both sides."""
    if not published.exists():
        return {}
    with attached(old=published, new=candidate) as con:
        params = {"territory": territory_id}
        sides = {
            side: {
                row["code"]: row
                for row in con.execute(ACTION_FIELDS_SQL.format(side=side), params)
                .df()
                .to_dict("records")
            }
            for side in ("old", "new")  # names are ours
        }
    changes: dict[str, dict] = {}
    for code, after in sides["new"].items():
        before = sides["old"].get(code)
        if before is None:
            continue
        for name in update_journal.TRACKED:
            was, now = _template_value(name, before), _template_value(name, after)
            if was != now:
                changes.setdefault(code, {})[name] = [was, now]
    return changes


def _record_import(candidate: Candidate, warehouse: Path) -> None:
    """Write the upload's own changes into its staged `import` line and the candidate's
    `action_history` (the next builds read them from the journal)."""
    folder = candidate.staging / candidate.territory_id
    path = update_journal.journal_path(folder)
    lines = path.read_text(encoding="utf-8").rstrip("\n").split("\n")
    record = json.loads(lines[-1])
    record["changes"] = action_field_changes(warehouse, candidate.database, candidate.territory_id)
    lines[-1] = json.dumps(record, ensure_ascii=False)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    journal = update_journal.read_journal(path, path.name, IssueList())
    rows = update_journal.history_rows(candidate.territory_id, journal)
    mine = pd.DataFrame(
        [r for r in rows if r["seq"] == record["seq"]], columns=update_journal.HISTORY_COLUMNS
    )
    if mine.empty:
        return
    con = duckdb.connect(str(candidate.database))
    try:
        con.register("incoming", mine)
        con.execute("insert into action_history by name select * from incoming")
        con.execute("checkpoint")
    finally:
        con.close()


@contextlib.contextmanager
def attached(**files: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """An in-memory DuckDB with the given files attached read-only under the given names.

    Attaching (not `duckdb.connect(path)`) gives a fresh view of each file even when this process
    already holds a connection on the same path, and no clash of configurations with the app's."""
    con = duckdb.connect(":memory:")
    try:
        for name, path in files.items():
            # Names are ours (old/new); the path is a bound parameter.
            con.execute(f"attach $path as {name} (read_only)", {"path": str(path)})
        con.execute("set enable_external_access = false")
        yield con
    finally:
        con.close()


def compare(
    published: Path, candidate: Path, territory_id: str
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(actions added/removed/changed, totals before/after) of `territory_id`."""
    if not published.exists():
        published = candidate
    with attached(old=published, new=candidate) as con:
        params = {"territory": territory_id}
        changes = con.execute((SQL_DIR / "diff_actions.sql").read_text(), params).df()
        totals = con.execute((SQL_DIR / "diff_totals.sql").read_text(), params).df()
    return changes, totals.set_index("side")


def _counts(database: Path, territory_id: str) -> dict[str, int]:
    with attached(new=database) as con:
        return {
            table: con.execute(
                f"select count(*) from new.{table} where territory_id = $t",  # names are ours
                {"t": territory_id},
            ).fetchone()[0]
            for table in COUNTED_TABLES
        }


def append_journal(record: dict) -> None:
    journal = publications_path() / JOURNAL
    journal.parent.mkdir(parents=True, exist_ok=True)
    with open(journal, "a", encoding="utf-8") as handle:
        handle.write(json.dumps(record, ensure_ascii=False, default=str) + "\n")
        handle.flush()
        os.fsync(handle.fileno())


def list_publications(territory_id: str | None = None) -> list[dict]:
    """Journal entries, newest first."""
    journal = publications_path() / JOURNAL
    if not journal.exists():
        return []
    records = [
        json.loads(line) for line in journal.read_text(encoding="utf-8").splitlines() if line
    ]
    return [r for r in reversed(records) if territory_id in (None, r["territory_id"])]


def publish(
    candidate: Candidate,
    user: str,
    sources_dir: Path,
    warehouse: Path,
    action: str = "publication",
    restored_from: str | None = None,
) -> dict:
    """Move the staged sources in place and swap the candidate file in, under the build lock.

    Everything is copied next to its destination first, so that the two final steps are renames
    on one file system; the warehouse rename comes last: until it happens, readers see the old data.
    """
    if not candidate.ok:
        raise ValueError("candidate has blocking errors")
    with (
        load.build_lock(warehouse),
        update_journal.journal_lock(sources_dir, candidate.territory_id),
    ):
        if file_identity(warehouse) != candidate.base_version:
            raise PublishConflict(
                "les données publiées ont changé depuis la prévisualisation : recommencez l'import"
            )
        live_journal = update_journal.read_quietly(sources_dir / candidate.territory_id)
        if live_journal.last_seq != candidate.journal_seq:
            raise PublishConflict(
                "une mise à jour en ligne a été enregistrée depuis la vérification : "
                "recommencez l'import pour en tenir compte (rien n'a été publié)"
            )
        stamp = dt.datetime.now().replace(microsecond=0)
        pub_id = f"{stamp:%Y%m%d-%H%M%S}-{candidate.token[:6]}"
        archive = publications_path() / "archive" / pub_id
        live = sources_dir / candidate.territory_id
        recover_interrupted(sources_dir)
        incoming = sources_dir / f".incoming-{candidate.territory_id}-{pub_id}"
        outgoing = sources_dir / f".outgoing-{candidate.territory_id}-{pub_id}"
        had_previous = live.exists()
        if had_previous:
            shutil.copytree(live, archive / "sources")
        load.remove_stale_temps(warehouse)
        temp = load.temp_path_for(warehouse)
        shutil.copyfile(candidate.database, temp)
        shutil.copytree(candidate.staging / candidate.territory_id, incoming)
        try:
            if live.exists():
                os.rename(live, outgoing)
            os.rename(incoming, live)
            try:
                load.swap_in(temp, warehouse)
            except BaseException:
                os.rename(live, incoming)
                if outgoing.exists():
                    os.rename(outgoing, live)
                raise
        finally:
            temp.unlink(missing_ok=True)
            shutil.rmtree(incoming, ignore_errors=True)
            shutil.rmtree(outgoing, ignore_errors=True)
        record = {
            "id": pub_id,
            "action": action,
            "territory_id": candidate.territory_id,
            "user": user,
            "at": stamp.isoformat(),
            "files": candidate.uploads,
            "counts": _counts(warehouse, candidate.territory_id),
            "warnings": len(candidate.issues.warnings),
            "archive": str(archive.relative_to(publications_path())) if had_previous else None,
            "restored_from": restored_from,
            "journal_base": candidate.journal_base,
        }
        append_journal(record)
    shutil.rmtree(candidate.workdir, ignore_errors=True)
    return record


def recover_interrupted(sources_dir: Path) -> None:
    """After a publication killed between its two source renames: put the old folder back."""
    for leftover in sorted(sources_dir.glob(".outgoing-*")):
        territory = leftover.name.removeprefix(".outgoing-").rsplit("-", 3)[0]
        if not (sources_dir / territory).exists():
            os.rename(leftover, sources_dir / territory)
        else:
            shutil.rmtree(leftover, ignore_errors=True)
    for leftover in sources_dir.glob(".incoming-*"):
        shutil.rmtree(leftover, ignore_errors=True)


def clean_staging(max_age_s: float = STAGING_MAX_AGE_S) -> None:
    staging = publications_path() / "staging"
    if not staging.is_dir():
        return
    now = dt.datetime.now().timestamp()
    for folder in staging.iterdir():
        if now - folder.stat().st_mtime > max_age_s:
            shutil.rmtree(folder, ignore_errors=True)


def discard(candidate: Candidate) -> None:
    shutil.rmtree(candidate.workdir, ignore_errors=True)


def archived_uploads(pub_id: str) -> list[Upload]:
    """The sources that were published before `pub_id`, as uploads (workbook, or CSV files)."""
    folder = publications_path() / "archive" / pub_id / "sources"
    if not folder.is_dir():
        raise FileNotFoundError(f"archive absente pour la publication {pub_id}")
    files = [*sorted(folder.glob("*.xlsx")), *sorted(folder.glob("*.csv"))]
    return [Upload(path.name, path.read_bytes()) for path in files]


def restore(
    pub_id: str, user: str, sources_dir: Path, reference_dir: Path, warehouse: Path
) -> dict:
    """Publish again the sources that `pub_id` replaced, through the same checks as an upload."""
    record = next((r for r in list_publications() if r["id"] == pub_id), None)
    if record is None:
        raise KeyError(pub_id)
    uploads = archived_uploads(pub_id)
    territory_id = record["territory_id"]
    candidate = prepare(
        uploads, territory_id, sources_dir, reference_dir, warehouse, True, {"login": user}
    )
    if not candidate.ok:
        discard(candidate)
        raise ValidationError(candidate.issues)
    return publish(candidate, user, sources_dir, warehouse, "restauration", pub_id)
