/**
 * Builds the OpenAPI document without a store or a listener: route registration is all @fastify/swagger needs, and
 * no handler runs, so the services are left out. Used by `npm run openapi` and the drift test.
 */
import { createLogger } from "../observability/logger.ts";
import { buildServer } from "./build-server.ts";
import type { ApiContext } from "./context.ts";
import { renderOpenApi } from "./openapi.ts";

export async function generateOpenApi(): Promise<string> {
  const app = await buildServer({} as ApiContext, createLogger("silent"));
  try {
    await app.ready();
    return renderOpenApi(app);
  } finally {
    await app.close();
  }
}
