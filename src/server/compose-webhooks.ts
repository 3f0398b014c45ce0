// Composition of incoming webhooks: the webhook store of an app's home (adapters/store/sqlite),
// opened for the request that needs it and closed after it.
import { openWebhookStore } from '../adapters/store/sqlite/webhooks.js';
import { homePaths } from '../home/paths.js';
import type { WebhookStore } from '../ports/webhooks.js';

/** Runs `fn` with the webhook store of the app whose home is `home`. */
export const withWebhookStore = async <T>(home: string, fn: (store: WebhookStore) => Promise<T>): Promise<T> => {
  const store = openWebhookStore(homePaths(home).db);
  try {
    return await fn(store);
  } finally {
    store.close();
  }
};
