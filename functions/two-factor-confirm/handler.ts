import type { TwoFactorService } from '#core/account/two-factor.ts';
import { admission, twoFactor } from '#core/app.ts';
import { jwtEndpoint } from '#core/http/endpoint.ts';
import type { Admission } from '#core/limits/admission.ts';
import { schema } from './schema.ts';

/** POST /me/two-factor/confirm: turns two-factor authentication on with a first code; answers recovery codes. */
export function createHandler(service: () => Promise<TwoFactorService>, limit?: () => Promise<Admission>) {
  return jwtEndpoint({
    admission: limit,
    name: 'two-factor-confirm',
    contract: schema,
    handle: async ({ body, caller, event }) => ({
      recovery_codes: await (await service()).confirm(caller.userId, body.code, event.requestContext.http.sourceIp),
    }),
  });
}

export const handler = createHandler(twoFactor(), admission());
