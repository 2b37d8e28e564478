select territory_id, siren, name, territory_type, source_document, description, data_date,
       n_communes,
       population, area_km2, has_demo_data, has_budget, has_funding
from territories
order by territory_type, name
