import type { KeyMaterial } from '../auth/tokens.ts';
import type { SecretSource } from '../config.ts';
import { readSecretSource } from '../secrets.ts';

/** Key material read from the environment or Secrets Manager, re-read after `maxAgeMs`. */
export function keyMaterial(source: SecretSource, maxAgeMs: number): KeyMaterial {
  return ({ fresh }) => readSecretSource(source, { maxAgeMs: fresh ? 0 : maxAgeMs });
}
