"""Download buttons: a table as CSV / Excel, the Rapport de commission (PDF), the whole plan
(Excel). Every file is built when clicked, never at each rerun."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd
import streamlit as st

from dashboard import auth, commission_report, exports, journal
from dashboard.exports import to_csv_bytes, to_excel_bytes
from dashboard.formats import deck
from dashboard.territory import Territory

PDF_MIME = "application/pdf"
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True)
class ExportContext:
    """Who exports, from where, which territory: read in the script run, once per set of
    buttons (the file is made later, in Streamlit's download thread, with no session)."""

    login: str | None
    provider: str | None
    address: str | None
    territory: str | None


def export_context() -> ExportContext:
    user = auth.current_user()
    return ExportContext(
        user.login if user else None,
        user.provider if user else None,
        auth.client_address(),
        st.session_state.get("territory_siren"),
    )


def journalled(
    build: Callable[[], bytes | str], file_name: str, context: ExportContext | None = None
) -> Callable[[], bytes | str]:
    """`build`, journalled when the file is made (who, when, which file, which territory: #24).

    The buttons do not rerun the app on click (`on_click="ignore"`): a rerun then would drop
    the file being made (its id is renewed at every run), and the browser would wait for a
    download that never comes."""
    context = context or export_context()

    def build_and_record() -> bytes | str:
        content = build()
        journal.record(
            "export",
            context.login,
            context.provider,
            context.address,
            file=file_name,
            territory=context.territory,
        )
        return content

    return build_and_record


def render_downloads(frame: pd.DataFrame, basename: str, key: str) -> None:
    left, right = st.columns(2)
    context = export_context()
    # Files built on click: writing them at every rerun was a third of a page's run (Excel)
    # and a few percent of the server's CPU per new session (CSV).
    for column, label, builder, suffix, mime in (
        (left, "Télécharger (CSV)", to_csv_bytes, "csv", "text/csv"),
        (right, "Télécharger (Excel)", to_excel_bytes, "xlsx", XLSX_MIME),
    ):
        name = f"{basename}.{suffix}"
        column.download_button(
            label,
            journalled(functools.partial(builder, frame), name, context),
            name,
            mime,
            key=f"{key}_{suffix}",
            on_click="ignore",
        )


def render_file_download(
    label: str, build, name: str, mime: str, key: str, icon: str, help_text: str, container=st
) -> None:
    """A download button whose file is built when clicked (`build()`), journalled."""
    container.download_button(
        label,
        journalled(build, name),
        name,
        mime,
        key=key,
        on_click="ignore",
        icon=icon,
        help=help_text,
    )


def render_report_download(
    territory: Territory, scope: commission_report.ReportScope, key: str, container=st
) -> None:
    """One click: the Rapport de commission (PDF) of `scope`, made when clicked (a few seconds).

    The data is read in the script run (cached loaders); the callable only draws the charts and
    prints, in Streamlit's download thread, so the page does not wait for it."""
    today = dt.date.today()
    data = commission_report.build_report_data(territory, scope, today)
    render_file_download(
        "Rapport de commission (PDF)",
        lambda: commission_report.render_report_pdf(data),
        commission_report.report_filename(territory, scope, today),
        PDF_MIME,
        key,
        ":material/picture_as_pdf:",
        f"Périmètre : {data.scope_label}. Couverture, synthèse, indicateurs, graphiques, "
        "actions en retard, changements depuis le point d'étape précédent et financements.",
        container,
    )


def render_deck_download(
    territory: Territory, scope: commission_report.ReportScope, key: str, container=st
) -> None:
    """One click: the Diaporama de commission (PowerPoint) of `scope`, editable, made when
    clicked. Put it beside `render_report_download` (same territory, scope, container)."""
    today = dt.date.today()
    data = commission_report.build_report_data(territory, scope, today)
    render_file_download(
        "Diaporama (PowerPoint)",
        lambda: deck.build_deck_from_data(data),
        deck.deck_filename(territory, scope, today),
        deck.PPTX_MIME,
        key,
        ":material/slideshow:",
        f"Périmètre : {data.scope_label}. Une diapositive par écran du mode commission, "
        "graphiques et tableaux modifiables, au modèle de la collectivité.",
        container,
    )


def render_plan_workbook_download(territory: Territory, key: str, container=st) -> None:
    """One Excel workbook with every table of the territory's plan, one sheet each."""
    render_file_download(
        "Exporter tout le plan (Excel)",
        lambda: exports.build_plan_workbook(territory.territory_id),
        f"plan_{territory.territory_id}_{dt.date.today().isoformat()}.xlsx",
        XLSX_MIME,
        key,
        ":material/table_view:",
        "Feuilles : actions, plan, lignes de budget, lignes de financement, contrats, "
        "résultats, mesures.",
        container,
    )
