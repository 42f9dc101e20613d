/**
 * Reads until `check` holds, every 25 ms, for at most `timeoutMs`; then throws naming `what` and the last value
 * read. For integration tests and benchmarks that wait on asynchronous effects (webhooks, outbox dispatch).
 */
export async function eventually<T>(
  read: () => Promise<T>,
  check: (value: T) => boolean,
  what: string,
  timeoutMs = 15_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (check(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
