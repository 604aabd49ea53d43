import { z } from 'zod';
import { email, organizationName, password } from '#core/orgs/schemas.ts';

export const CreateOrgBody = z.strictObject({
  organization_name: organizationName,
  email,
  password,
});
