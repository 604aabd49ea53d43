/** The longest tenant database name that leaves room for `_<place id>` within MongoDB's name limit. */
export const TENANT_DB_NAME_MAX = 63 - 25;
