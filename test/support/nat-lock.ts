/**
 * The host's NAT lock around a NAT object's script lines (src/render/common.ts
 * underLock, taken by src/render/nat.ts): tests check the lock's own lines and
 * read the lines inside it as they would be without it.
 */

/**
 * The lines inside the NAT lock, without the lock's indent, after checking the
 * lock's lines. `indent` is what the lock itself is indented by (inside a check
 * that a namespace is there, for one).
 */
export function inNatLock(lines: readonly string[], indent = ""): string[] {
  expect(lines.slice(0, 3)).toEqual([
    `${indent}hn_nat_lock=/run/hostnet; [ -d "$hn_nat_lock" ] || hn_nat_lock=/`,
    `${indent}(`,
    `${indent}  flock 9`,
  ]);
  expect(lines[lines.length - 1]).toBe(`${indent}) 9<"$hn_nat_lock"`);
  const body = lines.slice(3, -1);
  expect(body.filter((l) => !l.startsWith(`${indent}  `))).toEqual([]);
  return body.map((l) => indent + l.slice(indent.length + 2));
}
