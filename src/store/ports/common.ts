/** Types several ports share. */

export interface PageRequest {
  limit: number;
  /** Exclusive: continue after this id (in the listing's own order). */
  after: string | null;
}
