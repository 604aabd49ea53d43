import { type ILogGroup, QueryDefinition, QueryString } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';

export interface ServiceQueriesProps {
  /** The stage's resource prefix; the queries are saved under `<prefix>/`. */
  readonly prefix: string;
  /** Every function's log group. */
  readonly functionLogs: readonly ILogGroup[];
  /** The HTTP API's access log group (one line per request, with `requestId` and `orgId`). */
  readonly accessLogs: ILogGroup;
}

/** The saved queries by name (the part after `<prefix>/`). */
export type SavedQueries = ReadonlyMap<string, QueryDefinition>;

/** Placeholders the operator replaces before running a query. */
export const QUERY_PLACEHOLDER = { orgId: 'ORG_ID', requestId: 'REQUEST_ID' } as const;

/**
 * CloudWatch Logs Insights queries saved with the stage, over its function logs (and, where they help,
 * the API's access log). They read the fields every log line carries (`functions/core/log.ts`):
 * `orgId`, `userId`, `correlation_id` (API Gateway's request id, `requestId` in the access log),
 * `function`, and the access line's `status` and `ms`.
 */
export class ServiceQueries extends Construct {
  readonly queries: SavedQueries;

  constructor(scope: Construct, id: string, props: ServiceQueriesProps) {
    super(scope, id);
    const all = [...props.functionLogs, props.accessLogs];
    const save = (name: string, logGroups: ILogGroup[], queryString: QueryString): [string, QueryDefinition] => [
      name,
      new QueryDefinition(this, name, { queryDefinitionName: `${props.prefix}/${name}`, logGroups, queryString }),
    ];
    const { orgId, requestId } = QUERY_PLACEHOLDER;
    this.queries = new Map([
      save(
        'everything-of-one-organization',
        all,
        new QueryString({
          fields: ['@timestamp', 'level', 'message', 'function', 'correlation_id', 'requestId', 'userId', 'status', '@logStream'],
          filterStatements: [`orgId = "${orgId}"`],
          sort: '@timestamp asc',
          limit: 1000,
        }),
      ),
      save(
        'one-request',
        all,
        new QueryString({
          fields: ['@timestamp', 'level', 'message', 'function', 'orgId', 'userId', 'status', 'ms', '@logStream'],
          filterStatements: [`correlation_id = "${requestId}" or requestId = "${requestId}"`],
          sort: '@timestamp asc',
          limit: 200,
        }),
      ),
      save(
        'errors-by-route',
        [...props.functionLogs],
        new QueryString({
          filterStatements: ['(message = "request" and status >= 400) or level = "ERROR"'],
          statsStatements: ['count(*) as answers by function, status, code, level'],
          sort: 'answers desc',
          limit: 100,
        }),
      ),
      save(
        'slowest-requests',
        [...props.functionLogs],
        new QueryString({
          fields: ['@timestamp', 'function', 'method', 'path', 'status', 'ms', 'orgId', 'correlation_id'],
          filterStatements: ['message = "request"'],
          sort: 'ms desc',
          limit: 50,
        }),
      ),
    ]);
  }
}
