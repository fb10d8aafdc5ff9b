-- At most one recover task queued or running per endpoint: overlapping recovers would requeue the same deliveries
-- again, and a tenant queueing thousands would hold every other tenant's tasks behind them (runners take the oldest
-- task first). A second request answers 409 RECOVER_IN_PROGRESS instead.
-- Overlapping recovers queued before this migration: the oldest of each endpoint goes on, the rest end as failed.
UPDATE tasks SET status = 'failed', error = 'superseded: one recover per endpoint at a time', lease_token = NULL,
  lease_expires_at = NULL, finished_at = updated_at
WHERE status IN ('queued', 'running')
  AND id NOT IN (SELECT min(id) FROM tasks WHERE status IN ('queued', 'running') GROUP BY endpoint_id);
CREATE UNIQUE INDEX tasks_one_active_per_endpoint ON tasks (endpoint_id) WHERE status IN ('queued', 'running');
