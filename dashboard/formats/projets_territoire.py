"""*projets-territoire* (Les Communs de la transition écologique, beta.gouv; Table Schema v0.1.0):
the records Mon Espace Collectivité, Territoires en Transitions and Aides-territoires share.

Export: one row per action. Import: a projets-territoire CSV becomes the sheets of our plan
template (territoire, plan, actions, budget), grouped under one first-level item per
programme, ready for the ETL. The mapping, field by field, is in docs/formats.md."""

from __future__ import annotations

import io
import json
import re
import uuid
from dataclasses import dataclass, field

import pandas as pd

from dashboard.formats import upstream as up
from dashboard.formats.common import (
    FormatError,
    neutralise,
    read_upload,
    schema_fields,
    to_csv_bytes,
    validate_csv,
)

SCHEMA = "projets-territoire"
# Our ids are stable: the same action gets the same UUID at every export.
NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://pilotage-territorial/actions")
UUID_PATTERN = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.I)
# Our status -> phaseStatut. « À venir » has no counterpart: left empty (the phase has not
# started); a late « En cours » is « En retard » (lateness is derived from the planned end).
STATUS_TO_PHASE = {
    "En cours": "En cours",
    "Réalisé": "Terminé",
    "En pause": "En pause",
    "Bloqué": "Bloqué",
    "Abandonné": "Abandonné",
    "À venir": "",
}
PHASE_TO_STATUS = {
    "En cours": "En cours",
    "En retard": "En cours",
    "Terminé": "Réalisé",
    "En pause": "En pause",
    "Bloqué": "Bloqué",
    "Abandonné": "Abandonné",
    "": "",
}
NO_PROGRAMME = "Sans programme"
# Columns of the schema our template has no place for: reported, never dropped silently.
NOT_KEPT = {
    "createdAt": "date de création (la base date elle-même ses instantanés)",
    "updatedAt": "date de mise à jour (idem)",
    "phase": "phase (Idée / Étude / Opération) : pas de champ équivalent",
    "porteurCodeSiret": "SIRET du porteur : pas de champ équivalent",
    "porteurReferentEmail": "contact du référent (donnée personnelle) : non repris",
    "porteurReferentTelephone": "contact du référent (donnée personnelle) : non repris",
    "porteurReferentPrenom": "nom du référent : non repris",
    "porteurReferentNom": "nom du référent : non repris",
    "porteurReferentFonction": "fonction du référent : non reprise",
    "competences": "compétences M57 : pas de champ équivalent",
    "mecId": "identifiant Mon Espace Collectivité : non repris",
    "tetId": "identifiant Territoires en Transitions : non repris",
    "recocoId": "identifiant Recoco : non repris",
    "collectiviteIds": "identifiants des collectivités : non repris",
}
BUDGET_SOURCE = "budgetPrevisionnel (année du début prévu ; section Investissement supposée)"


def _iso_instant(value: object) -> str:
    stamp = pd.Timestamp(value)
    if stamp.tzinfo is None:
        stamp = stamp.tz_localize("UTC")
    return stamp.tz_convert("UTC").strftime("%Y-%m-%dT%H:%M:%SZ")


def action_uuid(action_id: str, code: str) -> str:
    """An action imported from the schema keeps its UUID (its code); ours get a stable one."""
    return code.lower() if UUID_PATTERN.match(code) else str(uuid.uuid5(NAMESPACE, action_id))


def phase_status(status: str, status_given: bool, is_late: bool) -> str:
    if not status_given:
        return ""  # non renseigné in the source
    if status == "En cours" and is_late:
        return "En retard"
    return STATUS_TO_PHASE.get(status, "")


def build_projets_rows(
    actions: pd.DataFrame, built_at: object, porteur_siret: str | None = None
) -> pd.DataFrame:
    """projets-territoire rows (strings) of the rows of projets_actions.sql."""
    rows = []
    for a in actions.itertuples(index=False):
        created = a.first_seen if not pd.isna(a.first_seen) else built_at
        updated = a.last_changed if not pd.isna(a.last_changed) else created
        themes = [] if a.themes is None or len(a.themes) == 0 else [str(t) for t in a.themes]
        rows.append(
            {
                "id": action_uuid(a.action_id, a.code),
                "createdAt": _iso_instant(created),
                "updatedAt": _iso_instant(max(pd.Timestamp(created), pd.Timestamp(updated))),
                "nom": neutralise(a.title),
                "description": neutralise(a.description),
                "budgetPrevisionnel": ""
                if pd.isna(a.budget_planned)
                else str(round(float(a.budget_planned))),
                "dateDebutPrevisionnelle": ""
                if pd.isna(a.planned_start)
                else pd.Timestamp(a.planned_start).date().isoformat(),
                "phase": "",
                "phaseStatut": phase_status(a.status, bool(a.status_given), bool(a.is_late)),
                "programme": "" if pd.isna(a.programme) else neutralise(a.programme),
                "porteurCodeSiret": porteur_siret or "",
                "leviers": json.dumps(themes, ensure_ascii=False)  # starts with [
                if themes
                else "",
            }
        )
    frame = pd.DataFrame(rows, columns=schema_fields(SCHEMA))
    return frame.fillna("")


def export_projets(
    territory_key: str, porteur_siret: str | None = None, include_demo: bool = False
) -> tuple[bytes, list[str]]:
    """The territory's actions as a projets-territoire CSV (UTF-8, comma), and the codes of the
    demo actions left out: the schema has no provenance field, so invented values are shared
    only when `include_demo` (a trial)."""
    territory = up.find_territory(territory_key)
    if porteur_siret and not re.fullmatch(r"\d{14}", porteur_siret):
        raise FormatError(f"SIRET du porteur « {porteur_siret} » : 14 chiffres attendus.")
    if porteur_siret and not porteur_siret.startswith(str(territory.siren)):
        raise FormatError(f"Le SIRET {porteur_siret} n'est pas du SIREN {territory.siren}.")
    actions = up.run_sql("projets_actions", territory=territory.territory_id)
    withheld = [] if include_demo else list(actions.loc[actions["is_demo"], "code"])
    if not include_demo:
        actions = actions[~actions["is_demo"]]
    info = up.queries.load_build_info()
    built = info["built_at"].iloc[0] if not info.empty else pd.Timestamp.now()
    rows = build_projets_rows(actions, built, porteur_siret)
    return to_csv_bytes(rows, schema_fields(SCHEMA)), withheld


@dataclass
class ProjetsImport:
    """A projets-territoire file converted to our template's sheets, with its report."""

    sheets: dict[str, pd.DataFrame]
    errors: list[str] = field(default_factory=list)  # schema errors and rows not imported
    notes: list[str] = field(default_factory=list)  # columns whose values are not kept


def _list_cell(text: str, row: int, column: str, errors: list[str]) -> list[str]:
    if not text:
        return []
    try:
        values = json.loads(text)
    except json.JSONDecodeError:
        errors.append(f"ligne {row}, colonne « {column} » : liste JSON illisible ({text[:60]})")
        return []
    return [str(v) for v in values] if isinstance(values, list) else [str(values)]


def convert_projets(
    frame: pd.DataFrame, siren: str, name: str, source: str, schema_errors: list[str] | None = None
) -> ProjetsImport:
    """Rows of a projets-territoire file -> sheets territoire, plan, actions, budget."""
    errors = list(schema_errors or [])
    missing = [c for c in ("id", "nom") if c not in frame.columns]
    if missing:
        raise FormatError(
            f"{source} : colonnes projets-territoire absentes : {', '.join(missing)}."
        )
    programmes: dict[str, str] = {}
    actions, budget, seen = [], [], set()
    for index, row in frame.iterrows():
        line = index + 2
        title = row.get("nom", "").strip()
        code = row.get("id", "").strip().lower()
        if not title or not code:
            errors.append(f"ligne {line} : projet sans nom ou sans id, non importé")
            continue
        if code in seen:
            errors.append(f"ligne {line} : id {code} en double, non importé")
            continue
        seen.add(code)
        programme = row.get("programme", "").strip() or NO_PROGRAMME
        parent = programmes.setdefault(programme, f"PRG{len(programmes) + 1}")
        phase = row.get("phaseStatut", "").strip()
        if phase not in PHASE_TO_STATUS:
            errors.append(f"ligne {line}, colonne « phaseStatut » : « {phase} » inconnu, ignoré")
        themes = _list_cell(row.get("leviers", ""), line, "leviers", errors)
        start = row.get("dateDebutPrevisionnelle", "").strip()
        actions.append(
            {
                "code": code,
                "code_parent": parent,
                "intitule": title,
                "description": row.get("description", "").strip(),
                "statut": PHASE_TO_STATUS.get(phase, ""),
                "debut_prevu": start,
                "thematiques": " | ".join(themes),
                "source": source,
            }
        )
        amount = row.get("budgetPrevisionnel", "").strip()
        if amount:
            if re.fullmatch(r"\d{4}-\d{2}-\d{2}", start):
                budget.append(
                    {
                        "action": code,
                        "annee": start[:4],
                        "section": "Investissement",
                        "sens": "Dépense",
                        "prevu": amount,
                        "source": f"{source} : {BUDGET_SOURCE}",
                    }
                )
            else:
                errors.append(
                    f"ligne {line} : budgetPrevisionnel {amount} non repris "
                    "(pas de date de début prévue pour le placer dans une année)"
                )
    notes = []
    for column, reason in NOT_KEPT.items():
        if column in frame.columns:
            filled = int((frame[column].astype(str).str.strip() != "").sum())
            if filled:
                notes.append(f"colonne « {column} » ({filled} valeurs) : {reason}")
    extra = [c for c in frame.columns if c not in schema_fields(SCHEMA)]
    notes += [f"colonne « {c} » hors schéma : ignorée" for c in extra]
    plan = pd.DataFrame(
        [
            {"code": code, "code_parent": "", "niveau": "programme", "intitule": label}
            for label, code in programmes.items()
        ],
        columns=["code", "code_parent", "niveau", "intitule"],
    )
    territoire = pd.DataFrame(
        [{"siren": siren, "nom": name, "type": "EPCI", "source": source, "description": ""}]
    )
    sheets = {
        "territoire": territoire,
        "plan": plan,
        "actions": pd.DataFrame(
            actions,
            columns=[
                "code",
                "code_parent",
                "intitule",
                "description",
                "statut",
                "debut_prevu",
                "thematiques",
                "source",
            ],
        ),
        "budget": pd.DataFrame(
            budget, columns=["action", "annee", "section", "sens", "prevu", "source"]
        ),
    }
    return ProjetsImport(sheets, errors, notes)


def import_projets(data: bytes, filename: str, siren: str, name: str) -> ProjetsImport:
    """A projets-territoire CSV, validated against the schema, converted to our sheets."""
    frame = read_upload(data, filename)
    return convert_projets(frame, siren, name, filename, validate_csv(data, SCHEMA))


def sheets_to_csv(sheets: dict[str, pd.DataFrame]) -> dict[str, bytes]:
    """Each sheet as the template's CSV file (`;`, UTF-8), for data/sources/<dossier>/ and the
    ETL (which reads text as text); people get the workbook."""
    return {
        f"{sheet}.csv": frame.to_csv(sep=";", index=False, lineterminator="\n").encode("utf-8")
        for sheet, frame in sheets.items()
    }


def sheets_to_workbook(sheets: dict[str, pd.DataFrame]) -> bytes:
    """The sheets as one Excel workbook of our template: every cell text, never a formula."""
    out = io.BytesIO()
    options = {"strings_to_formulas": False, "strings_to_urls": False}
    with pd.ExcelWriter(out, engine="xlsxwriter", engine_kwargs={"options": options}) as writer:
        for sheet, frame in sheets.items():
            frame.to_excel(writer, sheet_name=sheet, index=False)
    return out.getvalue()
