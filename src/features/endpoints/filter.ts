/**
 * The API side of payload filters (the language is domain/event-filter/): checking a filter when an endpoint is
 * saved, with the offending clause named as a JSON pointer into the request body, and answering a filter test.
 */
import { compileFilter, type CompiledFilter, compileFilterText, FilterError, type FilterFailure } from "../../domain/event-filter/compile.ts";
import { matchesEventType } from "../../domain/event-type-match.ts";
import type { Endpoint } from "../../domain/types.ts";
import { AppError } from "../../errors/app-error.ts";

/**
 * The filter's text to store, or null for none.
 * @param at where the filter sits in the request body, as a JSON pointer ("/filter")
 * @throws {AppError} INVALID_FILTER naming the clause
 */
export function filterToStore(filter: unknown, at = "/filter"): string | null {
  if (filter === null || filter === undefined) return null;
  return compileChecked(filter, at).text;
}

function compileChecked(filter: unknown, at: string): CompiledFilter {
  try {
    return compileFilter(filter);
  } catch (err) {
    if (!(err instanceof FilterError)) throw err;
    const pointer = `${at}${err.pointer}`;
    throw new AppError("INVALID_FILTER", `filter clause at ${pointer}: ${err.message}`, [{ pointer, message: err.message }]);
  }
}

/** The stored filter as the API shows it: the JSON the caller saved. */
export function filterToApi(filterJson: string | null): unknown {
  return filterJson === null ? null : JSON.parse(filterJson);
}

export interface FilterTestInput {
  type: string;
  data: Record<string, unknown>;
  /** A filter to try instead of the stored one (null: none); absent: the endpoint's own. */
  filter?: Record<string, unknown> | null | undefined;
}

export interface FilterTestResult {
  matches: boolean;
  event_type_matches: boolean;
  filter_matches: boolean;
  /** The first filter clause that failed (pointer into the filter), or null. */
  failed_clause: FilterFailure | null;
}

/** Would this endpoint get a delivery of this event? Its subscription and its filter, each answered. */
export function testFilter(endpoint: Endpoint, input: FilterTestInput): FilterTestResult {
  const typeMatches = matchesEventType(endpoint.eventTypes, input.type);
  const compiled =
    input.filter !== undefined
      ? input.filter === null
        ? null
        : compileChecked(input.filter, "/filter")
      : endpoint.filterJson === null
        ? null
        : compileFilterText(endpoint.filterJson);
  const failed = compiled ? compiled.explain({ type: input.type, data: input.data }) : null;
  return { matches: typeMatches && failed === null, event_type_matches: typeMatches, filter_matches: failed === null, failed_clause: failed };
}
