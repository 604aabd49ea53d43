import { afterEach, describe, expect, it, vi } from 'vitest';

/**
 * Debug sampling (`POWERTOOLS_LOGGER_SAMPLE_RATE`): the log module reads it at load, so each case
 * imports a fresh copy with its own environment.
 */
async function debugLinesOver(invocations: number, env: Record<string, string | undefined>): Promise<number[]> {
  vi.resetModules();
  for (const [name, value] of Object.entries(env)) vi.stubEnv(name, value);
  const lines: string[] = [];
  const watch = (line: unknown) => void lines.push(String(line));
  vi.spyOn(console, 'debug').mockImplementation(watch);
  vi.spyOn(console, 'log').mockImplementation(watch);
  vi.spyOn(console, 'info').mockImplementation(watch);
  const { log, startLogging } = await import('#core/log.ts');
  const perInvocation: number[] = [];
  for (let i = 0; i < invocations; i++) {
    startLogging();
    const before = lines.length;
    log.debug('probe');
    perInvocation.push(lines.slice(before).filter((line) => line.includes('"probe"')).length);
  }
  return perInvocation;
}

afterEach(() => {
  vi.unstubAllEnvs();
  vi.restoreAllMocks();
});

describe('Debug log sampling', () => {
  it('with a rate of 1, every invocation after the first (a warm start) logs at debug over an info level', async () => {
    const lines = await debugLinesOver(3, { LOG_LEVEL: 'info', POWERTOOLS_LOGGER_SAMPLE_RATE: '1' });
    expect(lines.slice(1)).toEqual([1, 1]);
  });

  it('with a rate of 0.5, each warm invocation decides anew: some log at debug, some do not', async () => {
    const lines = await debugLinesOver(60, { LOG_LEVEL: 'info', POWERTOOLS_LOGGER_SAMPLE_RATE: '0.5' });
    // Both outcomes over 59 draws at one half: a kept first decision would give only one of them.
    expect(new Set(lines.slice(1))).toEqual(new Set([0, 1]));
  });

  it('without a rate, or at 0, no invocation logs at debug over an info level', async () => {
    expect(await debugLinesOver(3, { LOG_LEVEL: 'info', POWERTOOLS_LOGGER_SAMPLE_RATE: undefined })).toEqual([0, 0, 0]);
    expect(await debugLinesOver(3, { LOG_LEVEL: 'info', POWERTOOLS_LOGGER_SAMPLE_RATE: '0' })).toEqual([0, 0, 0]);
  });
});
