"""Mes actions — for a chargé de mission on Monday morning: my actions, most urgent first."""

from dashboard import auth, queries
from dashboard.ui import context, my_actions

territory = context.current_territory()
context.render_page_header("Mes actions", territory)
actions = queries.load_actions(territory.territory_id)
pilot = my_actions.select_pilot(actions)
my_actions.render_my_actions(territory, actions, pilot)
my_actions.render_my_update(territory, actions, pilot, auth.current_user())
