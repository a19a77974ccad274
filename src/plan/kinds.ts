/**
 * Every kind of object hostnet creates on a host, in the order the review
 * counts them ("3 netns, 1 bridge, ..."). A construct's `kind` is typed by this
 * list, so a new construct adds its kind here (the compiler asks for it) and
 * nowhere else: the review order, the manifest and the scripts' headers read it
 * from the object.
 */
export const OBJECT_KINDS = [
  "netns",
  "bridge",
  "veth",
  "route",
  "masquerade",
  "snat",
  "dnat",
  "sysctl",
  "bandwidth",
  "endpoint",
  "ipvlan",
  "macvlan",
  "routed",
  "static",
  "vxlan",
] as const;

/** Short kind name of an object ("bridge", "veth", ...): NetObject.kind. */
export type ObjectKind = (typeof OBJECT_KINDS)[number];

/** Position of a kind in OBJECT_KINDS; a kind not in it (read back from an older plan.json) comes after all. */
export function kindRank(kind: string): number {
  const i = (OBJECT_KINDS as readonly string[]).indexOf(kind);
  return i === -1 ? OBJECT_KINDS.length : i;
}
