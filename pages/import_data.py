"""Importer des données — for the chargés de mission who keep the plan up to date: upload the
workbook, read the report, check what will change, publish; restore a previous version."""

import streamlit as st

from dashboard import auth, importing
from dashboard.ui import context

territory = context.current_territory()
context.render_page_header("Importer des données", territory)
tid = territory.territory_id
user = auth.current_user()

if notice := st.session_state.pop(importing.NOTICE_KEY, None):
    st.success(notice)

st.subheader("Modèle de saisie")
st.caption(
    "Téléchargez le modèle vide, ou les données actuelles du territoire pour les modifier, "
    "puis importez le classeur complété (ou des fichiers CSV, un par feuille)."
)
importing.render_templates(tid)

reason = auth.territory_import_refused(user, territory.siren)
if reason:
    st.warning(reason, icon="🔒")
    st.stop()

files = st.file_uploader(
    "Classeur (.xlsx) ou fichiers CSV du territoire",
    type=["xlsx", "csv"],
    accept_multiple_files=True,
    key="import_files",
)
if files:
    candidate = importing.check_files(files, tid, user)
    importing.render_report(candidate.issues)
    if candidate.ok:
        importing.render_preview(candidate)
        importing.render_publish(candidate, user.login)
    else:
        st.error(
            "Des erreurs bloquantes empêchent la publication : les données publiées restent "
            "inchangées. Corrigez le fichier et importez-le de nouveau."
        )

importing.render_history(tid, user.login)
