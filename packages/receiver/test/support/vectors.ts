/**
 * Typed access to the Standard Webhooks reference vectors (test/fixtures/standard-webhooks-vectors.json, a copy of
 * the values the reference libraries test with; see its `sources`). Only the fields the tests read are declared.
 */
import { readFileSync } from "node:fs";

export interface SignVector {
  id: string;
  scheme: string;
  secret?: string;
  public_key?: string;
  msg_id: string;
  timestamp: number;
  payload?: string;
  payload_generator?: { repeat_char: string; count: number };
  expected_signature: string;
}

export interface Scenario {
  id: string;
  secret?: string;
  secrets?: string[];
  msg_id?: string;
  payload?: string;
  webhook_signature_header_template?: string;
  decoy_signatures?: string[];
  headers?: Record<string, string>;
  cases?: Array<{ secret_as_given: string; signer_secret: string; padding_needed: number }>;
  expect: string;
}

export interface NegativeCase {
  id: string;
  secret?: string | string[];
  msg_id?: string;
  webhook_timestamp?: string;
  webhook_signature?: string | string[];
  timestamp?: string[];
  expect: string;
}

export const vectors = JSON.parse(readFileSync(new URL("../fixtures/standard-webhooks-vectors.json", import.meta.url), "utf8")) as {
  sign_vectors: SignVector[];
  verification_scenarios: Scenario[];
  negative_cases: NegativeCase[];
};

export function payloadOf(v: SignVector): string {
  if (v.payload !== undefined) return v.payload;
  if (v.payload_generator) return v.payload_generator.repeat_char.repeat(v.payload_generator.count);
  throw new Error(`vector ${v.id} has no payload`);
}

export function signVector(id: string): SignVector {
  const v = vectors.sign_vectors.find((x) => x.id === id);
  if (!v) throw new Error(`no sign vector ${id}`);
  return v;
}
