-- A token's own cost budget (graph/limits.go): how much cost it may spend
-- at once, and how many points a second refill it. NULL takes the server's
-- (-cost-budget, -cost-restore); a budget of 0 is unlimited. A trusted
-- back-office job can so have more than a storefront.
ALTER TABLE api_tokens ADD COLUMN cost_budget BIGINT CHECK (cost_budget >= 0);
ALTER TABLE api_tokens ADD COLUMN cost_restore BIGINT CHECK (cost_restore >= 1);
