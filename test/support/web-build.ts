/**
 * Runs once before all test files: builds the web console if its sources are newer than the last build (the browser
 * tests and the page-serving tests need web/dist), so `npx vitest run <file>` works as well as `npm test`.
 */
import { buildWeb } from "../../scripts/build-web.ts";

export default async function setup(): Promise<void> {
  await buildWeb();
}
