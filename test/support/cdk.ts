import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { addServiceStack, cdkJsonContext } from '../../lib/app.ts';
import type { OrgsServiceStack } from '../../lib/orgs-service-stack.ts';

export interface Synthesized {
  readonly stack: OrgsServiceStack;
  readonly template: Template;
  /** The raw template, for scans over everything in it. */
  readonly json: Record<string, any>;
  /** Violations the validation plugins (cdk-nag) reported and nobody acknowledged. */
  readonly violations: readonly unknown[];
  /** What synth threw, if validation failed. */
  readonly validationError?: unknown;
}

/**
 * Synthesizes a stage's stack as `cdk synth -c stage=<stage>` does, cdk-nag included, but without
 * bundling the functions (the bundle test does that), so it stays fast.
 */
export function synthStage(stage: string): Synthesized {
  const outdir = mkdtempSync(join(tmpdir(), 'orgs-cdk-'));
  const app = new App({ outdir, context: { ...cdkJsonContext(), stage, 'aws:cdk:bundling-stacks': [] } });
  const stack = addServiceStack(app);
  let validationError: unknown;
  const quiet = console.error;
  try {
    console.error = () => {}; // the report is read from its file below
    app.synth();
  } catch (error) {
    validationError = error;
  } finally {
    console.error = quiet;
  }
  const json = JSON.parse(readFileSync(join(outdir, stack.templateFile), 'utf8'));
  const report = JSON.parse(readFileSync(join(outdir, 'validation-report.json'), 'utf8')) as {
    pluginReports: { violations?: unknown[] }[];
  };
  return {
    stack,
    template: Template.fromJSON(json),
    json,
    violations: report.pluginReports.flatMap((r) => r.violations ?? []),
    validationError,
  };
}
