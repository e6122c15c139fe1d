// Every error the VNFM returns is a ProblemDetails (RFC 7807 as SOL013 mandates it: status and
// detail always present), so handlers throw ApiError and the server renders it in one place.

// The same SOL013 type the Tacker client reads from Tacker's errors.
import type { ProblemDetails } from '../openstack/tacker.js';
import { clipMessage } from '../util/echo.js';

export type { ProblemDetails };

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  406: 'Not Acceptable',
  409: 'Conflict',
  415: 'Unsupported Media Type',
  416: 'Requested Range Not Satisfiable',
  422: 'Unprocessable Entity',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

export class ApiError extends Error {
  constructor(
    readonly status: number,
    detail: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(detail);
    this.name = 'ApiError';
  }

  problem(instance?: string): ProblemDetails {
    // Details quote the request (paths, keys, parser wording): bounded, so a hostile request cannot
    // make the answer megabytes long. `instance` stays a URI (SOL013): Node bounds it (16 KiB of headers).
    return { title: TITLES[this.status] ?? 'Error', status: this.status, detail: clipMessage(this.message), ...(instance ? { instance } : {}) };
  }
}

export const badRequest = (detail: string) => new ApiError(400, detail);
export const notFound = (detail: string) => new ApiError(404, detail);
export const conflict = (detail: string) => new ApiError(409, detail);
export const unprocessable = (detail: string) => new ApiError(422, detail);

export function toProblem(err: unknown, instance?: string): ProblemDetails {
  if (err instanceof ApiError) return err.problem(instance);
  return { title: TITLES[500], status: 500, detail: clipMessage(err instanceof Error ? err.message : String(err)), ...(instance ? { instance } : {}) };
}
