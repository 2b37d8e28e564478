-- Dated, authored notes of a territory on its actions and plan items, newest first: the météo
-- and typed commentary shown beside the results.
select f.followup_id, f.action_id, f.item_id, f.note_date, f.author, f.note_type, f.weather,
       f.weather_reason, f.text, f.is_demo, f.provenance
from followups as f
where f.territory_id = $territory
order by f.note_date desc, f.followup_id desc
