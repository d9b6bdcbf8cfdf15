/** Reported in the OpenAPI document; keep in step with package.json. */
export const APP_VERSION = '0.1.0';
