-- Every action of one snapshot of a territory, as it stood then. Lateness with the warehouse's
-- one definition (is_late_at), judged at the snapshot's date (a built snapshot of a dated
-- document: at the document's date); a status not given reads « Non renseigné ».
select sa.* replace (
           coalesce(sa.status, (select st.status from statuses as st where not st.is_typed))
               as status
       ),
       is_late_at(
           sa.status,
           sa.planned_end,
           case
               when s.origin = 'declared' then cast(s.taken_at as date)
               else coalesce(t.data_date, cast(s.taken_at as date))
           end
       ) as is_late
from snapshot_actions as sa
join snapshots as s using (snapshot_id)
join territories as t on t.territory_id = s.territory_id
where s.territory_id = $territory and sa.snapshot_id = $snapshot
order by sa.code
