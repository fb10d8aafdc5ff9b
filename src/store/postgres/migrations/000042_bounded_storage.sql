-- Bounded storage (docs/architecture.md, "Retention and deletion").
--
-- tenants.event_retention_days: the tenant's own HOOKD_EVENT_RETENTION_DAYS (NULL: the setting; 0: keep for ever),
--   set through the admin tenant API.
-- tenants.deleting_at: when DELETE /v1/tenants/{id} was accepted. From then on the tenant is hidden from the API and
--   a tenant.delete task removes its rows in small batches, the tenant row last, so its id cannot be taken by a new
--   tenant while old rows with that id still exist.
-- events_by_tenant_created: retention walks each tenant's old events by age (its override is per tenant).
-- tasks_one_active_per_endpoint: only recovers are limited to one per endpoint; a deletion task names no endpoint
--   (tenant.delete) or one whose recover it has just failed (endpoint.delete).
ALTER TABLE tenants ADD COLUMN event_retention_days integer;
ALTER TABLE tenants ADD COLUMN deleting_at bigint;
CREATE INDEX events_by_tenant_created ON events (tenant_id, created_at);
DROP INDEX tasks_one_active_per_endpoint;
CREATE UNIQUE INDEX tasks_one_active_per_endpoint ON tasks (endpoint_id)
  WHERE status IN ('queued', 'running') AND kind = 'endpoint.recover';
