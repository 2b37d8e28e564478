"""Mode commission — for elected officials on a projector: one topic per screen, printable.

The agenda (« Ordre du jour », `?ordre=`) chooses the points and their order; arrow keys (← →)
or the buttons move between screens; `?ecran=` keeps the screen in the URL."""

from dashboard.commission import build_screens
from dashboard.ui import commission, context

territory = context.current_territory()
commission.apply_projector_style()
data = commission.load_commission_data(territory)
screens = build_screens(data, commission.select_agenda(data))
index = commission.select_commission_screen(screens, territory.siren, data)
screen = screens[index]
commission.render_commission_header(territory, screen, index, len(screens), data.provenance_notice)
commission.render_screen(territory, data, screen)
