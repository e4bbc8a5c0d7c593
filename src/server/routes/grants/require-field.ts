import { TesseraError } from "../../../core/errors.js";

/** RFC 6749 names a missing parameter an invalid_request; we name the parameter too. */
export function requireField(value: string | undefined, name: string): string {
  if (value === undefined || value === "") throw new TesseraError("invalid_request", `${name}: is required`);
  return value;
}
