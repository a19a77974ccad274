/**
 * IPv6 underlay addresses of an inventory's hosts for the dual-stack examples:
 * HOSTNET_UNDERLAY6 as JSON, e.g. {"a":"fd00:18::a","b":"fd00:18::b"} (the
 * addresses the hosts have on eth0, the network they share).
 */
export function underlay6(hosts: readonly string[]): Record<string, string> {
  const text = process.env.HOSTNET_UNDERLAY6;
  if (!text) throw new Error(`set HOSTNET_UNDERLAY6 to the hosts' IPv6 addresses on eth0, e.g. '{"a":"fd00:18::a","b":"fd00:18::b"}'`);
  const map = JSON.parse(text) as Record<string, string>;
  for (const h of hosts) if (typeof map[h] !== "string") throw new Error(`HOSTNET_UNDERLAY6 has no address for host "${h}"`);
  return map;
}
