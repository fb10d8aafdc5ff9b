/**
 * The transactional outbox for producers, as one import: the helper a producer calls in its own transaction, the
 * table's DDL and its installer. Producers get the helper from the client package instead (`import { outbox } from
 * "@hookd/client"`, packages/client/src/outbox.ts, which stands alone and names the tenant `tenant_id`); this one
 * serves hookd's own tests. The relay that moves rows into hookd (relay.ts) is hookd's own and is not part of it.
 */
import { OUTBOX_DDL } from "./ddl.ts";
import { installOutbox } from "./install.ts";
import { publish } from "./publish.ts";

export { OUTBOX_CHANNEL, OUTBOX_DDL, OUTBOX_TABLE } from "./ddl.ts";
export { installOutbox } from "./install.ts";
export { type OutboxEvent, OutboxEventError, publish, type Queryable } from "./publish.ts";

/** @example await outbox.publish(client, { tenant: "acme", type: "invoice.paid", data: { invoice: "in_1" } }) */
export const outbox = { publish, install: installOutbox, ddl: OUTBOX_DDL };
