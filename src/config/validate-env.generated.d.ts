// Types for the generated standalone validator (see scripts/gen-config-validator.mjs).
export interface AjvErrorObject {
  instancePath: string;
  keyword: string;
  message?: string;
  params: Record<string, unknown>;
}
export interface StandaloneValidate {
  (data: unknown): boolean;
  errors?: AjvErrorObject[] | null;
}
export const validate: StandaloneValidate;
export default validate;
