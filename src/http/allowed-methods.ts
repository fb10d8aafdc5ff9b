/**
 * Which methods a concrete path takes, for the 405 answer: a request for a path that exists with another method is
 * told so (with an `Allow` header) instead of hearing that nothing is there.
 */
import type { RegisteredRoute } from "./route-registry.ts";

const patterns = new WeakMap<RegisteredRoute, RegExp>();

function patternOf(route: RegisteredRoute): RegExp {
  let re = patterns.get(route);
  if (!re) {
    const source = route.url
      .split("/")
      .map((part) => (part.startsWith(":") ? "[^/]+" : part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")))
      .join("/");
    re = new RegExp(`^${source}/?$`);
    patterns.set(route, re);
  }
  return re;
}

/**
 * @example methodsForPath(routes, "/v1/tenants/acme") // ["DELETE", "GET", "PATCH"]
 */
export function methodsForPath(routes: readonly RegisteredRoute[], path: string): string[] {
  const methods = new Set<string>();
  for (const route of routes) {
    if (route.url.includes("*")) continue;
    if (patternOf(route).test(path)) methods.add(route.method);
  }
  if (methods.has("GET")) methods.add("HEAD");
  return [...methods].sort();
}
