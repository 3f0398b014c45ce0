// Entry point: listen on PORT and stop cleanly on SIGTERM (finish in-flight requests first).
import { createApp } from './app.js';

const port = Number(process.env.PORT ?? 3000);
const server = createApp();
server.listen(port, '127.0.0.1', () => {
  console.log(`hello-service listening on 127.0.0.1:${port} (release ${process.env.SLIPWAY_RELEASE ?? 'dev'})`);
});
process.on('SIGTERM', () => {
  console.log('SIGTERM: finishing in-flight requests');
  server.close(() => process.exit(0));
  server.closeIdleConnections();
});
