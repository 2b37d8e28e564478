-- SIREN that may receive a funder's subvention for the territory's actions: the territory and,
-- for a portfolio, the EPCI where its actions take place.
select siren from territories where territory_id = $territory
union
select distinct epci_siren from actions
where territory_id = $territory and epci_siren is not null
