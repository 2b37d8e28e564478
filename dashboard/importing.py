"""The import page's pieces: report, preview and history frames (pure), and their rendering."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pandas as pd
import streamlit as st

from dashboard import auth
from dashboard.db import warehouse_path, warehouse_version
from dashboard.formatting import format_datetime, format_euros, format_number
from dashboard.ui.downloads import render_downloads
from dashboard.ui.widgets import render_kpis
from etl import pipeline, publish
from etl.issues import ERROR, WARNING, IssueList, ValidationError
from etl.template import write_filled_template, write_template

CANDIDATE_KEY = "import_candidate"
NOTICE_KEY = "import_notice"
REPORT_COLUMNS = {
    "gravite": "Gravité",
    "fichier": "Fichier",
    "feuille": "Feuille",
    "ligne": "Ligne",
    "colonne": "Colonne",
    "valeur": "Valeur",
    "message": "Message",
}
TOTALS = [
    ("plan_items", "Éléments du plan", format_number),
    ("actions", "Actions", format_number),
    ("budget", "Budget prévu (dépenses)", format_euros),
    ("granted", "Financements accordés", format_euros),
    ("followups", "Notes de suivi", format_number),
]
CHANGES = ("ajoutée", "supprimée", "modifiée")


def build_report(issues: IssueList) -> pd.DataFrame:
    """One row per finding, errors first, French headers."""
    rows = [issue.as_dict() for issue in issues.errors + issues.warnings]
    frame = pd.DataFrame(rows, columns=list(REPORT_COLUMNS))
    frame["gravite"] = frame["gravite"].map({ERROR: "Erreur"}).fillna("Avertissement")
    frame["ligne"] = frame["ligne"].astype("Int64")
    for column in ("fichier", "feuille", "colonne", "valeur"):
        frame[column] = frame[column].fillna("")
    return frame.rename(columns=REPORT_COLUMNS)


def filter_report(report: pd.DataFrame, kinds: list[str], messages: list[str]) -> pd.DataFrame:
    """Rows of the chosen severities and messages; an empty choice keeps everything."""
    keep = pd.Series(True, index=report.index)
    if kinds:
        keep &= report["Gravité"].isin(kinds)
    if messages:
        keep &= report["Message"].isin(messages)
    return report[keep]


def build_totals(totals: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for column, label, fmt in TOTALS:
        before, after = totals.loc["old", column], totals.loc["new", column]
        delta = (0 if pd.isna(after) else after) - (0 if pd.isna(before) else before)
        rows.append((label, fmt(before), fmt(after), ("+" if delta > 0 else "") + fmt(delta)))
    return pd.DataFrame(rows, columns=["", "Publié", "Après import", "Écart"])


def build_changes(changes: pd.DataFrame) -> pd.DataFrame:
    return changes.rename(
        columns={"code": "Code", "title": "Action", "change": "Changement", "details": "Détail"}
    )[["Changement", "Code", "Action", "Détail"]]


def build_history(records: list[dict]) -> pd.DataFrame:
    rows = [
        {
            "Publication": r["id"],
            "Nature": r["action"],
            "Date": format_datetime(pd.Timestamp(r["at"])),
            "Par": r["user"],
            "Fichiers": ", ".join(f["name"] for f in r["files"]),
            "Empreinte SHA-256": ", ".join(f["sha256"][:16] + "…" for f in r["files"]),
            "Actions": r["counts"].get("actions"),
            "Avertissements": r["warnings"],
        }
        for r in records
    ]
    return pd.DataFrame(rows)


@st.cache_data(max_entries=1, show_spinner=False)
def load_template_bytes() -> bytes:
    """The empty template; refreshes only with the server (it depends on the code alone)."""
    with tempfile.TemporaryDirectory() as folder:
        return write_template(Path(folder) / "modele.xlsx").read_bytes()


@st.cache_data(max_entries=8, show_spinner=False)
def load_filled_workbook(territory_id: str, version: str | None) -> bytes:
    """The territory's published sources as a workbook; refreshes with each publication."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "plan.xlsx"
        return write_filled_template(publish.sources_path() / territory_id, path).read_bytes()


def render_templates(territory_id: str) -> None:
    left, right = st.columns(2)
    left.download_button(
        "Modèle vide (.xlsx)", load_template_bytes(), "modele_plan_territorial.xlsx", key="tpl"
    )
    if (publish.sources_path() / territory_id).is_dir():
        right.download_button(
            "Données actuelles du territoire (.xlsx)",
            load_filled_workbook(territory_id, warehouse_version()),
            f"plan_{territory_id}.xlsx",
            key="tpl_filled",
            on_click="ignore",
        )


def check_files(files: list, territory_id: str, user: auth.User | None = None) -> publish.Candidate:
    """Stage and check the uploaded files, once per distinct set of files (kept in the session):
    each upload is read once by the ETL, and a refused one leaves nothing in the staging area
    (`publish.prepare` never raises on bad input)."""
    uploads = [publish.Upload(f.name, f.getvalue()) for f in files]
    signature = (territory_id, tuple((u.name, len(u.data), hash(u.data)) for u in uploads))
    kept = st.session_state.get(CANDIDATE_KEY)
    if kept and kept[0] == signature:
        return kept[1]
    if kept:
        publish.discard(kept[1])
    with st.spinner("Vérification et construction d'une base d'essai…"):
        author = {"login": user.login, "name": user.name, "email": user.email} if user else None
        candidate = publish.prepare(
            uploads,
            territory_id,
            publish.sources_path(),
            pipeline.REFERENCE_DIR,
            warehouse_path(),
            author=author,
        )
    st.session_state[CANDIDATE_KEY] = (signature, candidate)
    return candidate


def render_report(issues: IssueList) -> None:
    st.subheader("Rapport de vérification")
    render_kpis(
        [
            ("Erreurs bloquantes", format_number(issues.error_count), None),
            ("Avertissements", format_number(issues.warning_count), None),
        ],
        columns=2,
    )
    if not issues.items:
        st.success("Aucune erreur ni avertissement.")
        return
    report = build_report(issues)
    omitted = [text for text in (issues.omitted_text(ERROR), issues.omitted_text(WARNING)) if text]
    if omitted:
        st.caption(
            f"Le rapport montre les {format_number(issues.limit)} premières erreurs et les "
            f"{format_number(issues.limit)} premiers avertissements ; "
            + " ; ".join(omitted)
            + " (même cause le plus souvent : corrigez les premières et vérifiez de nouveau)."
        )
    left, right = st.columns(2)
    kinds = left.multiselect(
        "Gravité", ["Erreur", "Avertissement"], key="report_severity", placeholder="Toutes"
    )
    messages = right.multiselect(
        "Message", sorted(report["Message"].unique()), key="report_msg", placeholder="Tous"
    )
    shown = filter_report(report, kinds, messages)
    st.dataframe(shown, hide_index=True, key="import_report")
    render_downloads(shown, "rapport_import", "report_export")


def render_preview(candidate: publish.Candidate) -> None:
    st.subheader("Ce qui changera")
    changes = candidate.changes
    render_kpis(
        [
            (f"Actions {c}s", format_number(int((changes["change"] == c).sum())), None)
            for c in CHANGES
        ],
        columns=3,
    )
    st.dataframe(build_totals(candidate.totals), hide_index=True, key="import_totals")
    if changes.empty:
        st.info("Aucune action ajoutée, supprimée ni modifiée.")
    else:
        st.dataframe(build_changes(changes), hide_index=True, key="import_changes")


def render_publish(candidate: publish.Candidate, user_login: str) -> None:
    if st.button("Publier ces données", type="primary", key="import_publish"):
        try:
            record = publish.publish(
                candidate, user_login, publish.sources_path(), warehouse_path()
            )
        except publish.PublishConflict as exc:
            st.error(f"Publication refusée : {exc}.")
            return
        auth.record(
            "import", auth.current_user(), who=user_login,
            territory=record["territory_id"], publication=record["id"],
        )  # fmt: skip
        st.session_state.pop(CANDIDATE_KEY, None)
        st.session_state[NOTICE_KEY] = (
            f"Données publiées ({record['id']}) : {format_number(record['counts']['actions'])} "
            "actions. Les tableaux de bord ouverts les afficheront à leur prochaine interaction."
        )
        st.rerun()


def render_history(territory_id: str, user_login: str) -> None:
    st.subheader("Historique des publications")
    records = publish.list_publications(territory_id)
    if not records:
        st.caption("Aucune publication depuis l'application pour ce territoire.")
        return
    st.dataframe(build_history(records), hide_index=True, key="import_history")
    restorable = [r["id"] for r in records if r.get("archive")]
    if not restorable:
        return
    chosen = st.selectbox(
        "Restaurer les données d'avant la publication", restorable, key="restore_choice"
    )
    if st.button("Restaurer", key="restore"):
        try:
            with st.spinner("Restauration…"):
                record = publish.restore(
                    chosen,
                    user_login,
                    publish.sources_path(),
                    pipeline.REFERENCE_DIR,
                    warehouse_path(),
                )
        except (ValidationError, publish.PublishConflict) as exc:
            st.error(f"Restauration impossible : {exc}.")
            return
        auth.record(
            "restore", auth.current_user(), who=user_login,
            territory=record["territory_id"], publication=record["id"], restored=chosen,
        )  # fmt: skip
        st.session_state[NOTICE_KEY] = f"Version d'avant {chosen} restaurée ({record['id']})."
        st.rerun()
