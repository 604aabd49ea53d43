import type { TwoFactorService } from '#core/account/two-factor.ts';
import { admission, twoFactor } from '#core/app.ts';
import { jwtEndpoint } from '#core/http/endpoint.ts';
import type { Admission } from '#core/limits/admission.ts';
import { schema } from './schema.ts';

/** POST /me/two-factor: begins enrolment in two-factor authentication (password required). */
export function createHandler(service: () => Promise<TwoFactorService>, limit?: () => Promise<Admission>) {
  return jwtEndpoint({
    admission: limit,
    name: 'two-factor-enroll',
    contract: schema,
    handle: async ({ body, caller, event }) => {
      const enrolment = await (await service()).begin(caller.userId, body.password, event.requestContext.http.sourceIp);
      return { secret: enrolment.secret, otpauth_uri: enrolment.otpauthUri, qr_code: enrolment.qrCode };
    },
  });
}

export const handler = createHandler(twoFactor({ passwords: true }), admission());
