// One error shape for every route and runtime (API.md "Errors").

export type ErrorType =
  | "invalid_request_error"
  | "authentication_error"
  | "insufficient_quota"
  | "permission_error"
  | "not_found_error"
  | "rate_limit_error"
  | "api_error"
  | "upstream_error";

const TYPE_BY_STATUS: Record<number, ErrorType> = {
  400: "invalid_request_error",
  401: "authentication_error",
  402: "insufficient_quota",
  403: "permission_error",
  404: "not_found_error",
  405: "invalid_request_error",
  409: "invalid_request_error",
  413: "invalid_request_error",
  422: "invalid_request_error",
  429: "rate_limit_error",
  500: "api_error",
  502: "upstream_error",
  503: "upstream_error",
  504: "upstream_error",
};

export function errorTypeFor(status: number): ErrorType {
  return TYPE_BY_STATUS[status] ?? (status >= 500 ? "api_error" : "invalid_request_error");
}

export interface ErrorBody {
  error: { message: string; type: string; code: string | null; param: string | null };
}

/** A failure the client should see as-is. Anything else thrown becomes a bare 500. */
export class GatewayError extends Error {
  readonly headers: Record<string, string>;
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly param: string | null = null,
    headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = "GatewayError";
    this.headers = headers;
  }

  body(): ErrorBody {
    return { error: { message: this.message, type: errorTypeFor(this.status), code: this.code, param: this.param } };
  }
}

export function errorBody(status: number, code: string, message: string, param: string | null = null): ErrorBody {
  return { error: { message, type: errorTypeFor(status), code, param } };
}

export function errorResponse(err: GatewayError, headers?: HeadersInit): Response {
  const h = new Headers(headers);
  h.set("content-type", "application/json");
  for (const [k, v] of Object.entries(err.headers)) h.set(k, v);
  return new Response(JSON.stringify(err.body()), { status: err.status, headers: h });
}

export const internalError = () => new GatewayError(500, "internal_error", "The gateway hit an internal error.");
