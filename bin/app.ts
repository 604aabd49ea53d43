#!/usr/bin/env node
/**
 * The CDK app: one stack for the stage given as context.
 *
 *   npx cdk synth -c stage=dev
 *   npx cdk deploy -c stage=prod
 */
import { App } from 'aws-cdk-lib';
import { addServiceStack } from '../lib/app.ts';
import { StageConfigError } from '../lib/stages.ts';

const app = new App();
try {
  addServiceStack(app);
} catch (error) {
  if (!(error instanceof StageConfigError)) throw error;
  console.error(error.message);
  process.exit(1);
}
app.synth();
