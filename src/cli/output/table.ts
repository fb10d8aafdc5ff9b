/**
 * How resource commands print: a table for people (cli-table3, without borders, so rows stay easy to read, grep and
 * cut), or with `--json` hookd's answer as it came, for scripts and jq.
 */
import Table from "cli-table3";

export type Cell = string | number | boolean | null | undefined;

export interface Column<T> {
  header: string;
  value: (row: T) => Cell;
}

// Only the gap between columns: no frame, no rule under the header.
const BORDERLESS = {
  top: "", "top-mid": "", "top-left": "", "top-right": "",
  bottom: "", "bottom-mid": "", "bottom-left": "", "bottom-right": "",
  left: "", "left-mid": "", mid: "", "mid-mid": "", right: "", "right-mid": "", middle: "  ",
};

const text = (cell: Cell) => (cell === null || cell === undefined || cell === "" ? "-" : String(cell));

function render(head: string[], rows: string[][]): string {
  const table = new Table({ head, chars: BORDERLESS, style: { head: [], border: [], "padding-left": 0, "padding-right": 0 } });
  table.push(...rows);
  // cli-table3 pads the last column too; trailing spaces only get in the way of a reader's tools.
  return `${table.toString().split("\n").map((l) => l.trimEnd()).join("\n")}\n`;
}

/** Rows under a header line; "(none)" for an empty list. */
export function formatTable<T>(columns: Column<T>[], rows: T[]): string {
  if (rows.length === 0) return "(none)\n";
  return render(
    columns.map((c) => c.header.toUpperCase()),
    rows.map((r) => columns.map((c) => text(c.value(r)))),
  );
}

/** One resource as `field  value` lines. */
export function formatRecord(fields: Array<[string, Cell]>): string {
  const table = new Table({ chars: BORDERLESS, style: { head: [], border: [], "padding-left": 0, "padding-right": 0 } });
  table.push(...fields.map(([k, v]) => [k, text(v)]));
  return `${table.toString().split("\n").map((l) => l.trimEnd()).join("\n")}\n`;
}

export const formatJson = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`;

/** A list of strings in one cell. */
export const joined = (values: readonly string[] | null | undefined) => (values && values.length > 0 ? values.join(",") : "");
