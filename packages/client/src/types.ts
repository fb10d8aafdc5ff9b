/**
 * Names for the shapes callers handle most, taken from the generated OpenAPI types (never written by hand, so they
 * follow the API when openapi.ts is regenerated).
 */
import type { paths } from "./openapi.js";

type Json<R> = R extends { content: { "application/json": infer T } } ? T : never;
type Ok<Op> = Op extends { responses: infer R } ? (R extends { 200: infer A } ? Json<A> : R extends { 201: infer B } ? Json<B> : R extends { 202: infer C } ? Json<C> : never) : never;

export type Tenant = Ok<paths["/v1/tenants/{tenant_id}"]["get"]>;
export type Endpoint = Ok<paths["/v1/tenants/{tenant_id}/endpoints/{endpoint_id}"]["get"]>;
/** The answer to creating an endpoint: the endpoint and, this once, its signing secret. */
export type CreatedEndpoint = Ok<paths["/v1/tenants/{tenant_id}/endpoints"]["post"]>;
export type PublishedEvent = Ok<paths["/v1/tenants/{tenant_id}/events"]["post"]>;
export type Delivery = Ok<paths["/v1/tenants/{tenant_id}/deliveries"]["get"]>["data"][number];
/** One delivery with the request as sent and every attempt. */
export type DeliveryDetail = Ok<paths["/v1/tenants/{tenant_id}/deliveries/{delivery_id}"]["get"]>;
export type Attempt = DeliveryDetail["attempts"][number];
export type Task = Ok<paths["/v1/tenants/{tenant_id}/tasks/{task_id}"]["get"]>;
export type ApiErrorBody = Json<paths["/v1/tenants"]["get"]["responses"]["4XX"]>;
