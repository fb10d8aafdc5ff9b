/**
 * hookd's version, from package.json, for the User-Agent of every webhook request.
 */
import pkg from "../package.json" with { type: "json" };

export const VERSION: string = pkg.version;
