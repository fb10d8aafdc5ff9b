/**
 * `hookd outbox install --database-url <url>`: creates the outbox table, its index and its notify trigger in a
 * producer's PostgreSQL database (src/outbox/ddl.ts); `--print` writes the SQL instead, for producers that apply
 * schema changes with their own migration tool. Safe to run again.
 */
import { OUTBOX_DDL } from "../outbox/ddl.ts";
import { installOutbox } from "../outbox/install.ts";
import { redactUrl } from "../outbox/relay.ts";

export async function runOutboxInstall(
  opts: { databaseUrl?: string | undefined; print?: boolean | undefined },
  io: { stdout: (text: string) => void; stderr: (text: string) => void },
): Promise<number> {
  if (opts.print) {
    io.stdout(OUTBOX_DDL);
    return 0;
  }
  const url = opts.databaseUrl;
  if (url === undefined || !/^postgres(ql)?:\/\//.test(url)) {
    io.stderr("hookd: outbox install needs --database-url postgres://... (the producer's database), or --print\n");
    return 2;
  }
  await installOutbox(url);
  io.stdout(`installed hookd_outbox in ${redactUrl(url)}\n`);
  return 0;
}
