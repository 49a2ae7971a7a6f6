import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../../engine/index.js';
import { createSession, fromFloat16Bits, toFloat16Bits } from '../../../ml/index.js';
import { castModel } from '../predict/op-models.js';

describe('float16 conversions', () => {
  it('decode then encode every bit pattern to itself (NaNs to the canonical 0x7e00)', () => {
    for (let bits = 0; bits < 0x10000; bits++) {
      const value = fromFloat16Bits(bits);
      const nan = (bits & 0x7c00) === 0x7c00 && (bits & 0x3ff) !== 0;
      expect(Number.isNaN(value)).toBe(nan);
      expect(toFloat16Bits(value)).toBe(nan ? 0x7e00 : bits);
    }
  });

  it('decode the landmarks of binary16', () => {
    expect(fromFloat16Bits(0x3c00)).toBe(1);
    expect(fromFloat16Bits(0x7bff)).toBe(65504);
    expect(fromFloat16Bits(0x0001)).toBe(2 ** -24);
    expect(fromFloat16Bits(0x0400)).toBe(2 ** -14);
    expect(fromFloat16Bits(0x7c00)).toBe(Number.POSITIVE_INFINITY);
    expect(fromFloat16Bits(0xfc00)).toBe(Number.NEGATIVE_INFINITY);
    expect(Object.is(fromFloat16Bits(0x8000), -0)).toBe(true);
  });

  it('round to nearest, ties to even, overflowing to infinity', () => {
    expect(toFloat16Bits(1 + 2 ** -11)).toBe(0x3c00); // tie between 1 and 1 + 2^-10: even
    expect(toFloat16Bits(1 + 3 * 2 ** -11)).toBe(0x3c02); // tie: even is up
    expect(toFloat16Bits(1 + 2 ** -11 + 2 ** -30)).toBe(0x3c01); // just past the tie
    expect(toFloat16Bits(2 ** -25)).toBe(0); // half the smallest subnormal: even is 0
    expect(toFloat16Bits(3 * 2 ** -26)).toBe(1);
    expect(toFloat16Bits(65519.99)).toBe(0x7bff);
    expect(toFloat16Bits(65520)).toBe(0x7c00);
    expect(toFloat16Bits(-1e9)).toBe(0xfc00);
    expect(toFloat16Bits(-0)).toBe(0x8000);
  });

  it("agree with onnxruntime's Cast from float32 on random values", () => {
    const session = createSession(castModel('float32', 'float16', 4096));
    const random = seededRandom(16);
    const x = Float32Array.from({ length: 4096 }, (_, i) => {
      const scale = 2 ** Math.floor(random() * 44 - 28); // subnormals to overflow
      return (random() * 2 - 1) * scale * (i % 7 === 0 ? 1e5 : 1);
    });
    const out = session.runSync({ x: { dtype: 'float32', dims: [1, 4096], data: x } }, ['y']);
    const bits = out.y.data as Uint16Array;
    for (let i = 0; i < x.length; i++) expect(toFloat16Bits(x[i]), `x = ${x[i]}`).toBe(bits[i]);
    session.dispose();
  });
});
