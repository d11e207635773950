// Output of many small pieces of text (a whole history's lines) as few large writes: the pieces
// are encoded straight into a buffer of bytes, so that no long string is built by concatenation
// (which V8 keeps as a tree of pieces, to be flattened and collected at great cost).

const size = 1 << 20;

export class ByteOutput {
  private buffer = Buffer.allocUnsafe(size);
  private used = 0;

  /** `write` gets each full buffer; it may keep it (a new one is taken for what follows). */
  constructor(private readonly write: (bytes: Uint8Array) => void) {}

  add(text: string): void {
    // A UTF-16 unit is at most 3 bytes of UTF-8.
    if (this.used + text.length * 3 > size) {
      this.flush();
      if (text.length * 3 > size) {
        this.write(Buffer.from(text));
        return;
      }
    }
    this.used += this.buffer.write(text, this.used);
  }

  flush(): void {
    if (this.used === 0) return;
    this.write(this.buffer.subarray(0, this.used));
    this.buffer = Buffer.allocUnsafe(size);
    this.used = 0;
  }
}
