-- The snapshots of a territory, oldest first.
select snapshot_id, seq, taken_at, origin, n_actions, is_demo
from snapshots
where territory_id = $territory
order by taken_at, seq
