"""Calendrier — for directors and officials: when each action is planned, what has slipped."""

from dashboard import queries
from dashboard.ui import calendar, context

territory = context.current_territory()
context.render_page_header("Calendrier", territory)
actions = queries.load_actions(territory.territory_id)
root, year = calendar.select_period(actions)
calendar.render_calendar(territory, actions, root, year)
