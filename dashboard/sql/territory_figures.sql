select indicator, value, unit, year, source, quote
from territory_figures
where territory_id = $territory
