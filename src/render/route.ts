import { ip, ROUTE_PROTO, unlessNetnsGone, where } from "./common";
import { shq } from "./quote";
import { Hooks, RouteSpec } from "./types";

/** Routes carry `proto 199` so hostnet only ever replaces or deletes its own. */
export function renderRoute(r: RouteSpec): Hooks {
  const sel = [r.destination];
  const spec = [
    ...sel,
    ...(r.via ? ["via", r.via] : []),
    ...(r.dev ? ["dev", r.dev] : []),
    ...(r.metric !== undefined ? ["metric", r.metric] : []),
    "proto",
    ROUTE_PROTO,
  ];
  // `ip` tells the family from an address, but "default" and a listing need -6 to mean IPv6.
  const v6 = r.family === 6 ? ["-6"] : [];
  const route = (...w: Array<string | number>) => ip(r.netns, ...v6, "route", ...w);
  const show = route("show", "exact", r.destination === "default" ? (r.family === 6 ? "::/0" : "0.0.0.0/0") : r.destination);
  const create = [
    `cur=$(${show})`,
    `if [ -n "$cur" ] && ! printf '%s\\n' "$cur" | grep -q ' ` +
      `proto ${ROUTE_PROTO}'; then ` +
      `hn_fail ${shq(`a route to ${r.destination} already exists in ${where(r.netns)} and hostnet did not add it; remove it or drop this Route`)}; fi`,
    route("replace", ...spec),
  ];
  const del = [
    `if ${show} proto ${ROUTE_PROTO} | grep -q .; then`,
    `  ${route("del", ...sel, ...(r.metric !== undefined ? ["metric", r.metric] : []), "proto", ROUTE_PROTO)}`,
    `fi`,
  ];
  return { create, destroy: unlessNetnsGone(r.netns, del) };
}
