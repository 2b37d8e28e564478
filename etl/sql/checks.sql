-- Post-load checks: each query returns the offending rows; every one must return none.
-- Names are French: they reach the user in the build's refusal.
-- name: éléments du plan dont le parent manque
select item_id from plan_items
where parent_id is not null and parent_id not in (select item_id from plan_items);
-- name: actions rattachées à un élément du plan absent
select action_id from actions where item_id not in (select item_id from plan_items);
-- name: lignes de budget d'une action absente
select line_id from budget_lines where action_id not in (select action_id from actions);
-- name: lignes de financement d'une action ou d'un contrat absent
select funding_id from funding
where action_id not in (select action_id from actions)
   or (contract_id is not null and contract_id not in (select contract_id from contracts));
-- name: notes de suivi d'une action absente
select followup_id from followups where action_id not in (select action_id from actions);
-- name: communes d'actions absentes du référentiel
select action_id from action_communes where insee_code not in (select insee_code from communes);
-- name: statuts hors du vocabulaire
select action_id from actions
where status not in (select status from statuses);
-- name: avancement hors de 0 à 100
select action_id from actions where progress < 0 or progress > 100;
-- name: montants négatifs
select line_id from budget_lines where planned < 0 or committed < 0 or paid < 0
union all
select funding_id from funding where requested < 0 or granted < 0 or received < 0;
-- name: territoires sans commune
select territory_id from territories where n_communes = 0;
-- name: lignes d'instantané d'un instantané absent
select snapshot_id from snapshot_actions
where snapshot_id not in (select snapshot_id from snapshots);
-- name: instantanés d'un territoire absent
select snapshot_id from snapshots where territory_id not in (select territory_id from territories);
