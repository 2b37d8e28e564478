-- Baseline, milestones and target of every indicator of a territory: its trajectory.
select a.indicator_id, a.kind, a.anchor_date, a.value
from result_anchors as a
join result_indicators as r using (indicator_id)
where r.territory_id = $territory
order by a.indicator_id, a.anchor_date
