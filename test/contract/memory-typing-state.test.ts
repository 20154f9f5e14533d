import { MemoryTypingState } from '../../src/presence/memory-typing-state.js';
import { typingStateContract } from './typing-state-contract.js';

typingStateContract('MemoryTypingState', async () => {
  const state = new MemoryTypingState();
  return { state, close: () => state.close() };
});
