/** A fixed-size bitmap of allocated slots: the allocator CNI's host-local and Docker's IPAM use. */
export class Bitmap {
  private readonly words: Uint32Array;

  constructor(public readonly size: number) {
    this.words = new Uint32Array(Math.ceil(size / 32));
  }

  has(i: number): boolean {
    this.check(i);
    return (this.words[i >>> 5] & (1 << (i & 31))) !== 0;
  }

  set(i: number): void {
    this.check(i);
    this.words[i >>> 5] |= 1 << (i & 31);
  }

  clear(i: number): void {
    this.check(i);
    this.words[i >>> 5] &= ~(1 << (i & 31));
  }

  /** Lowest clear slot at or after `from`, or -1 when all are taken. Skips full words. */
  firstClear(from = 0): number {
    for (let w = from >>> 5; w < this.words.length; w++) {
      if (this.words[w] === 0xffffffff) continue;
      for (let b = w === from >>> 5 ? from & 31 : 0; b < 32; b++) {
        const i = (w << 5) + b;
        if (i >= this.size) return -1;
        if ((this.words[w] & (1 << b)) === 0) return i;
      }
    }
    return -1;
  }

  private check(i: number): void {
    if (!Number.isInteger(i) || i < 0 || i >= this.size) throw new RangeError(`bit ${i} is outside 0..${this.size - 1}`);
  }
}
