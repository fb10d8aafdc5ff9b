/**
 * `npm run openapi`: regenerates openapi.json at the repository root from the routes (the npm script then regenerates
 * packages/client's types from it). Run it after adding or changing a route; the OpenAPI tests fail while either
 * committed file differs from the code.
 */
import { writeFileSync } from "node:fs";
import { generateOpenApi } from "../src/http/openapi-document.ts";

const target = new URL("../openapi.json", import.meta.url);
writeFileSync(target, await generateOpenApi());
process.stdout.write(`wrote ${target.pathname}\n`);
