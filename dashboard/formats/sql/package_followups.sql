-- Open-data package: the territory's rows of `followups` (docs/schema.md).
select * from followups where territory_id = $territory order by note_date,followup_id
