import { records } from '#core/app.ts';
import { jwtEndpoint } from '#core/http/endpoint.ts';
import { toPublicRecord } from '#core/records/model.ts';
import { ReplaceRecordBody, ReplaceRecordParams } from './schema.ts';

const service = records();

/** PUT /org/records/{id}: replaces a record's data. */
export const handler = jwtEndpoint({
  name: 'records-replace',
  params: ReplaceRecordParams,
  body: ReplaceRecordBody,
  handle: async ({ params, body, caller }) => ({
    status: 200,
    body: toPublicRecord(await (await service()).replace(caller, params.id, body)),
  }),
});
