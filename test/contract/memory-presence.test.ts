import { MemoryPresence } from '../../src/presence/memory-presence.js';
import { presenceContract } from './presence-contract.js';

presenceContract('MemoryPresence', async () => {
  const presence = new MemoryPresence();
  return { presence, close: () => presence.close() };
});
