"""Résumés par courriel — for the editors of a territory: the weekly digest each pilot and each
director receives, previewed before cron sends it, and who has opted out; for anyone who
receives one: their own digest and their choice to receive it (also by the signed link of each
message)."""

import streamlit as st

from dashboard.ui import context, digest

territory = context.current_territory()
context.render_page_header("Résumés par courriel", territory)
settings = digest.get_settings()
if digest.render_unsubscribe_link(territory, settings):
    st.stop()

viewer = digest.get_viewer(territory)
digests = digest.load_digests(territory, settings, viewer)
chosen = digest.select_digest(digests, viewer)
if chosen is not None:
    digest.render_preview(chosen, settings)
    digest.render_test_send(chosen, settings, viewer)
digest.render_receive_choice(
    chosen.recipient.address if chosen else viewer.address, viewer, territory
)
if viewer.is_editor and digests:
    digest.render_recipients(digests)
