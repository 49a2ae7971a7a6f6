import { describe, expect, it } from 'vitest';
import {
  completeRotation,
  generateKeyPair,
  localKeyAt,
  nextKeyChangeAt,
  peerEntriesFor,
  rotationPhase,
  scheduleActivation,
} from '../../network/index.js';

const oldKey = generateKeyPair().publicKey;
const newKey = generateKeyPair().publicKey;

describe('key rotation planning', () => {
  it('keeps one traffic-carrying entry when no rotation is under way', () => {
    const s = { publicKey: oldKey };
    expect(rotationPhase(s, 0)).toBe('steady');
    expect(peerEntriesFor(s, 0)).toEqual([{ publicKey: oldKey, carriesTraffic: true }]);
    expect(localKeyAt(s, 0)).toBe('current');
  });

  it('stages the next key as a second entry without traffic while the old key keeps carrying it', () => {
    const s = { publicKey: oldKey, nextPublicKey: newKey };
    expect(rotationPhase(s, 0)).toBe('staged');
    expect(peerEntriesFor(s, 0)).toEqual([
      { publicKey: oldKey, carriesTraffic: true },
      { publicKey: newKey, carriesTraffic: false },
    ]);
    expect(localKeyAt(s, 0)).toBe('current');
  });

  it('schedules the switch only once every peer acknowledged the staged key', () => {
    const s = { publicKey: oldKey, nextPublicKey: newKey };
    expect(scheduleActivation(s, ['a', 'b'], new Set(['a']), 1000, 4000)).toBeNull();
    expect(scheduleActivation(s, ['a', 'b'], new Set(['a', 'b']), 1000, 4000)).toBe(5000);
    expect(scheduleActivation(s, [], new Set(), 1000, 4000)).toBe(5000);
    expect(scheduleActivation({ publicKey: oldKey }, [], new Set(), 1000, 4000)).toBeNull();
    expect(scheduleActivation({ ...s, activateAt: 5000 }, [], new Set(), 2000, 4000)).toBeNull();
  });

  it('switches the node and every peer at the same instant', () => {
    const s = { publicKey: oldKey, nextPublicKey: newKey, activateAt: 5000 };
    expect(rotationPhase(s, 4999)).toBe('scheduled');
    expect(localKeyAt(s, 4999)).toBe('current');
    expect(peerEntriesFor(s, 4999)[0]).toEqual({ publicKey: oldKey, carriesTraffic: true });
    expect(rotationPhase(s, 5000)).toBe('switched');
    expect(localKeyAt(s, 5000)).toBe('next');
    expect(peerEntriesFor(s, 5000)).toEqual([{ publicKey: newKey, carriesTraffic: true }]);
  });

  it('completes into a steady state on the next key after the grace period', () => {
    const s = { publicKey: oldKey, nextPublicKey: newKey, activateAt: 5000 };
    expect(completeRotation(s, 5500, 1000)).toBe(s);
    expect(completeRotation(s, 6000, 1000)).toEqual({
      publicKey: newKey,
      nextPublicKey: null,
      activateAt: null,
    });
  });

  it('tells an agent when its peer config next changes by itself', () => {
    const states = [
      { publicKey: oldKey, nextPublicKey: newKey, activateAt: 9000 },
      { publicKey: oldKey, nextPublicKey: newKey, activateAt: 7000 },
      { publicKey: oldKey },
    ];
    expect(nextKeyChangeAt(states, 1000)).toBe(7000);
    expect(nextKeyChangeAt(states, 8000)).toBe(9000);
    expect(nextKeyChangeAt(states, 9000)).toBeNull();
  });
});
