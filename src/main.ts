import { serveOrExit } from './cli/start.js';

/** Process entry (`npm start`): config → app → listen; graceful shutdown on SIGTERM/SIGINT. */
void serveOrExit(process.env);
