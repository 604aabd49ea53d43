import { contract } from '#core/http/contract.ts';
import * as z from '#core/zod.ts';

export const schema = contract({
  request: {},
  success: {
    status: 200,
    description: 'This OpenAPI 3.1 document.',
    body: z.looseObject({
      openapi: z.string(),
      info: z.looseObject({ title: z.string(), version: z.string() }),
      paths: z.record(z.string(), z.unknown()),
    }),
  },
  errors: [],
  example: {},
});
