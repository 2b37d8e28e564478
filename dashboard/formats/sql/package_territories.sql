-- Open-data package: the territory itself (docs/schema.md, `territories`).
select * from territories where territory_id = $territory
