/**
 * A Schemathesis run's JSON report (`--report json`) as counts for the CI summary: one unit per
 * operation tested and one for the stateful phase when it ran; a unit fails when any failure names it
 * (the stateful phase's failures are named "Stateful tests"), and every group of errors counts as a
 * failed unit of its own.
 */

export interface PassCounts {
  readonly passed: number;
  readonly failed: number;
  /** The operations (or "Stateful tests") with failures, and the titles of errors. */
  readonly failing: readonly string[];
}

interface RunReport {
  exit_code?: number;
  operations?: { tested?: number } | null;
  phases?: Record<string, { status?: string }> | null;
  failures?: { operations?: string[] }[];
  errors?: { title?: string }[];
}

/** The counts of one run; `report` is the parsed JSON report, or undefined when the run wrote none. */
export function passCounts(report: unknown): PassCounts {
  if (typeof report !== 'object' || report === null) {
    return { passed: 0, failed: 1, failing: ['no report (Schemathesis did not finish)'] };
  }
  const r = report as RunReport;
  const stateful = r.phases?.stateful?.status;
  const units = (r.operations?.tested ?? 0) + (stateful === 'success' || stateful === 'failure' ? 1 : 0);
  const labels = new Set((r.failures ?? []).flatMap((group) => group.operations ?? []));
  const failing = [...labels, ...(r.errors ?? []).map((error) => `error: ${error.title ?? 'unknown'}`)];
  // A run that failed without naming anything (a crash, an unreadable document) still failed.
  const failed = failing.length === 0 && r.exit_code !== 0 ? 1 : failing.length;
  const named = failing.length === 0 && failed === 1 ? ['the run failed without a failure or error'] : failing;
  return { passed: Math.max(0, units - labels.size), failed, failing: named };
}
