#!/usr/bin/env node
// The shared address pool's commit, run by Terraform (local-exec) from a
// stack's pool resources (constructs/pool-commit.ts); plain JavaScript so it
// runs without ts-node or a build.
//
//   commit       the deploy got past every hook: the stack now holds exactly
//                the addresses in HN_POOL_FILE (written beside cdk.tf.json at
//                synth, checked against HN_POOL_SET); the stack's other
//                addresses are freed.
//   release-all  the stack is being destroyed: free every address it holds.
//
// HN_POOL_TARGET is where the pool is (host, port, database), HN_POOL_CONN
// who connects and how (user, sslmode, certificate files); JSON, no password:
// pg reads PGPASSWORD and ~/.pgpass, as Terraform's pg backend does.
"use strict";
const crypto = require("crypto");
const fs = require("fs");
const os = require("os");

function fail(msg) {
  process.stderr.write(`hostnet: pool ${process.argv[2] || "commit"} of stack "${process.env.HN_POOL_OWNER}": ${msg}\n`);
  process.exit(1);
}

// The same mapping as clientOptions() in src/ipam/pg-connection.ts.
function clientOptions(t) {
  const read = (f) => fs.readFileSync(f.replace(/^~(?=\/)/, os.homedir()), "utf8");
  const base = { host: t.host, port: t.port, user: t.user, database: t.database, application_name: t.application_name };
  if (t.sslmode === "disable") return { ...base, ssl: false };
  const files = { ...(t.sslcert ? { cert: read(t.sslcert) } : {}), ...(t.sslkey ? { key: read(t.sslkey) } : {}) };
  if (t.sslmode === "require") return { ...base, ssl: { rejectUnauthorized: false, ...files } };
  const ca = read(t.sslrootcert || "~/.postgresql/root.crt");
  return { ...base, ssl: { rejectUnauthorized: true, ca, ...files, ...(t.sslmode === "verify-ca" ? { checkServerIdentity: () => undefined } : {}) } };
}

async function main() {
  const op = process.argv[2];
  const owner = process.env.HN_POOL_OWNER;
  const table = process.env.HN_POOL_TABLE;
  if (op !== "commit" && op !== "release-all") fail(`unknown operation "${op}"; use commit or release-all`);
  if (!owner) fail("HN_POOL_OWNER is empty");
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(table || "")) fail(`bad table name "${table}"`);
  let target;
  try {
    // Where (from the state) plus who and how (the current configuration).
    target = { ...JSON.parse(process.env.HN_POOL_TARGET || ""), ...JSON.parse(process.env.HN_POOL_CONN || "{}") };
  } catch (e) {
    fail(`HN_POOL_TARGET is not JSON (${e.message})`);
  }
  let claims = [];
  if (op === "commit") {
    const file = process.env.HN_POOL_FILE;
    let text;
    try {
      text = fs.readFileSync(file, "utf8");
    } catch (e) {
      fail(`cannot read ${file} (${e.message}); synthesize and deploy again`);
    }
    const hash = crypto.createHash("sha256").update(text).digest("hex").slice(0, 16);
    if (hash !== process.env.HN_POOL_SET) fail(`${file} is not the file this plan was made with (hash ${hash}, plan ${process.env.HN_POOL_SET}); synthesize and deploy again`);
    claims = JSON.parse(text).claims;
  }

  const { Client } = require("pg");
  const client = new Client({ connectionTimeoutMillis: 15000, ...clientOptions(target) });
  client.on("error", () => undefined);
  const where = `${target.user || "?"}@${target.host || "localhost"}:${target.port || 5432}/${target.database || target.user || "?"}`;
  try {
    await client.connect();
  } catch (e) {
    fail(`cannot connect to PostgreSQL at ${where} (${e.message}); nothing was freed. Run the deploy (or destroy) again when it is reachable.`);
  }
  try {
    await client.query("BEGIN");
    let freed;
    if (op === "commit") {
      // What this deploy runs holds its addresses, whatever another copy's synth or commit did meanwhile.
      await client.query(
        `INSERT INTO ${table} (pool, cidr, owner, holder, ip) SELECT p, c, $1, h, ip ` +
          `FROM unnest($2::text[], $3::text[], $4::text[], $5::text[]) AS u(p, c, h, ip) ON CONFLICT (pool, owner, holder) DO NOTHING`,
        [owner, claims.map((c) => c.pool), claims.map((c) => c.cidr), claims.map((c) => c.holder), claims.map((c) => c.ip)],
      );
      const wrong = (
        await client.query(
          `SELECT t.pool, t.holder, t.ip, u.ip AS deployed FROM ${table} t ` +
            `JOIN unnest($2::text[], $3::text[], $4::text[]) AS u(p, h, ip) ON t.pool = u.p AND t.holder = u.h WHERE t.owner = $1 AND t.ip <> u.ip`,
          [owner, claims.map((c) => c.pool), claims.map((c) => c.holder), claims.map((c) => c.ip)],
        )
      ).rows;
      if (wrong.length > 0) {
        const w = wrong[0];
        throw new Error(`${w.holder} is deployed with ${w.deployed} but holds ${w.ip} in pool "${w.pool}"; synthesize and deploy again`);
      }
      freed = (
        await client.query(
          `DELETE FROM ${table} t WHERE owner = $1 AND NOT EXISTS (SELECT 1 FROM unnest($2::text[], $3::text[]) AS u(p, h) WHERE t.pool = u.p AND t.holder = u.h) RETURNING pool, holder, ip`,
          [owner, claims.map((c) => c.pool), claims.map((c) => c.holder)],
        )
      ).rows;
    } else {
      const exists = (await client.query("SELECT to_regclass($1) IS NOT NULL AS e", [table])).rows[0].e;
      freed = exists ? (await client.query(`DELETE FROM ${table} WHERE owner = $1 RETURNING pool, holder, ip`, [owner])).rows : [];
    }
    await client.query("COMMIT");
    const list = freed.map((r) => `${r.ip} (${r.pool}: ${r.holder})`).join(", ");
    process.stdout.write(`hostnet: shared pool: stack "${owner}" ${op === "commit" ? `holds ${claims.length} address(es); ` : ""}freed ${freed.length}${list ? `: ${list}` : ""}\n`);
  } catch (e) {
    await client.query("ROLLBACK").catch(() => undefined);
    fail(`${e.message} (at ${where}); nothing was freed`);
  } finally {
    await client.end().catch(() => undefined);
  }
}

main().catch((e) => fail(e.message));
