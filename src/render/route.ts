import { ip, NOT_NEW_NETNS, ROUTE_PROTO, unlessNetnsGone, where } from "./common";
import { shq } from "./quote";
import { Hooks, RouteSpec } from "./types";

export interface RouteRenderOptions {
  /** The route's namespace was made by this create (`NEW_NETNS`): no route can be there yet, so none is looked up. @default false */
  readonly inNewNetns?: boolean;
}

/**
 * Routes carry `proto 199` so hostnet only ever replaces or deletes its own.
 * The listing is matched by `case` in the shell, not by a `grep` process.
 */
export function renderRoute(r: RouteSpec, opts: RouteRenderOptions = {}): Hooks {
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
  // A route there that is not hostnet's: one line of the listing without " proto 199".
  const check =
    `cur=$(${show}); case "$cur" in ""|*' proto ${ROUTE_PROTO}'*) ;; ` +
    `*) hn_fail ${shq(`a route to ${r.destination} already exists in ${where(r.netns)} and hostnet did not add it; remove it or drop this Route`)} ;; esac`;
  const create = [opts.inNewNetns ? `if ${NOT_NEW_NETNS}; then ${check}; fi` : check, route("replace", ...spec)];
  // A listing that fails counts as empty, as when grep read it.
  const del = [
    `cur=$(${show} proto ${ROUTE_PROTO}) || cur=`,
    `[ -z "$cur" ] || ${route("del", ...sel, ...(r.metric !== undefined ? ["metric", r.metric] : []), "proto", ROUTE_PROTO)}`,
  ];
  return { create, destroy: unlessNetnsGone(r.netns, del) };
}
