// Errors in the ErrorResponseMessage shape the published API uses: {code, message, errors[]}.
// Handlers throw ApiError; the server turns it into the response.

export interface ValidationError {
  code: string;
  message: string;
  resource: string;
  field: string;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly errors?: ValidationError[],
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }

  body(): { code: string; message: string; errors?: ValidationError[] } {
    return this.errors
      ? { code: this.code, message: this.message, errors: this.errors }
      : { code: this.code, message: this.message };
  }
}

/** 400 InvalidObject "{resource} object is invalid" with the per-field errors, as the API reports validation. */
export function invalidObject(resource: string, errors: Omit<ValidationError, "resource">[]): ApiError {
  return new ApiError(
    400,
    "InvalidObject",
    `${resource} object is invalid`,
    errors.map((e) => ({ ...e, resource })),
  );
}

export function notFound(what: string): ApiError {
  return new ApiError(404, "NotFound", `${what} not found`);
}

export function unauthorized(message: string): ApiError {
  return new ApiError(401, "Unauthorized", message, []);
}

export function security(): ApiError {
  return new ApiError(403, "Security", "You do not have security permission to perform this action.");
}

export function invalidCondition(message: string, field = ""): ApiError {
  return new ApiError(400, "InvalidCondition", message, [
    { code: "InvalidCondition", message, resource: "conditions", field },
  ]);
}

/** As seen from the real API: a length violation comes back as its own top-level code, without errors[]. */
export function maxLength(field: string, max: number): ApiError {
  return new ApiError(400, "MaxLengthField", `The field ${field} must be a string with a maximum length of ${max}.`);
}
