/**
 * Background tasks over HTTP: POST .../endpoints/{endpoint_id}/recover starts one (202 with the task and its
 * Location), GET .../tasks/{task_id} follows it, GET .../tasks lists them newest first.
 */
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { requireTenantAccess } from "../../http/auth.ts";
import { PageQuery, parseTime, TenantParams } from "../../http/common-schemas.ts";
import type { ApiContext } from "../../http/context.ts";
import { decodeCursor, encodeCursor } from "../../http/cursor.ts";
import { EndpointParams } from "../endpoints/schemas.ts";
import { RecoverBody, TaskParams, taskToApi } from "./schemas.ts";

export function taskRoutes(ctx: ApiContext): FastifyPluginAsyncTypebox {
  return async (app) => {
    const access = async (req: Parameters<ApiContext["auth"]["authenticate"]>[0], tenantId: string) => {
      requireTenantAccess(await ctx.auth.authenticate(req), tenantId);
      await ctx.tenants.assertExists(tenantId);
    };

    app.post(
      "/v1/tenants/:tenant_id/endpoints/:endpoint_id/recover",
      { schema: { params: EndpointParams, body: RecoverBody } },
      async (req, reply) => {
        const { tenant_id, endpoint_id } = req.params;
        await access(req, tenant_id);
        const since = parseTime(req.body.since, "body/since") as number;
        const until = parseTime(req.body.until, "body/until") ?? null;
        const task = await ctx.tasks.startRecover(tenant_id, endpoint_id, since, until);
        return reply
          .status(202)
          .header("location", `/v1/tenants/${tenant_id}/tasks/${task.id}`)
          .send(taskToApi(task));
      },
    );

    app.get("/v1/tenants/:tenant_id/tasks", { schema: { params: TenantParams, querystring: PageQuery } }, async (req) => {
      await access(req, req.params.tenant_id);
      const page = await ctx.tasks.list(req.params.tenant_id, {
        limit: req.query.limit ?? 50,
        after: decodeCursor(req.query.cursor),
      });
      return { data: page.data.map(taskToApi), next_cursor: encodeCursor(page.nextCursor) };
    });

    app.get("/v1/tenants/:tenant_id/tasks/:task_id", { schema: { params: TaskParams } }, async (req) => {
      await access(req, req.params.tenant_id);
      return taskToApi(await ctx.tasks.get(req.params.tenant_id, req.params.task_id));
    });
  };
}
