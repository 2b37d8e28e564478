select a.code, a.title, a.status, a.progress, a.is_late, a.planned_end, a.is_demo, a.provenance
from action_status as a
join action_communes as ac using (action_id)
where a.territory_id = $territory and ac.insee_code = $insee_code
order by a.sort_order
