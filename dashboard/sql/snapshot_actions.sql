-- Every action of one snapshot of a territory, as it stood then.
select sa.*
from snapshot_actions as sa
join snapshots as s using (snapshot_id)
where s.territory_id = $territory and sa.snapshot_id = $snapshot
order by sa.code
