import { familyOf } from "../ipam/ip";
import { ip, ROUTE_PROTO, unlessNetnsGone, where } from "./common";
import { shq } from "./quote";
import { Hooks, RouteSpec } from "./types";

/** IPv6 routes need `ip -6` to be listed ("ip route show exact fd00::/64" prints nothing) and for `default`. */
export function routeFamily(r: RouteSpec): { v6: boolean; words: string[]; any: string } {
  const v6 = familyOf(r.destination === "default" ? (r.via ?? "") : r.destination) === 6;
  return { v6, words: v6 ? ["-6"] : [], any: v6 ? "::/0" : "0.0.0.0/0" };
}

/** Routes carry `proto 199` so hostnet only ever replaces or deletes its own. */
export function renderRoute(r: RouteSpec): Hooks {
  const fam = routeFamily(r);
  const sel = [r.destination];
  const spec = [
    ...sel,
    ...(r.via ? ["via", r.via] : []),
    ...(r.dev ? ["dev", r.dev] : []),
    ...(r.metric !== undefined ? ["metric", r.metric] : []),
    "proto",
    ROUTE_PROTO,
  ];
  const show = ip(r.netns, ...fam.words, "route", "show", "exact", r.destination === "default" ? fam.any : r.destination);
  const create = [
    `cur=$(${show})`,
    `if [ -n "$cur" ] && ! printf '%s\\n' "$cur" | grep -q ' ` +
      `proto ${ROUTE_PROTO}'; then ` +
      `hn_fail ${shq(`a route to ${r.destination} already exists in ${where(r.netns)} and hostnet did not add it; remove it or drop this Route`)}; fi`,
    ip(r.netns, ...fam.words, "route", "replace", ...spec),
  ];
  const del = [
    `if ${show} proto ${ROUTE_PROTO} | grep -q .; then`,
    `  ${ip(r.netns, ...fam.words, "route", "del", ...sel, ...(r.metric !== undefined ? ["metric", r.metric] : []), "proto", ROUTE_PROTO)}`,
    `fi`,
  ];
  return { create, destroy: unlessNetnsGone(r.netns, del) };
}
