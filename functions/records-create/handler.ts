import { records } from '#core/app.ts';
import { jwtEndpoint } from '#core/http/endpoint.ts';
import { toPublicRecord } from '#core/records/model.ts';
import { CreateRecordBody } from './schema.ts';

const service = records();

/** POST /org/records: a new record in the caller's organization. */
export const handler = jwtEndpoint({
  name: 'records-create',
  body: CreateRecordBody,
  handle: async ({ body, caller }) => {
    const record = await (await service()).create(caller, body);
    return { status: 201, body: toPublicRecord(record), headers: { location: `/org/records/${record.id}` } };
  },
});
