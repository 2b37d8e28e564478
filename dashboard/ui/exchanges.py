"""Streamlit pieces of Échanges de données: the SCDL subventions export and the reconciliation
with a funder's file, the projets-territoire export and import, the open-data package
(docs/formats.md). Files are built when clicked. (The « Diaporama (PowerPoint) » button sits
beside the PDF report: dashboard/ui/downloads.py.)"""

from __future__ import annotations

import datetime as dt

import streamlit as st

from dashboard.formats import datapackage, projets_territoire, scdl
from dashboard.formats import upstream as up
from dashboard.formats.common import FormatError, read_upload
from dashboard.ui.downloads import render_downloads
from dashboard.ui.widgets import render_kpis, render_table, safe_text

CSV_MIME = "text/csv"
ZIP_MIME = "application/zip"
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
INCOMPLETE_COLUMNS = [
    ("action", "Action", "text"),
    ("intitule", "Intitulé", "text"),
    ("accorde", "Accordé (€)", "euros"),
    ("manque", "À compléter", "text"),
]


def render_scdl_export(territory: up.Territory, key: str) -> None:
    """Subventions the territory awards, as the SCDL file it must publish."""
    territory, funding = scdl.load_funding(territory.siren)
    lines = scdl.awarded_lines(territory, funding)
    st.markdown(
        f"**{len(lines)} ligne(s) de financement accordées par {safe_text(territory.name)}** "
        "(schéma SCDL *Subventions* 2.1.1). Le bénéficiaire, les conditions et dates de "
        "versement et la notification UE ne sont pas dans le plan : complétez-les par action."
    )
    if lines.empty:
        return
    template = scdl.build_complement_template(lines)
    render_downloads(template, f"complements_scdl_{territory.territory_id}", f"{key}_template")
    siret = st.text_input(
        "SIRET de la collectivité (attribuant)",
        key=f"{key}_siret",
        help=f"14 chiffres, commence par le SIREN {territory.siren}.",
    )
    uploaded = st.file_uploader(
        "Compléments remplis (CSV ou Excel)", type=["csv", "xlsx"], key=f"{key}_complements"
    )
    demo = render_demo_choice(territory, f"{key}_demo")
    if not siret:
        return
    try:
        complements = (
            read_upload(uploaded.getvalue(), uploaded.name) if uploaded is not None else None
        )
        export = scdl.build_scdl_export(territory, funding, siret, complements, demo)
    except FormatError as error:
        st.error(safe_text(str(error)))
        return
    if not export.incomplete.empty:
        st.warning(
            f"{len(export.incomplete)} ligne(s) non publiées tant qu'elles sont incomplètes."
        )
        render_table(export.incomplete, INCOMPLETE_COLUMNS, "scdl_a_completer", f"{key}_missing")
    if export.rows.empty:
        return
    data = export.to_csv()
    errors = scdl.validate_scdl(data)
    if errors:  # cannot happen with a complete export; shown rather than hidden if it does
        st.error("Le fichier ne respecte pas le schéma : " + safe_text("; ".join(errors[:5])))
        return
    st.success(f"{len(export.rows)} subvention(s), fichier conforme au schéma SCDL 2.1.1.")
    st.download_button(
        "Subventions (SCDL, CSV)",
        data,
        f"subventions_{territory.territory_id}_{dt.date.today().isoformat()}.csv",
        CSV_MIME,
        key=f"{key}_download",
    )


def render_scdl_reconciliation(territory: up.Territory, key: str) -> None:
    """A funder's SCDL file compared with the plan's « accordé » amounts."""
    uploaded = st.file_uploader(
        "Fichier SCDL Subventions d'un financeur (CSV)", type=["csv"], key=f"{key}_file"
    )
    if uploaded is None:
        return
    territory, funding = scdl.load_funding(territory.siren)
    data = uploaded.getvalue()
    try:
        rows, errors = scdl.read_scdl(data, uploaded.name)
    except FormatError as error:
        st.error(safe_text(str(error)))
        return
    choices = scdl.funder_choices(funding, territory)
    if not choices:
        st.info("Aucun financeur extérieur dans le plan de ce territoire.")
        return
    guessed = scdl.guess_funder(choices, rows)
    funder = st.selectbox(
        "Financeur du plan comparé au fichier",
        choices,
        index=choices.index(guessed) if guessed in choices else 0,
        key=f"{key}_funder",
    )
    if errors:
        with st.expander(f"{len(errors)} écart(s) au schéma SCDL dans le fichier"):
            st.markdown("\n".join(f"- {safe_text(e)}" for e in errors[:200]))
    lines = funding[(funding["funder"] == funder) & funding["granted"].notna()]
    table = scdl.reconcile(lines, rows, scdl.beneficiary_sirens(territory))
    counts = scdl.summarise(table)
    render_kpis([(label, up.format_number(n), None) for label, n in counts.items()], columns=4)
    render_table(table, scdl.RECONCILE_COLUMNS, "rapprochement_scdl", f"{key}_table")


def render_demo_choice(territory: up.Territory, key: str) -> bool:
    """For a territory with invented values: include them in a file that has no provenance
    field? Off by default; such a file is a trial, not one to publish."""
    if not bool(territory.has_demo_data):
        return False
    return st.checkbox(
        "Inclure les données de démonstration (fichier d'essai, à ne pas publier)",
        key=key,
        help="Ce format ne dit pas la provenance des valeurs : les lignes de démonstration "
        "n'y sont mises que pour un essai.",
    )


def render_projets_export(territory: up.Territory, key: str) -> None:
    """The actions in the Communs' projets-territoire schema (MEC, TeT, Aides-territoires)."""
    demo = render_demo_choice(territory, f"{key}_demo")
    st.download_button(
        "Projets (projets-territoire, CSV)",
        lambda: projets_territoire.export_projets(territory.siren, include_demo=demo)[0],
        f"projets-territoire_{territory.territory_id}_{dt.date.today().isoformat()}.csv",
        CSV_MIME,
        key=key,
        help="Schéma projets-territoire v0.1.0 des Communs de la transition écologique.",
    )


def render_projets_import(territory: up.Territory, key: str) -> None:
    """A projets-territoire file turned into our template's workbook, to publish through
    « Importer des données » (validation, preview and publication stay there)."""
    uploaded = st.file_uploader("Fichier projets-territoire (CSV)", type=["csv"], key=f"{key}_file")
    if uploaded is None:
        return
    try:
        imported = projets_territoire.import_projets(
            uploaded.getvalue(), uploaded.name, territory.siren, territory.name
        )
    except FormatError as error:
        st.error(safe_text(str(error)))
        return
    n = len(imported.sheets["actions"])
    st.success(f"{n} projet(s) convertis en actions, regroupés par programme.")
    for message in imported.errors:
        st.warning(safe_text(message))
    if imported.notes:
        with st.expander("Colonnes non reprises"):
            st.markdown("\n".join(f"- {safe_text(note)}" for note in imported.notes))
    st.download_button(
        "Classeur au modèle du plan (Excel)",
        lambda: projets_territoire.sheets_to_workbook(imported.sheets),
        f"plan_depuis_projets_{territory.territory_id}.xlsx",
        XLSX_MIME,
        key=f"{key}_workbook",
        help="À déposer sur la page « Importer des données » pour le valider et le publier.",
    )


def render_datapackage_download(territory: up.Territory, key: str) -> None:
    """The territory's published data as an open-data package (zip)."""
    st.download_button(
        "Paquet de données ouvertes (CSV + Parquet)",
        lambda: datapackage.build_package_zip(territory.siren),
        f"donnees_{territory.territory_id}_{dt.date.today().isoformat()}.zip",
        ZIP_MIME,
        key=key,
        icon=":material/dataset:",
        help="Data Package frictionless : datapackage.json (schéma documenté, provenance de "
        "chaque ligne), un CSV et un Parquet par table ; lisible par DuckDB et pandas.",
    )


def render_formats_section(territory: up.Territory, key: str = "formats") -> None:
    """Every exchange format of one territory, as tabs (for a page « Échanges de données »)."""
    subsidies, reconcile, projects, package = st.tabs(
        ["Subventions (SCDL)", "Rapprochement financeur", "projets-territoire", "Données ouvertes"]
    )
    with subsidies:
        render_scdl_export(territory, f"{key}_scdl")
    with reconcile:
        render_scdl_reconciliation(territory, f"{key}_reconcile")
    with projects:
        render_projets_export(territory, f"{key}_projets")
        render_projets_import(territory, f"{key}_projets_import")
    with package:
        render_datapackage_download(territory, f"{key}_package")
