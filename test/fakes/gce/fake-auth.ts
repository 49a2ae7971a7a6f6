/** The bearer token the fake auth client sends; the Compute test server requires a bearer token but not this one. */
export const FAKE_GOOGLE_TOKEN = 'fake-token-for-tests';

/**
 * A stand-in for a google-auth-library `AuthClient` that adds a fixed bearer token and fetches with Node's
 * `fetch`: the REST transport of `@google-cloud/compute` calls only `getRequestHeaders()` and
 * `fetch(url, init)`. Pass it as `authClient` (cast) so no credential lookup happens in tests.
 */
export function fakeGoogleAuthClient() {
  const headers = () => new Headers({ authorization: `Bearer ${FAKE_GOOGLE_TOKEN}` });
  return {
    universeDomain: 'googleapis.com',
    getRequestHeaders: async () => headers(),
    fetch: (url: string | URL, init: RequestInit = {}) => {
      const h = new Headers(init.headers);
      h.set('authorization', `Bearer ${FAKE_GOOGLE_TOKEN}`);
      return fetch(url, { ...init, headers: h });
    },
  };
}
