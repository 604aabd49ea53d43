import { organizations } from '#core/app.ts';
import { publicEndpoint } from '#core/http/endpoint.ts';
import { toPublic } from '#core/orgs/model.ts';
import { schema } from './schema.ts';

const service = organizations();

/** GET /org/get?organization_name=: an organization's public metadata. */
export const handler = publicEndpoint({
  name: 'org-get',
  contract: schema,
  handle: async ({ query }) => toPublic(await (await service()).get(query.organization_name)),
});
