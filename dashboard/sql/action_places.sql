select code, title, status, is_demo, provenance, latitude, longitude
from action_status
where territory_id = $territory and latitude is not null
order by sort_order
