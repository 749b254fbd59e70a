-- Webhook claims by index (issue: a backlog of pending deliveries made
-- every claim scan them all). The dispatcher claims, per active webhook,
-- the earliest due pending deliveries: this partial index holds only the
-- pending ones, in that order, so a claim reads what it takes and no more.
CREATE INDEX webhook_deliveries_pending ON webhook_deliveries (webhook_id, next_attempt_at, id) WHERE status = 'pending';
