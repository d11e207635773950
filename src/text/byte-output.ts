// Output of many small pieces of text (a whole history's lines) as few large writes: the pieces
// are encoded straight into a buffer of bytes, so that no long string is built by concatenation
// (which V8 keeps as a tree of pieces, to be flattened and collected at great cost).

const size = 1 << 20;

export class ByteOutput {
  private readonly buffer = Buffer.allocUnsafeSlow(size);
  private used = 0;

  /**
   * `write` gets each full buffer and is done with it when it returns (the CLI's output is written
   * with write(2), or to a terminal, synchronously): the buffer is filled again after.
   */
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
    this.used = 0;
  }
}
