import * as fs from "fs";
import * as os from "os";
/**
 * One reading of a PostgreSQL connection string for everything hostnet sends
 * to that server: Terraform's `pg` backend (Go, lib/pq) and the shared address
 * pool (node-postgres). The two clients disagree when left to themselves:
 * lib/pq asks for SSL unless told `sslmode=disable`, node-postgres connects
 * without SSL unless told otherwise. So the string is parsed once here and
 * both get the same, explicit `sslmode`:
 * - what the user wrote, when it is one lib/pq understands (disable, require,
 *   verify-ca, verify-full);
 * - when absent: `disable` for a unix socket (PostgreSQL has no SSL on
 *   sockets), else `require` (Terraform's own default: encrypted, the
 *   certificate not checked).
 *
 * A password in the string is refused: the backend's string is written to
 * cdk.tf.json and .terraform/terraform.tfstate, and the pool's string is in
 * the app's code. Both clients read PGPASSWORD and ~/.pgpass instead.
 */
import { createHash } from "crypto";
import { HostnetError } from "../errors";

export type SslMode = "disable" | "require" | "verify-ca" | "verify-full";
const SSL_MODES: readonly string[] = ["disable", "require", "verify-ca", "verify-full"];

/**
 * Where and how to connect, without a password: plain JSON, so it can travel
 * to a provisioner (bin/hostnet-pool-commit.js builds the same client options
 * from it) and into Terraform state.
 */
export interface PgTarget {
  /** Host name, address, or a unix socket directory (starts with "/"). @default pg's (PGHOST, else localhost) */
  readonly host?: string;
  readonly port?: number;
  readonly user?: string;
  readonly database?: string;
  readonly sslmode: SslMode;
  /** Files for verify-ca / verify-full and client certificates, as libpq names them. */
  readonly sslrootcert?: string;
  readonly sslcert?: string;
  readonly sslkey?: string;
  readonly application_name?: string;
}

export interface PgConnection {
  /** The string as written, with `sslmode` added when it was absent: what Terraform's backend gets. */
  readonly connStr: string;
  readonly target: PgTarget;
}

const FIX_PASSWORD =
  "Remove it and set PGPASSWORD (or a line in ~/.pgpass, mode 0600) where synth and terraform run; Terraform's pg backend and the address pool both read them.";

/** Parse a libpq connection string (URL or key=value form); a problem (without the construct path) when it cannot be used. */
export function parsePgConnStr(connStr: string): { connection?: PgConnection; problem?: string } {
  if (typeof connStr !== "string" || connStr.trim() === "")
    return { problem: `connStr is empty. Give a connection string such as "postgres://hostnet@db.example/hostnet".` };
  const url = /^postgres(?:ql)?:\/\//.test(connStr);
  const fields = url ? parseUrl(connStr) : parseKeyValue(connStr);
  if (typeof fields === "string") return { problem: fields };
  if (fields.password !== undefined) {
    const form = url ? "the URL" : "password=...";
    return {
      problem: `connStr holds a password (in ${form}): it would be written to cdk.tf.json and .terraform/terraform.tfstate in clear. ${FIX_PASSWORD}`,
    };
  }
  const host = fields.host;
  let sslmode = fields.sslmode;
  if (sslmode !== undefined && !SSL_MODES.includes(sslmode)) {
    return {
      problem:
        `connStr has sslmode=${sslmode}, which Terraform's pg backend does not support. ` +
        `Use sslmode=disable for a server without SSL, require (encrypted), verify-ca or verify-full (encrypted, certificate checked against sslrootcert).`,
    };
  }
  let out = connStr;
  if (sslmode === undefined) {
    sslmode = host?.startsWith("/") ? "disable" : "require";
    out = url ? `${connStr}${connStr.includes("?") ? "&" : "?"}sslmode=${sslmode}` : `${connStr.trimEnd()} sslmode=${sslmode}`;
  }
  const port = fields.port === undefined ? undefined : Number(fields.port);
  if (port !== undefined && !(Number.isInteger(port) && port > 0 && port < 65536))
    return { problem: `connStr has port "${fields.port}"; use a number from 1 to 65535.` };
  const target: PgTarget = {
    ...(host !== undefined && host !== "" ? { host } : {}),
    ...(port !== undefined ? { port } : {}),
    ...(fields.user ? { user: fields.user } : {}),
    ...(fields.dbname ? { database: fields.dbname } : {}),
    sslmode: sslmode as SslMode,
    ...(fields.sslrootcert ? { sslrootcert: fields.sslrootcert } : {}),
    ...(fields.sslcert ? { sslcert: fields.sslcert } : {}),
    ...(fields.sslkey ? { sslkey: fields.sslkey } : {}),
    ...(fields.application_name ? { application_name: fields.application_name } : {}),
  };
  return { connection: { connStr: out, target } };
}

/** Like parsePgConnStr, for callers without a construct path: throws the problem. */
export function pgConnection(connStr: string, what: string): PgConnection {
  const r = parsePgConnStr(connStr);
  if (r.problem) throw new HostnetError(`${what}: ${r.problem}`);
  return r.connection!;
}

/**
 * Who a state is, whoever connects to it: server, port, database and schema
 * (not the user or password, which differ between engineers). 16 hex digits.
 */
export function stateIdentity(t: PgTarget, schema: string): string {
  return createHash("sha256")
    .update(JSON.stringify([t.host ?? "", t.port ?? 5432, t.database ?? t.user ?? "", schema]))
    .digest("hex")
    .slice(0, 16);
}

/**
 * The default schema of a stack's state: `hostnet_<stack>` in lowercase
 * letters, digits and "_" (a plain PostgreSQL identifier, at most 63 bytes).
 * A name that had to change (upper case, "-") or be cut gets a short hash,
 * so two stack names never share a schema.
 */
export function defaultSchemaName(stackName: string): string {
  const plain = stackName.toLowerCase().replace(/[^a-z0-9_]/g, "_");
  const name = `hostnet_${plain}`;
  if (plain === stackName && name.length <= 63) return name;
  const hash = createHash("sha256").update(stackName).digest("hex").slice(0, 8);
  return `${name.slice(0, 63 - 9)}_${hash}`;
}

interface Fields {
  host?: string;
  port?: string;
  user?: string;
  password?: string;
  dbname?: string;
  sslmode?: string;
  sslrootcert?: string;
  sslcert?: string;
  sslkey?: string;
  application_name?: string;
}

const KEYS = new Set(["host", "port", "user", "password", "dbname", "sslmode", "sslrootcert", "sslcert", "sslkey", "application_name"]);

function parseUrl(s: string): Fields | string {
  const m = /^postgres(?:ql)?:\/\/(?:([^@/?#]*)@)?([^/?#]*)(?:\/([^?#]*))?(?:\?([^#]*))?$/.exec(s);
  if (!m) return `connStr "${redact(s)}" is not a postgres:// URL libpq understands. Use postgres://user@host:port/database?sslmode=...`;
  const f: Fields = {};
  try {
    if (m[1] !== undefined) {
      const i = m[1].indexOf(":");
      f.user = decodeURIComponent(i < 0 ? m[1] : m[1].slice(0, i));
      if (i >= 0) f.password = decodeURIComponent(m[1].slice(i + 1));
    }
    const hp = /^(\[[^\]]*\]|[^:]*)(?::(.*))?$/.exec(m[2])!;
    if (hp[1]) f.host = decodeURIComponent(hp[1].replace(/^\[|\]$/g, ""));
    if (hp[2] !== undefined && hp[2] !== "") f.port = hp[2];
    if (m[3]) f.dbname = decodeURIComponent(m[3]);
    for (const [k, v] of new URLSearchParams(m[4] ?? "")) {
      if (KEYS.has(k)) (f as Record<string, string>)[k] = v;
    }
  } catch {
    return `connStr "${redact(s)}" has a bad %-escape. Fix the URL encoding.`;
  }
  return f;
}

// libpq's key=value form: values bare or in single quotes, with \' and \\ escapes.
function parseKeyValue(s: string): Fields | string {
  const f: Fields = {};
  const re = /\s*([A-Za-z_]+)\s*=\s*(?:'((?:[^'\\]|\\.)*)'|([^\s']*))/y;
  let i = 0;
  while (i < s.length) {
    if (/^\s*$/.test(s.slice(i))) break;
    re.lastIndex = i;
    const m = re.exec(s);
    if (!m)
      return `connStr is neither a postgres:// URL nor key=value pairs libpq understands (near "${redact(s.slice(i, i + 20))}"). Use postgres://user@host/database or "host=... user=... dbname=...".`;
    const v = m[2] !== undefined ? m[2].replace(/\\(.)/g, "$1") : m[3];
    if (KEYS.has(m[1])) (f as Record<string, string>)[m[1]] = v;
    i = re.lastIndex;
  }
  return f;
}

// Error messages quote the string without any password.
function redact(s: string): string {
  return s.replace(/(:\/\/[^:@/]*:)[^@/]*@/, "$1***@").replace(/(password\s*=\s*)('(?:[^'\\]|\\.)*'|\S*)/gi, "$1***");
}

/**
 * node-postgres options for a target, SSL as lib/pq does it (bin/hostnet-pool-commit.js
 * has the same mapping for the provisioner): require encrypts without checking the
 * certificate; verify-ca checks it against sslrootcert; verify-full also checks the name.
 * No password: pg reads PGPASSWORD and ~/.pgpass.
 */
export function clientOptions(t: PgTarget): {
  host?: string;
  port?: number;
  user?: string;
  database?: string;
  application_name?: string;
  ssl: false | { rejectUnauthorized: boolean; ca?: string; cert?: string; key?: string; checkServerIdentity?: () => undefined };
} {
  const read = (f: string) => fs.readFileSync(f.replace(/^~(?=\/)/, os.homedir()), "utf8");
  const base = { host: t.host, port: t.port, user: t.user, database: t.database, application_name: t.application_name };
  if (t.sslmode === "disable") return { ...base, ssl: false };
  const files = { ...(t.sslcert ? { cert: read(t.sslcert) } : {}), ...(t.sslkey ? { key: read(t.sslkey) } : {}) };
  if (t.sslmode === "require") return { ...base, ssl: { rejectUnauthorized: false, ...files } };
  const ca = read(t.sslrootcert ?? "~/.postgresql/root.crt");
  return { ...base, ssl: { rejectUnauthorized: true, ca, ...files, ...(t.sslmode === "verify-ca" ? { checkServerIdentity: () => undefined } : {}) } };
}
