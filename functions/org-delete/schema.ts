export { OrganizationNameQuery as DeleteOrgQuery } from '#core/orgs/schemas.ts';
