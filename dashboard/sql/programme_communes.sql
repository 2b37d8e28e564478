-- Communes of the actions funded under a Petites Villes de Demain or Action Cœur de Ville contract.
select distinct ac.insee_code, c.contract_type, c.name as contract
from funding as f
join contracts as c on c.contract_id = f.contract_id
join action_communes as ac using (action_id)
where f.territory_id = $territory and c.contract_type in ('PVD', 'ACV')
