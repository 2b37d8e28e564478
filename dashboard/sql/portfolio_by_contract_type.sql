-- Every territory side by side: granted funding per contract type.
select t.name as territory, t.siren, coalesce(c.contract_type, 'Hors contrat') as contract_type,
       count(distinct f.action_id) as n_actions, sum(f.requested) as requested,
       sum(f.granted) as granted, sum(f.received) as received, bool_or(f.is_demo) as has_demo_lines
from funding as f
join territories as t using (territory_id)
left join contracts as c on c.contract_id = f.contract_id
group by all
order by territory, granted desc nulls last
