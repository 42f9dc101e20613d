/**
 * Meta's timestamps have whole-second precision. A customer's own act (a STOP keyword) counts from the end of its
 * second, so a consent recorded through the API earlier in that same second does not outrank it (the contact
 * orders consent evidence by time).
 */
export function endOfMetaSecond(metaTimestampMs: number): number {
  return metaTimestampMs % 1000 === 0 ? metaTimestampMs + 999 : metaTimestampMs;
}
