/** Named marks that only ever rise (the longest access-token lifetime ever issued, docs/security.md). */
export interface HighWaterMarkStore {
  /** Raises the mark `name` to `value` if it is lower (one atomic upsert); resolves the mark as stored now. */
  raiseHighWaterMark(name: string, value: number): Promise<number>;
}
