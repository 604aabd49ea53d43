import { z } from 'zod';
import { email, organizationName, password } from '#core/orgs/schemas.ts';

export const UpdateOrgBody = z
  .strictObject({
    organization_name: organizationName,
    new_organization_name: organizationName.optional(),
    email: email.optional(),
    password: password.optional(),
  })
  .refine((body) => body.new_organization_name !== undefined || body.email !== undefined || body.password !== undefined, {
    message: 'give at least one of new_organization_name, email or password',
  });
