import { type HttpApi, HttpMethod, type HttpRoute, type IHttpRouteAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { Route } from './routes.ts';

export interface GenerateRoutesProps<F extends IFunction> {
  /** The API the routes are added to. */
  readonly api: HttpApi;
  /** The route table. */
  readonly routes: readonly Route[];
  /** Guards every `jwt` route; `public` routes get none. */
  readonly authorizer: IHttpRouteAuthorizer;
  /** Builds the function of a row; called once per function folder. */
  readonly createFunction: (route: Route) => F;
}

export interface GeneratedRoutes<F extends IFunction> {
  /** By function folder. */
  readonly functions: ReadonlyMap<string, F>;
  /** By route key (`POST /org/create`). */
  readonly routes: ReadonlyMap<string, HttpRoute>;
}

/** `POST /org/create`, as API Gateway names routes. */
export const routeKey = (route: Pick<Route, 'method' | 'path'>): string => `${route.method} ${route.path}`;

/** `org-create` -> `OrgCreate`, for construct ids. */
export const pascalCase = (text: string): string =>
  text
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((word) => word[0]!.toUpperCase() + word.slice(1).toLowerCase())
    .join('');

/**
 * Adds one Lambda proxy route (payload 2.0) per row of the route table, with the authorizer on the
 * `jwt` rows.
 *
 * @example
 * const { functions } = generateRoutes({ api, routes, authorizer, createFunction: (r) => makeFunction(r) });
 */
export function generateRoutes<F extends IFunction>(props: GenerateRoutesProps<F>): GeneratedRoutes<F> {
  const functions = new Map<string, F>();
  const created = new Map<string, HttpRoute>();
  for (const route of props.routes) {
    const key = routeKey(route);
    if (created.has(key)) throw new Error(`The route table lists ${key} twice`);
    let fn = functions.get(route.function);
    if (!fn) {
      fn = props.createFunction(route);
      functions.set(route.function, fn);
    }
    const [httpRoute] = props.api.addRoutes({
      path: route.path,
      methods: [HttpMethod[route.method]],
      integration: new HttpLambdaIntegration(`${pascalCase(`${route.method} ${route.path}`)}Integration`, fn),
      ...(route.auth === 'jwt' ? { authorizer: props.authorizer } : {}),
    });
    if (!httpRoute) throw new Error(`No route was created for ${key}`);
    created.set(key, httpRoute);
  }
  return { functions, routes: created };
}
