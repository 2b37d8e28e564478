select note_date, author, note_type, weather, weather_reason, status, progress, text, is_demo,
       provenance
from followups
where territory_id = $territory and action_id = $action
order by note_date
