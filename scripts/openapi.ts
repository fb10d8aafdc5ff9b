/**
 * `npm run openapi`: regenerates openapi.json at the repository root from the routes. Run it after adding or
 * changing a route; the OpenAPI test fails while the committed file differs from the code.
 */
import { writeFileSync } from "node:fs";
import { generateOpenApi } from "../src/http/openapi-document.ts";

const target = new URL("../openapi.json", import.meta.url);
writeFileSync(target, await generateOpenApi());
process.stdout.write(`wrote ${target.pathname}\n`);
