"""Qualité des données — for those who maintain the plan: what is missing or out of date, who and
which part of the plan it concerns, and where every loaded figure comes from."""

from dashboard.ui import context, quality

territory = context.current_territory()
context.render_page_header("Qualité des données", territory)
quality.render_quality(territory)
quality.render_provenance(territory)
