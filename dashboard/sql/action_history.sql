-- Every recorded change of one action (online updates, notes, changes by upload).
select seq, code, field, field_label, before, after, author_name, author_email, changed_at, origin
from action_history
where territory_id = $territory and action_id = $action
order by seq
