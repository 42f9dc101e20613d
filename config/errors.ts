/** One invalid setting: which field, where its value came from, and what is wrong with it. */
export interface ConfigIssue {
  /** Dotted setting path (`runtime.mailboxCapacity`); `''` when the problem is not one setting (bad file, unknown variable). */
  readonly path: string;
  /** Where the value came from: an env var name, a config file path, a `--flag`, `'override'` or `'default'`. */
  readonly source: string;
  /** The reason, e.g. `expected an integer ≥ 1, got "abc"`. */
  readonly message: string;
}

/**
 * Thrown by `loadConfig` when any setting is invalid. It lists every problem at once, so one start-up attempt
 * shows them all. Compare `err.code` (STYLE rule 5), not `instanceof`. `config/` stands alone and does not
 * import `core/errors`; the code is the same string registered there.
 */
export class ConfigError extends Error {
  readonly code = 'PARLO_CONFIG_INVALID' as const;
  readonly issues: readonly ConfigIssue[];

  constructor(issues: readonly ConfigIssue[]) {
    super(formatIssues(issues));
    this.name = 'ConfigError';
    this.issues = issues;
  }
}

/** `runtime.mailboxCapacity (from PARLO_RUNTIME__MAILBOX_CAPACITY): expected an integer ≥ 1, got "abc"` */
export function formatIssue(issue: ConfigIssue): string {
  const where = issue.path === '' ? issue.source : `${issue.path} (from ${issue.source})`;
  return `${where}: ${issue.message}`;
}

function formatIssues(issues: readonly ConfigIssue[]): string {
  const noun = issues.length === 1 ? 'problem' : 'problems';
  return [
    `Invalid Parlo configuration (${issues.length} ${noun}):`,
    ...issues.map((i) => `  - ${formatIssue(i)}`),
  ].join('\n');
}
