/**
 * The cost bounds of an endpoint's payload filter, checked when it is saved. Every clause of a compiled filter runs
 * in constant time (a property lookup, a comparison of two scalars, or a set lookup for `$in`), so evaluating one
 * filter against any event costs at most MAX_CLAUSES steps, whatever the event's size: a tenant cannot make ingest
 * slow for everyone with a clever filter.
 */

/** The filter as JSON text. */
export const MAX_FILTER_BYTES = 16 * 1024;
/** Nesting of objects and arrays in the filter, the filter object itself being level 1. */
export const MAX_FILTER_DEPTH = 16;
/** Field names and operators, counted over the whole filter. */
export const MAX_FILTER_CLAUSES = 256;
/** Values in one `$in` or `$nin` list (a set lookup, so the list's length does not cost per event). */
export const MAX_FILTER_LIST = 1_000;
