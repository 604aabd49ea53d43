import { type App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { OrgsServiceStack } from './orgs-service-stack.ts';
import { stageConfig } from './stages.ts';

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
