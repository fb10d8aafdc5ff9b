/**
 * What the side benches (bench:isolation, bench:fanout) share around their own work: refuse early, with the setting
 * to change, when PostgreSQL is wanted but unusable, and turn the result into the exit status (a thrown error is
 * printed with its stack and exits 1).
 */
import { checkPostgres } from "./preflight.ts";
import type { StoreKind } from "./stores.ts";

export function runSideBench(
  name: string,
  stores: StoreKind[],
  pgAdminUrl: string,
  storesSetting: string,
  main: () => Promise<number>,
): void {
  const run = async (): Promise<number> => {
    if (stores.includes("postgres")) {
      const problem = await checkPostgres(pgAdminUrl);
      if (problem) {
        process.stderr.write(`${name}: PostgreSQL is not usable (${problem}); set BENCH_PG_URL or ${storesSetting}=sqlite\n`);
        return 2;
      }
    }
    return main();
  };
  run().then(
    (code) => process.exit(code),
    (err: unknown) => {
      process.stderr.write(`${name}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exit(1);
    },
  );
}
