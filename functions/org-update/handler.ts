import { organizations } from '#core/app.ts';
import { jwtEndpoint } from '#core/http/endpoint.ts';
import { toPublic } from '#core/orgs/model.ts';
import { UpdateOrgBody } from './schema.ts';

const service = organizations();

/** PUT /org/update: rename the caller's organization and/or change its admin's credentials. */
export const handler = jwtEndpoint({
  name: 'org-update',
  body: UpdateOrgBody,
  handle: async ({ body, caller }) => {
    const org = await (await service()).update(caller, {
      name: body.organization_name,
      newName: body.new_organization_name,
      email: body.email,
      password: body.password,
    });
    return { status: 200, body: toPublic(org) };
  },
});
