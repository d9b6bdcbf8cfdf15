/** The largest PostgreSQL `integer`: epoch indices and the cursors that page them stay at or below it. */
export const INT4_MAX = 2_147_483_647;
