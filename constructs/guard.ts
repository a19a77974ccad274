/**
 * Type guards by symbol, as terraform-cdk's `TerraformStack.isStack`: a class
 * marks its instances in its constructor and tests for the mark in a static
 * `isXxx(x)`. Unlike `instanceof`, the test holds across two copies of the
 * library in one app, and code that only needs to recognise an object (the tree
 * walks that write the review and the manifest) needs the class as a type only.
 */

/** Marks `o` as an instance of the class `mark` stands for. */
export function brand(o: object, mark: symbol): void {
  Object.defineProperty(o, mark, { value: true });
}

/** True when `x` carries `mark`. */
export function hasBrand(x: unknown, mark: symbol): boolean {
  return typeof x === "object" && x !== null && mark in x;
}
