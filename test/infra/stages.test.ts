import { spawnSync } from 'node:child_process';
import { App } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import { addServiceStack } from '../../lib/app.ts';
import { PROJECT_ROOT } from '../../lib/endpoint-function.ts';
import { type StageConfig, StageConfigError, stageConfig, stages } from '../../lib/stages.ts';

describe('Stages', () => {
  it('knows dev, staging and prod, each passing its own checks', () => {
    expect(Object.keys(stages)).toEqual(['dev', 'staging', 'prod']);
    for (const name of Object.keys(stages)) expect(stageConfig(name).name).toBe(name);
  });

  it('refuses an unknown stage at synth, naming the known ones', () => {
    const app = new App({ context: { stage: 'qa' } });

    expect(() => addServiceStack(app)).toThrow(StageConfigError);
    expect(() => addServiceStack(app)).toThrow('Unknown stage "qa". Known stages: dev, staging, prod.');
  });

  it('refuses a missing stage, showing how to give one', () => {
    expect(() => stageConfig(undefined)).toThrow(/No stage given.*-c stage=dev/);
    expect(() => stageConfig('toString')).toThrow(/Unknown stage "toString"/);
  });

  it('refuses settings that contradict each other', () => {
    const bad: StageConfig = {
      ...stages.dev,
      bcryptCost: 8,
      operationLeaseSeconds: 10,
      tokenRevocationBoundSeconds: 120,
    };

    expect(() => stageConfig('bad', { bad })).toThrow(
      /bcryptCost must be at least 10.*\n.*operationLeaseSeconds \(10\) must exceed.*\n.*tokenRevocationBoundSeconds must be 0 to 60/,
    );
  });

  it('refuses a mail sender outside the stage identity and application pages that are not URLs', () => {
    const bad: StageConfig = {
      ...stages.dev,
      mail: {
        identity: 'mail.example',
        from: 'someone@elsewhere.example',
        inviteUrlBase: 'not a url',
        accountUrlBase: 'nor this',
      },
    };

    expect(() => stageConfig('bad', { bad })).toThrow(
      /mail\.inviteUrlBase must be a URL \(got not a url\)\n.*mail\.accountUrlBase must be a URL \(got nor this\)\n.*mail\.from \(someone@elsewhere\.example\) must be the identity mail\.example or an address of it/,
    );
    for (const stage of Object.values(stages)) expect(stage.mail.from.endsWith(`@${stage.mail.identity}`)).toBe(true);
  });

  it('makes `cdk synth -c stage=<unknown>` exit with the message, not a stack trace', () => {
    // The CDK CLI hands context to the app in CDK_CONTEXT_JSON.
    const run = spawnSync(process.execPath, ['bin/app.ts'], {
      cwd: PROJECT_ROOT,
      env: { ...process.env, CDK_CONTEXT_JSON: JSON.stringify({ stage: 'qa' }) },
      encoding: 'utf8',
    });

    expect(run.status).toBe(1);
    expect(run.stderr.trim()).toBe('Unknown stage "qa". Known stages: dev, staging, prod.');
  });
});
