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

  it('names free, standard and premium plans in every stage, each under the stage route throttle, the default one of them', () => {
    for (const stage of Object.values(stages)) {
      expect(Object.keys(stage.plans), stage.name).toEqual(['free', 'standard', 'premium']);
      expect(Object.keys(stage.plans)).toContain(stage.defaultPlan);
      for (const plan of Object.values(stage.plans)) {
        expect(plan.rateLimit).toBeLessThanOrEqual(stage.throttling.default.rateLimit);
        expect(plan.burstLimit).toBeGreaterThanOrEqual(plan.rateLimit);
      }
      expect(stage.plans.free.rateLimit).toBeLessThan(stage.plans.standard.rateLimit);
      expect(stage.plans.standard.rateLimit).toBeLessThan(stage.plans.premium.rateLimit);
      expect(stage.planCacheSeconds).toBeLessThanOrEqual(60);
    }
  });

  it('refuses plans the stage cannot deliver or that contradict themselves', () => {
    const bad: StageConfig = {
      ...stages.dev,
      plans: {
        huge: { rateLimit: 1_000, burstLimit: 2_000, quotas: { records: 10, members: 2 } },
        odd: { rateLimit: 5, burstLimit: 2, quotas: { records: 0, members: 1 } },
      },
      defaultPlan: 'gold',
    };

    expect(() => stageConfig('bad', { bad })).toThrow(/default plan "gold" is not one of huge, odd/);
    expect(() => stageConfig('bad', { bad })).toThrow(/odd\.burstLimit \(2\) must be at least its rateLimit \(5\)/);
    expect(() => stageConfig('bad', { bad })).toThrow(/odd\.quotas\.records must be a whole number above 0/);
    expect(() => stageConfig('bad', { bad })).toThrow(
      /plans\.huge\.rateLimit \(1000\) must not exceed the stage's route throttle \(20\)/,
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
