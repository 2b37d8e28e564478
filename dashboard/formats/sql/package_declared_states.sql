-- Open-data package: the territory's rows of `declared_states` (docs/schema.md).
select * from declared_states where territory_id = $territory order by state_date,action_id
