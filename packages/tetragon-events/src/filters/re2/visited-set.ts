/** Program instructions visited in one pass, forgotten in O(1) by moving to a new generation. */
export class VisitedSet {
  private readonly marks: Int32Array;

  /** `generation` other than 1 is for tests of the wrap-around. */
  constructor(
    size: number,
    private generation = 1,
  ) {
    this.marks = new Int32Array(size);
  }

  /** Forgets every mark. */
  clear(): void {
    // The marks hold 32 bits: start over before the counter outgrows them, or no mark would ever
    // match again and every loop in a program would be followed for ever.
    if (this.generation >= 0x7fffffff) {
      this.marks.fill(0);
      this.generation = 0;
    }
    this.generation++;
  }

  /** Marks `index`; false if it was marked since the last clear. */
  visit(index: number): boolean {
    if (this.marks[index] === this.generation) return false;
    this.marks[index] = this.generation;
    return true;
  }
}
