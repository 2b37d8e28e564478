-- Every action of one snapshot of a territory, as it stood then; lateness judged at the
-- snapshot's date with the warehouse's one definition (is_late_at).
select sa.*,
       is_late_at(sa.status, sa.planned_end, cast(s.taken_at as date)) as is_late
from snapshot_actions as sa
join snapshots as s using (snapshot_id)
where s.territory_id = $territory and sa.snapshot_id = $snapshot
order by sa.code
