/**
 * Typed access to test/fixtures/standard-webhooks-vectors.json for the signing tests. Only the fields the tests read
 * are declared; entries are heterogeneous, so most fields are optional.
 */
import { readFileSync } from "node:fs";
import { parseSecret, SECRET_PREFIX } from "./secret.ts";

export interface SignVector {
  id: string;
  scheme: string;
  secret?: string;
  secret_key_bytes_len?: number;
  msg_id: string;
  timestamp: number;
  payload?: string;
  payload_generator?: { repeat_char: string; count: number };
  expected_signature: string;
}

export interface VerificationScenario {
  id: string;
  secret?: string;
  secrets?: string[];
  msg_id?: string;
  payload?: string;
  webhook_signature_header_template?: string;
  decoy_signatures?: string[];
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

export interface VectorsFile {
  notes: string[];
  sign_vectors: SignVector[];
  verification_scenarios: VerificationScenario[];
  negative_cases: NegativeCase[];
  non_vectors: Array<{ id: string }>;
}

export const vectors = JSON.parse(
  readFileSync(new URL("../../test/fixtures/standard-webhooks-vectors.json", import.meta.url), "utf8"),
) as VectorsFile;

/** The fixture spells symmetric secrets with or without `whsec_`; parseSecret insists on the prefix. */
export function fixtureKey(secret: string): Buffer {
  return parseSecret(secret.startsWith(SECRET_PREFIX) ? secret : SECRET_PREFIX + secret);
}

export function vectorPayload(vector: SignVector): string {
  if (vector.payload !== undefined) {
    return vector.payload;
  }
  if (vector.payload_generator !== undefined) {
    return vector.payload_generator.repeat_char.repeat(vector.payload_generator.count);
  }
  throw new Error(`vector ${vector.id} has neither payload nor payload_generator`);
}

export function signVector(id: string): SignVector {
  const vector = vectors.sign_vectors.find((v) => v.id === id);
  if (vector === undefined) {
    throw new Error(`fixture has no sign vector ${id}`);
  }
  return vector;
}
