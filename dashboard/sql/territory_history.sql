-- Every recorded change of a territory's actions, with who and when.
select seq, action_id, code, field, field_label, before, after, author_name, changed_at, origin
from action_history
where territory_id = $territory
order by seq
