import { records } from '#core/app.ts';
import { jwtEndpoint } from '#core/http/endpoint.ts';
import { DeleteRecordParams } from './schema.ts';

const service = records();

/** DELETE /org/records/{id}: removes a record. */
export const handler = jwtEndpoint({
  name: 'records-delete',
  params: DeleteRecordParams,
  handle: async ({ params, caller }) => {
    await (await service()).remove(caller, params.id);
    return { status: 204, body: undefined };
  },
});
