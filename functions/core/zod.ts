/**
 * zod/mini (zod's tree-shakable build, functional API) with zod's English messages, for every
 * runtime schema: a function bundles only the schema types and checks it uses (14 to 35 KB per
 * function, where classic zod is about 455 KB), and the problem+json `errors[].message` texts stay the ones classic
 * zod gives. zod/mini sets no locale itself (its default message is "Invalid input"), so this module
 * sets the English one, the single locale file (a few KB), not `z.locales` (every locale).
 *
 * Import it as a namespace: `import * as z from '#core/zod.ts'`. A named import of zod's `z` object
 * (`import { z } from 'zod/mini'`) keeps the whole library in the bundle.
 */
import { config } from 'zod/mini';
import en from 'zod/v4/locales/en.js';

config(en());

export * from 'zod/mini';
