import { z } from 'zod';

export const RefreshBody = z.strictObject({
  refresh_token: z.string().min(20).max(200),
});
