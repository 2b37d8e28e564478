select note_date, author, status, progress, text, is_demo, provenance
from followups
where territory_id = $territory and action_id = $action
order by note_date
