export { OrganizationNameQuery as GetOrgQuery } from '#core/orgs/schemas.ts';
