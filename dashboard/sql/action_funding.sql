select coalesce(c.name, 'Hors contrat') as contract, c.contract_type, f.funder, f.funder_type,
       f.funding_line, f.requested, f.granted, f.received, f.decision_date, f.is_demo, f.provenance, f.source
from funding as f
left join contracts as c using (contract_id)
where f.territory_id = $territory and f.action_id = $action
order by f.granted desc nulls last, f.funder
