select a.code, a.title, a.status, f.funder, f.funder_type, f.funding_line,
       f.requested, f.granted, f.received, f.is_demo, f.provenance
from funding as f
join actions as a using (action_id)
join contracts as c on c.contract_id = f.contract_id
where f.territory_id = $territory and c.code = $contract
order by a.sort_order, f.granted desc nulls last
