"""Updating an action from the browser: who may, what is checked, and the save itself.

A save is checked here, on the server (never only by hiding a button): the person's role on
the territory, then whether a contributor pilots the action (their e-mail is the action's pilot
e-mail, or their service for that territory is its pilot service). The values go through the
template's parsers and rules, then under the territory's journal lock the journal is read again:
a change of the same action made since the version the person saw refuses the save with what
the other person did. The entry is appended (fsync) to `mises_a_jour.jsonl` and published by the
ETL's own build, swapped in atomically; a person saving more than `SAVES_PER_MINUTE` times a
minute is asked to wait. No Streamlit here besides `auth`'s role lookup.
"""

from __future__ import annotations

import datetime as dt
import math
import time
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from dashboard import auth, sessions
from etl import pipeline, publish, update_journal
from etl.issues import ValidationError
from etl.load import LoadCheckError
from etl.update_journal import LOCAL_ZONE, UPDATABLE, Entry

RANK = auth.RANK
# Each save rebuilds the warehouse (about 1,5 s of a core): a person may save this many times
# per minute, on every process of the deployment together; more is refused, nothing written.
SAVES_PER_MINUTE = 6
# Warehouse column of each updatable template field.
COLUMNS = {name: column for name, (column, _) in UPDATABLE.items()}


@dataclass
class SaveResult:
    ok: bool
    message: str
    seq: int | None = None
    conflicts: list[str] = field(default_factory=list)
    published: bool = False
    seconds: float = 0.0


def _fold(text: object) -> str:
    return " ".join(str(text or "").split()).casefold()


def update_refused(user: auth.User | None, siren: str, action: dict) -> str | None:
    """Why `user` may not update `action` (its published row) of the territory of SIREN
    `siren`, in French; None when they may."""
    if user is None:
        return "Connectez-vous pour mettre à jour une action."
    rank = RANK.get(auth.role_for(user, siren) or "", 0)
    if rank >= RANK["editor"]:
        return None
    if rank < RANK["contributor"]:
        return (
            "Votre compte est en lecture seule sur ce territoire : la mise à jour des actions "
            "est réservée à leurs pilotes (contributeurs) et aux éditeurs."
        )
    email = _fold(user.email)
    service = _fold(user.services.get(siren) or user.services.get(auth.ALL))
    if email and email == _fold(action.get("pilot_email")):
        return None
    if service and service == _fold(action.get("pilot_service")):
        return None
    return (
        "Vous êtes contributeur de ce territoire, mais cette action n'est ni à votre nom "
        "(pilote) ni à votre service : seuls son pilote, son service pilote et les éditeurs "
        "peuvent la mettre à jour."
    )


ACTION_SQL = """
select a.code, a.status, a.progress, a.actual_start, a.actual_end, a.pilot_email,
       a.pilot_service, a.pilot_name, a.title,
       coalesce((select max(h.seq) from w.action_history as h
                 where h.action_id = a.action_id and h.field <> 'note'), 0) as version
from w.actions as a
where a.territory_id = $territory and a.code = $code
"""


def published_action(warehouse: Path, territory_id: str, code: str) -> dict | None:
    """The action as published now (a fresh read of the file, never a cache), with its
    version: the journal position of its latest change."""
    try:
        with publish.attached(w=warehouse) as con:
            frame = con.execute(ACTION_SQL, {"territory": territory_id, "code": code}).df()
    except duckdb.Error:
        return None
    if frame.empty:
        return None
    row = frame.iloc[0].to_dict()
    for name in ("actual_start", "actual_end"):
        value = row[name]
        row[name] = None if value is None or value != value else value.date()
    if row["progress"] != row["progress"]:
        row["progress"] = None
    row["version"] = int(row["version"])
    return row


def template_values(action: dict) -> dict[str, object]:
    """The updatable fields of a published action, by template column."""
    return {name: action.get(column) for name, column in COLUMNS.items()}


def _same(name: str, left: object, right: object) -> bool:
    try:
        return update_journal.parse_value(name, left) == update_journal.parse_value(name, right)
    except ValueError:
        return False


def describe_entry(entry: Entry, code: str) -> str:
    """« Camille Martin, le 02/12/2026 à 00:45 (en ligne) : statut À venir → En cours »."""
    local = entry.at.astimezone(LOCAL_ZONE)
    origin = "en ligne" if entry.kind == "update" else "par import"
    labels = {**update_journal.TRACKED}
    parts = [
        f"{labels[name][1].lower()} {update_journal.display_value(name, before) or 'non renseigné'}"
        f" → {update_journal.display_value(name, after) or 'non renseigné'}"
        for name, (before, after) in entry.action_changes().get(code, {}).items()
    ]
    return f"{entry.author_name}, le {local:%d/%m/%Y à %H:%M} ({origin}) : " + ", ".join(parts)


def conflicting_entries(journal: update_journal.Journal, code: str, base: int) -> list[Entry]:
    """Changes of action `code` written after position `base` (what the person saw)."""
    return [e for e in journal.entries if e.seq > base and e.action_changes().get(code)]


def check_values(values: dict[str, object], note: dict | None) -> list[str]:
    """The template's rules, with its French messages; empty when the values may be saved."""
    problems = []
    for name, value in values.items():
        try:
            update_journal.parse_value(name, value)
        except ValueError as exc:
            problems.append(f"{UPDATABLE[name][1]} : {exc}")
    if not problems and (order := update_journal.check_date_order(values)):
        problems.append(order)
    if note is not None:
        try:
            update_journal.check_note(note)
        except ValueError as exc:
            problems.append(f"Note : {exc}")
    return problems


def _json(value: object) -> object:
    return value.isoformat() if isinstance(value, dt.date) else value


def save_update(
    user: auth.User | None,
    territory_id: str,
    siren: str,
    code: str,
    base_version: int,
    seen: dict[str, object],
    values: dict[str, object],
    note: dict | None = None,
    sources_dir: Path | None = None,
    reference_dir: Path = pipeline.REFERENCE_DIR,
    warehouse: Path | None = None,
) -> SaveResult:
    """Check, journal and publish one update of action `code`.

    `base_version` and `seen` are what the form was made from (the action's version and its
    updatable values); `values` the new values by template column (statut, avancement,
    debut_reel, fin_reelle); `note` {type, text, meteo, raison} or None."""
    from dashboard.db import warehouse_path

    started = time.perf_counter()
    sources_dir = sources_dir or publish.sources_path()
    warehouse = warehouse or warehouse_path()
    action = published_action(warehouse, territory_id, code)
    if action is None:
        return SaveResult(False, f"Action « {code} » introuvable dans les données publiées.")
    refusal = update_refused(user, siren, action)
    if refusal:
        auth.record("action_update_refused", user, territory=territory_id, action=code)
        return SaveResult(False, refusal)
    published = template_values(action)
    changes = {
        name: [_json(published[name]), _json(value)]
        for name, value in values.items()
        if name in UPDATABLE and not _same(name, published[name], value)
    }
    note = note if note and (note.get("text") or "").strip() else None
    if not changes and note is None:
        return SaveResult(False, "Rien à enregistrer : aucun champ modifié et pas de note.")
    problems = check_values({**published, **values}, note)
    if problems:
        return SaveResult(False, "Mise à jour refusée : " + " ; ".join(problems) + ".")
    wait = sessions.take_turn(f"save:{user.login}", SAVES_PER_MINUTE, 60.0)
    if wait > 0:
        auth.record(
            "action_update_refused", user, territory=territory_id, action=code, reason="throttled"
        )
        return SaveResult(
            False,
            f"Trop d'enregistrements en une minute ({SAVES_PER_MINUTE} au plus) : rien n'a été "
            f"enregistré, réessayez dans {math.ceil(wait)} s.",
        )
    folder = sources_dir / territory_id
    with update_journal.journal_lock(sources_dir, territory_id):
        journal = update_journal.read_quietly(folder)
        if changes:
            others = conflicting_entries(journal, code, base_version)
            described = [describe_entry(e, code) for e in others]
            moved = [
                f"{UPDATABLE[n][1].lower()} publié : "
                f"{update_journal.display_value(n, published[n]) or 'non renseigné'}"
                for n in UPDATABLE
                if n in seen and not _same(n, seen[n], published[n])
            ]
            if described or moved:
                return SaveResult(
                    False,
                    "Cette action a été modifiée pendant que vous la mettiez à jour ; vos "
                    "changements n'ont pas été enregistrés (rien n'est écrasé). Rechargez la "
                    "fiche pour repartir de la version à jour.",
                    conflicts=described or moved,
                )
        seq = journal.last_seq + 1
        author = {"login": user.login, "name": user.name, "email": user.email}
        record = update_journal.new_record(
            "update", seq, author, action=code, base=base_version, changes=changes
        )
        if note is not None:
            record["note"] = update_journal.check_note(note)
        update_journal.append(folder, record)
    auth.record("action_update", user, territory=territory_id, action=code, seq=seq)
    try:
        pipeline.run_build(sources_dir, reference_dir, warehouse)
    except ValidationError as exc:
        first = exc.issues.errors[0] if exc.issues.errors else None
        return SaveResult(
            False,
            "Mise à jour enregistrée dans le journal mais publication refusée par les "
            f"contrôles : {first} — elle sera publiée à la prochaine construction réussie.",
            seq,
        )
    except LoadCheckError as exc:
        return SaveResult(
            False, f"Mise à jour enregistrée dans le journal, publication en échec : {exc}.", seq
        )
    return SaveResult(
        True, "Mise à jour enregistrée et publiée.", seq, [], True, time.perf_counter() - started
    )
