-- The measured values of every indicator of a territory (typed, or from its series).
select indicator_id, point_date, value, source, millesime, origin, is_demo, provenance
from result_points
where territory_id = $territory
order by indicator_id, point_date
