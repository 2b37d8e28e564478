-- Post-load checks: each query returns the offending rows; every one must return none.
-- name: plan items whose parent is missing
select item_id from plan_items
where parent_id is not null and parent_id not in (select item_id from plan_items);
-- name: actions attached to a missing plan item
select action_id from actions where item_id not in (select item_id from plan_items);
-- name: budget lines of a missing action
select line_id from budget_lines where action_id not in (select action_id from actions);
-- name: funding lines of a missing action or contract
select funding_id from funding
where action_id not in (select action_id from actions)
   or (contract_id is not null and contract_id not in (select contract_id from contracts));
-- name: follow-up notes of a missing action
select followup_id from followups where action_id not in (select action_id from actions);
-- name: communes of actions missing from the reference
select action_id from action_communes where insee_code not in (select insee_code from communes);
-- name: statuses outside the vocabulary
select action_id from actions
where status not in (select status from statuses);
-- name: progress outside 0-100
select action_id from actions where progress < 0 or progress > 100;
-- name: negative amounts
select line_id from budget_lines where planned < 0 or committed < 0 or paid < 0
union all
select funding_id from funding where requested < 0 or granted < 0 or received < 0;
-- name: territories without communes
select territory_id from territories where n_communes = 0;
-- name: snapshot rows of a missing snapshot
select snapshot_id from snapshot_actions
where snapshot_id not in (select snapshot_id from snapshots);
-- name: snapshots of a missing territory
select snapshot_id from snapshots where territory_id not in (select territory_id from territories);
