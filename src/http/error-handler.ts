/**
 * Every error leaves the API as `{code, message, details?}` with a code from errors/codes.ts. Bad input is a 4xx
 * with a stable code; an unreachable store is a 503 with Retry-After; anything else is logged and answered with a
 * bare 500 that leaks no stack trace.
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { AppError, isAppError } from "../errors/app-error.ts";
import type { ErrorCode } from "../errors/codes.ts";
import { isForeignKeyViolation } from "../store/constraint-errors.ts";
import { isStoreUnavailable } from "../store/unavailable.ts";
import { methodsForPath } from "./allowed-methods.ts";
import { registeredRoutes } from "./route-registry.ts";

const FASTIFY_CODES: Record<string, ErrorCode> = {
  FST_ERR_CTP_BODY_TOO_LARGE: "PAYLOAD_TOO_LARGE",
  FST_ERR_CTP_INVALID_MEDIA_TYPE: "UNSUPPORTED_MEDIA_TYPE",
  FST_ERR_CTP_EMPTY_JSON_BODY: "INVALID_JSON",
  FST_ERR_CTP_INVALID_JSON_BODY: "INVALID_JSON",
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: "VALIDATION_FAILED",
};

export function toAppError(err: FastifyError): AppError | null {
  if (isAppError(err)) return err;
  if (isForeignKeyViolation(err)) return new AppError("TENANT_NOT_FOUND", "the tenant was deleted while the request ran");
  if (err.validation) {
    const details = err.validation.map((v) => ({
      path: `${err.validationContext ?? "body"}${v.instancePath}`,
      message: v.message ?? "is invalid",
    }));
    return new AppError("VALIDATION_FAILED", `request ${err.validationContext ?? "body"} is invalid`, details);
  }
  const mapped = err.code ? FASTIFY_CODES[err.code] : undefined;
  if (mapped === "UNSUPPORTED_MEDIA_TYPE") {
    return new AppError(mapped, `${err.message}: send the body as JSON with the header content-type: application/json`);
  }
  if (mapped) return new AppError(mapped, err.message);
  if (err instanceof SyntaxError || (err.statusCode === 400 && /JSON/i.test(err.message))) {
    return new AppError("INVALID_JSON", "request body is not valid JSON");
  }
  if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500) {
    return new AppError("VALIDATION_FAILED", err.message);
  }
  return null;
}

export function installErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError, request, reply) => {
    const known = toAppError(err);
    if (known) {
      const body: Record<string, unknown> = { code: known.code, message: known.message };
      if (known.details) body.details = known.details;
      if (known.retryAfterS !== undefined) void reply.header("retry-after", String(known.retryAfterS));
      return reply.status(known.status).send(body);
    }
    if (isStoreUnavailable(err)) {
      request.log.warn({ err }, "store unavailable");
      return reply
        .status(503)
        .header("retry-after", "5")
        .send({ code: "SERVICE_UNAVAILABLE", message: "the store is unavailable; retry later" });
    }
    request.log.error({ err }, "unhandled error");
    return reply.status(500).send({ code: "INTERNAL_ERROR", message: "internal server error" });
  });
  app.setNotFoundHandler((request, reply) => answerNotFound(app, request, reply));
}

/** 405 with `Allow` for a path that exists with other methods, 404 otherwise. */
export function answerNotFound(app: FastifyInstance, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const path = request.url.split("?")[0] ?? "";
  const allowed = methodsForPath(registeredRoutes(app), path);
  if (allowed.length > 0) {
    return reply
      .status(405)
      .header("allow", allowed.join(", "))
      .send({ code: "METHOD_NOT_ALLOWED", message: `${path} takes ${allowed.join(", ")}, not ${request.method}` });
  }
  return reply.status(404).send({ code: "NOT_FOUND", message: `no route for ${request.method} ${path}` });
}
