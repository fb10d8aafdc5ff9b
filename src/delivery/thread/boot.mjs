// Entry of the delivery thread. Loader hooks registered with `node --import tsx` do not reach worker threads, so
// the thread registers tsx itself before loading the TypeScript entry named in workerData.
import { workerData } from "node:worker_threads";
import { register } from "tsx/esm/api";

register();
await import(workerData.entry);
