-- One row per (action, commune | theme | contract | funder): what the filters match on.
with territory_actions as (
    select action_id, themes from actions where territory_id = $territory
),
commune_links as (
    select ac.action_id, 'commune' as kind, ac.insee_code as value, c.name as label
    from action_communes as ac
    join territory_actions using (action_id)
    join communes as c using (insee_code)
),
theme_links as (
    select action_id, 'theme' as kind, theme as value, theme as label
    from (select action_id, unnest(themes) as theme from territory_actions)
),
contract_links as (
    select distinct f.action_id, 'contrat' as kind, c.code as value, c.name as label
    from funding as f
    join contracts as c using (contract_id)
    where f.territory_id = $territory
),
funder_links as (
    select distinct action_id, 'financeur' as kind, funder as value, funder as label
    from funding
    where territory_id = $territory
),
final as (
    select * from commune_links
    union all select * from theme_links
    union all select * from contract_links
    union all select * from funder_links
)
select * from final order by kind, label
