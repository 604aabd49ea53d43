import type { TwoFactorService } from '#core/account/two-factor.ts';
import { admission, twoFactor } from '#core/app.ts';
import { jwtEndpoint } from '#core/http/endpoint.ts';
import type { Admission } from '#core/limits/admission.ts';
import { schema } from './schema.ts';

/** POST /me/two-factor/disable: turns two-factor authentication off (password and a code required). */
export function createHandler(service: () => Promise<TwoFactorService>, limit?: () => Promise<Admission>) {
  return jwtEndpoint({
    admission: limit,
    name: 'two-factor-disable',
    contract: schema,
    handle: async ({ body, caller, event }) => {
      await (await service()).disable(caller.userId, body.password, body.code, event.requestContext.http.sourceIp);
    },
  });
}

export const handler = createHandler(twoFactor({ passwords: true }), admission());
