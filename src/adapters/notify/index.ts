// Outgoing deployment notifications: signed JSON webhooks, retried with backoff in the background.

export { createNotifier, DEFAULT_RETRY, MAX_PENDING, type Notifier, type NotifierOptions, type DeliveryResult, type RetryPolicy } from './notifier.js';
export { noticeBody, type DeploymentNotice } from './body.js';
export { SIGNATURE_HEADER, signBody, verifySignature } from '../../core/webhooks/signature.js';
