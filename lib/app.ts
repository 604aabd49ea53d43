import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { PROJECT_ROOT } from './endpoint-function.ts';
import { OrgsServiceStack } from './orgs-service-stack.ts';
import { stageConfig } from './stages.ts';

/**
 * The context of cdk.json (the feature flags), which the CDK CLI hands to bin/app.ts. Apps built
 * outside the CLI (tests, the bundle report) start from it so they synthesize the same thing.
 */
export function cdkJsonContext(): Record<string, unknown> {
  const cdkJson = JSON.parse(readFileSync(join(PROJECT_ROOT, 'cdk.json'), 'utf8')) as { context?: Record<string, unknown> };
  return { ...cdkJson.context };
}

/**
 * Adds the stack of the stage named by the `stage` context value (`-c stage=dev`) to `app`, with
 * the cdk-nag AWS Solutions checks: synth fails on any finding that is not acknowledged with a
 * reason. bin/app.ts and the infrastructure tests both build the app through here.
 *
 * @example
 * const app = new App();
 * addServiceStack(app);
 * app.synth();
 */
export function addServiceStack(app: App): OrgsServiceStack {
  const config = stageConfig(app.node.tryGetContext('stage'));
  const stack = new OrgsServiceStack(app, config.stackName, { config });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
  return stack;
}
