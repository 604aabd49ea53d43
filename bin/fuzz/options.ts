import { parseArgs } from 'node:util';

/** `npm run fuzz -- [options] [-- schemathesis options]`: how much to generate, and from which seed. */

export interface FuzzOptions {
  /** Schemathesis' `--max-examples`: test cases per operation in the generating phases. */
  readonly examples: number;
  /** Schemathesis' seed; a run with the same seed (and the same document) sends the same requests. */
  readonly seed: number | undefined;
  /** Concurrent Schemathesis workers. */
  readonly workers: number;
  /** Passed through to every `schemathesis run` after the run's own options. */
  readonly extra: readonly string[];
}

export const USAGE = `Usage: npm run fuzz -- [options] [-- schemathesis run options]

  --examples <n>   examples per operation, Schemathesis' --max-examples (default $FUZZ_EXAMPLES, else 100)
  --seed <n>       seed of the run, to repeat one (default $FUZZ_SEED, else a new one, printed)
  --workers <n>    concurrent Schemathesis workers (default $FUZZ_WORKERS, else 1)
  -h, --help

Anything after a second "--" goes to each "schemathesis run" as it is (for example --phases fuzzing).`;

function whole(name: string, raw: string | undefined, fallback: number | undefined, min: number): number | undefined {
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(value) || value < min) {
    throw new Error(`--${name} must be a whole number >= ${min}, got "${raw}"`);
  }
  return value;
}

/** The options of `argv` (environment variables as defaults), or `'help'`; throws on anything else. */
export function parseOptions(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): FuzzOptions | 'help' {
  const split = argv.indexOf('--');
  const own = split === -1 ? argv : argv.slice(0, split);
  const extra = split === -1 ? [] : argv.slice(split + 1);
  const { values } = parseArgs({
    args: [...own],
    options: {
      examples: { type: 'string' },
      seed: { type: 'string' },
      workers: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
    allowPositionals: false,
  });
  if (values.help) return 'help';
  return {
    examples: whole('examples', values.examples ?? env.FUZZ_EXAMPLES, 100, 1) as number,
    seed: whole('seed', values.seed ?? env.FUZZ_SEED, undefined, 0),
    workers: whole('workers', values.workers ?? env.FUZZ_WORKERS, 1, 1) as number,
    extra,
  };
}
