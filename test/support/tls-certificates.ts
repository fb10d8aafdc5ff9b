/**
 * Certificates made in the test for mTLS: a CA, a server certificate it signs for 127.0.0.1 and localhost, a client
 * certificate it signs, and a second, unrelated CA with a client certificate of its own (the wrong one). EC P-256
 * keys, so making them takes milliseconds.
 */
import { generate } from "selfsigned";

export interface Pem {
  cert: string;
  key: string;
}

export interface TestPki {
  ca: Pem;
  server: Pem;
  client: Pem;
  otherCa: Pem;
  /** Signed by otherCa: a client certificate the server does not trust. */
  otherClient: Pem;
}

const EC = { keyType: "ec", curve: "P-256", algorithm: "sha256" } as const;

async function makeCa(name: string): Promise<Pem> {
  const pems = await generate([{ name: "commonName", value: name }], {
    ...EC,
    extensions: [
      { name: "basicConstraints", cA: true, critical: true },
      { name: "keyUsage", keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    ],
  });
  return { cert: pems.cert, key: pems.private };
}

async function makeLeaf(name: string, ca: Pem, usage: "server" | "client"): Promise<Pem> {
  const pems = await generate([{ name: "commonName", value: name }], {
    ...EC,
    ca,
    extensions: [
      { name: "basicConstraints", cA: false },
      { name: "keyUsage", digitalSignature: true, keyEncipherment: true },
      { name: "extKeyUsage", serverAuth: usage === "server", clientAuth: usage === "client" },
      ...(usage === "server"
        ? [{ name: "subjectAltName" as const, altNames: [{ type: 7 as const, ip: "127.0.0.1" }, { type: 2 as const, value: "localhost" }] }]
        : []),
    ],
  });
  return { cert: pems.cert, key: pems.private };
}

export async function makeTestPki(): Promise<TestPki> {
  const ca = await makeCa("hookd test CA");
  const otherCa = await makeCa("some other CA");
  return {
    ca,
    server: await makeLeaf("127.0.0.1", ca, "server"),
    client: await makeLeaf("hookd-client", ca, "client"),
    otherCa,
    otherClient: await makeLeaf("stranger", otherCa, "client"),
  };
}
