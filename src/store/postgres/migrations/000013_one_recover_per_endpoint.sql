-- At most one recover task queued or running per endpoint: overlapping recovers would requeue the same deliveries
-- again, and a tenant queueing thousands would hold every other tenant's tasks behind them (runners take the oldest
-- task first). A second request answers 409 RECOVER_IN_PROGRESS instead.
CREATE UNIQUE INDEX tasks_one_active_per_endpoint ON tasks (endpoint_id) WHERE status IN ('queued', 'running');
