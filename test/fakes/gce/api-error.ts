/** An error the Compute API answers with, in its JSON shape `{ error: { code, message, errors: [...] } }`. */
export class GceApiError extends Error {
  constructor(
    readonly status: number,
    readonly reason: string,
    message: string,
    readonly domain = 'global',
  ) {
    super(message);
  }

  body(): string {
    return JSON.stringify({
      error: {
        code: this.status,
        message: this.message,
        errors: [{ message: this.message, domain: this.domain, reason: this.reason }],
      },
    });
  }
}

export const notFound = (what: string) =>
  new GceApiError(404, 'notFound', `The resource '${what}' was not found`);

export const invalid = (field: string, value: string, accepted: string) =>
  new GceApiError(400, 'invalid', `Invalid value for field '${field}': '${value}'. ${accepted}`);
