"""Mode commission — for elected officials on a projector: one topic per screen, printable.

Arrow keys (← →) or the buttons move between screens; `?ecran=` keeps the screen in the URL."""

from dashboard.ui import commission, context

territory = context.current_territory()
commission.apply_projector_style()
screens = commission.load_screens(territory)
index = commission.select_commission_screen(screens, territory.siren)
screen = screens[index]
commission.render_commission_header(territory, screen.title, index, len(screens))
commission.render_screen(territory, screen)
