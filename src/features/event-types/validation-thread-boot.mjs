// Entry of a schema validation thread (validation-pool.ts). Loader hooks registered with `node --import tsx` do not
// reach worker threads, so the thread registers tsx itself before loading the TypeScript module that does the work.
import { register } from "tsx/esm/api";

register();
const { validateTask } = await import("./validation-thread.ts");
export default validateTask;
