/**
 * One DeliveryObserver that tells several (the metrics, and the attempt spans when tracing is on), so the worker
 * keeps a single listener.
 */
import type { DeliveryObserver } from "./metrics.ts";

export function observeAll(...observers: (DeliveryObserver | null)[]): DeliveryObserver {
  const all = observers.filter((o): o is DeliveryObserver => o !== null);
  if (all.length === 1) return all[0]!;
  return { attempted: (o) => all.forEach((x) => x.attempted(o)) };
}
