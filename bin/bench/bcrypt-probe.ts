import bcrypt from 'bcryptjs';

/**
 * Measures the time spent inside bcrypt during a handler call, so a login's figures can be split
 * into bcrypt and everything else per call. It wraps `compare` and `hash` on the bcryptjs module
 * object the service's password hasher calls (one module instance per process).
 */
export interface BcryptProbe {
  /** Milliseconds spent in bcrypt since the last call. */
  take(): number;
  restore(): void;
}

type Fn = (...args: any[]) => Promise<any>;

export function installBcryptProbe(): BcryptProbe {
  const target = bcrypt as unknown as Record<'compare' | 'hash', Fn>;
  const original = { compare: target.compare, hash: target.hash };
  let spent = 0;
  const timed =
    (fn: Fn): Fn =>
    async (...args) => {
      const started = performance.now();
      try {
        return await fn(...args);
      } finally {
        spent += performance.now() - started;
      }
    };
  target.compare = timed(original.compare);
  target.hash = timed(original.hash);
  return {
    take() {
      const value = spent;
      spent = 0;
      return value;
    },
    restore() {
      target.compare = original.compare;
      target.hash = original.hash;
    },
  };
}
