/**
 * Remembers every route a server registers (through Fastify's onRoute hook), so tests can walk all of them: the
 * authorisation matrix and the fuzz suite cover a route the moment it is added, instead of a hand-kept list going
 * stale. HEAD routes that Fastify derives from GET routes are left out; they run the GET handler.
 */
import type { FastifyInstance, FastifySchema } from "fastify";

export interface RegisteredRoute {
  method: string;
  /** The path pattern as registered, e.g. `/v1/tenants/:tenant_id`. */
  url: string;
  schema: FastifySchema | undefined;
}

const registries = new WeakMap<FastifyInstance, RegisteredRoute[]>();

/** Call before registering routes. */
export function trackRoutes(app: FastifyInstance): void {
  const routes: RegisteredRoute[] = [];
  registries.set(app, routes);
  app.addHook("onRoute", (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    for (const method of methods) {
      if (method === "HEAD" && route.url !== undefined && routes.some((r) => r.method === "GET" && r.url === route.url)) {
        continue;
      }
      routes.push({ method, url: route.url, schema: route.schema });
    }
  });
}

/** Every route of a server built with trackRoutes(), in registration order. */
export function registeredRoutes(app: FastifyInstance): readonly RegisteredRoute[] {
  const routes = registries.get(app);
  if (!routes) throw new Error("this server was not built with trackRoutes()");
  return routes;
}
