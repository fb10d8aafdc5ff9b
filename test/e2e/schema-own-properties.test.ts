/**
 * Schemas see only the event's own properties (issue 13, finding 14): `required: ["toString"]` must refuse `{}`,
 * and a property named like something on Object.prototype (`constructor`) is absent unless the event has it. The
 * published data is plain JSON, but a validator reading `data.toString` finds the inherited function.
 */
import { describe, expect, it } from "vitest";
import { STORE_KINDS } from "../support/stores.ts";
import { useHookd } from "./harness.ts";

describe.each(STORE_KINDS)("schema checks on own properties only (%s)", (kind) => {
  const h = useHookd(kind);

  it("refuses {} when an inherited name is required, and accepts it when such a name is only described", async () => {
    const tenant = await h.tenant();
    await h.api.expectPost(`/v1/tenants/${tenant}/event-types`, { name: "a.required", schema: { type: "object", required: ["toString", "valueOf"] } }, 201);
    await h.api.expectPost(
      `/v1/tenants/${tenant}/event-types`,
      { name: "a.described", schema: { type: "object", properties: { constructor: { type: "string" }, hasOwnProperty: { type: "integer" } } } },
      201,
    );

    const missing = await h.api.post(`/v1/tenants/${tenant}/events`, { type: "a.required", data: {} });
    expect([missing.status, missing.body.code]).toEqual([422, "SCHEMA_VALIDATION_FAILED"]);
    expect(missing.body.details.map((d: { message: string }) => d.message)).toEqual([
      "must have required property 'toString'",
      "must have required property 'valueOf'",
    ]);
    const present = await h.api.post(`/v1/tenants/${tenant}/events`, {
      type: "a.required",
      data: { toString: 1, valueOf: 2 },
    });
    expect(present.status).toBe(202);

    const absent = await h.api.post(`/v1/tenants/${tenant}/events`, { type: "a.described", data: {} });
    expect(absent.status).toBe(202);
    const wrong = await h.api.post(`/v1/tenants/${tenant}/events`, { type: "a.described", data: { constructor: 5 } });
    expect([wrong.status, wrong.body.details?.[0]?.instance_path]).toEqual([422, "/constructor"]);
  });
});
