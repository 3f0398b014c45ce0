// What an app of a Slipway server may be called: a DNS label (it names a directory of the server's
// home, a URL segment of the API and of the git endpoint `/git/<app>.git`, and later a host name).

/** Lower-case letters, digits and `-`, starting and ending with a letter or digit, 1–63 characters. */
export const APP_NAME_PATTERN = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
export const APP_NAME_EXPECTED = 'a DNS label: 1–63 lower-case letters, digits and -, starting and ending with a letter or digit';

/** Undefined for a good app name, else what is wrong with it (the name quoted, cut to 80 characters). */
export const appNameProblem = (name: string): string | undefined =>
  APP_NAME_PATTERN.test(name) ? undefined : `invalid app name ${JSON.stringify(name.slice(0, 80))}: expected ${APP_NAME_EXPECTED}`;
