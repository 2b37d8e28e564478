select contract_id, code, contract_type, name, array_to_string(signatories, ', ') as signatories,
       start_date, end_date, envelope, is_demo, provenance, source
from contracts
where territory_id = $territory
order by name
