/**
 * Data loading for pages: load once, reload on demand or on an interval (the console and the live tail poll; see
 * docs/portal.md for why polling rather than server-sent events).
 */
import { useCallback, useEffect, useRef, useState } from "preact/hooks";
import { ApiError } from "./api.ts";

export interface Loaded<T> {
  data: T | null;
  error: ApiError | null;
  loading: boolean;
  reload: () => Promise<void>;
}

export function useLoad<T>(load: () => Promise<T>, deps: unknown[], intervalMs?: number): Loaded<T> {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [loading, setLoading] = useState(true);
  const alive = useRef(true);
  const reload = useCallback(async () => {
    try {
      const value = await load();
      if (!alive.current) return;
      setData(value);
      setError(null);
    } catch (err) {
      if (!alive.current) return;
      setError(err instanceof ApiError ? err : new ApiError(0, "ERROR", String(err)));
    } finally {
      if (alive.current) setLoading(false);
    }
    // The caller names the dependencies (like useEffect's), not the closure.
  }, deps);
  useEffect(() => {
    alive.current = true;
    setLoading(true);
    void reload();
    const timer = intervalMs ? setInterval(() => void reload(), intervalMs) : null;
    return () => {
      alive.current = false;
      if (timer) clearInterval(timer);
    };
  }, [reload, intervalMs]);
  return { data, error, loading, reload };
}

/** The current location hash as a route (`#/endpoints/ep_1?x=y` -> path and query), updated on navigation. */
export function useHashRoute(): { path: string; params: URLSearchParams } {
  const read = () => {
    const raw = location.hash.replace(/^#/, "") || "/";
    const [path, qs] = raw.split("?", 2);
    return { path: path || "/", params: new URLSearchParams(qs ?? "") };
  };
  const [route, setRoute] = useState(read);
  useEffect(() => {
    const onChange = () => setRoute(read());
    addEventListener("hashchange", onChange);
    return () => removeEventListener("hashchange", onChange);
  }, []);
  return route;
}

export function navigate(path: string): void {
  location.hash = path;
}
