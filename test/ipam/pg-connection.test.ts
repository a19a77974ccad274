import { clientOptions, defaultSchemaName, parsePgConnStr, stateIdentity } from "../../src/ipam/pg-connection";

describe("parsePgConnStr: a password in connStr is refused, in every form", () => {
  test.each([
    ["URL user:password", "postgres://hostnet:s3cret@db.example/hostnet", "in the URL"],
    ["URL password with escapes", "postgresql://hostnet:p%40ss@db.example:5433/hostnet?sslmode=require", "in the URL"],
    ["URL empty password", "postgres://hostnet:@db.example/hostnet", "in the URL"],
    ["URL password parameter", "postgres://hostnet@db.example/hostnet?password=s3cret", "in the URL"],
    ["key=value", "host=db.example user=hostnet password=s3cret dbname=hostnet", "password=..."],
    ["key=value quoted", "host=db.example password='s3 cr\\'et' dbname=hostnet", "password=..."],
    ["key=value spaces around =", "host=db.example password = s3cret", "password=..."],
  ])("%s", (_what, connStr, form) => {
    const r = parsePgConnStr(connStr);
    expect(r.connection).toBeUndefined();
    expect(r.problem).toBe(
      `connStr holds a password (${form === "in the URL" ? "in the URL" : "in password=..."}): it would be written to cdk.tf.json and .terraform/terraform.tfstate in clear. ` +
        "Remove it and set PGPASSWORD (or a line in ~/.pgpass, mode 0600) where synth and terraform run; Terraform's pg backend and the address pool both read them.",
    );
    expect(r.problem).not.toContain("s3cret");
  });
});

describe("parsePgConnStr: one explicit sslmode for Terraform and the pool", () => {
  test.each([
    // connStr, what Terraform gets, the target
    [
      "postgres://tf@db.example/hostnet",
      "postgres://tf@db.example/hostnet?sslmode=require",
      { host: "db.example", user: "tf", database: "hostnet", sslmode: "require" },
    ],
    [
      "postgres://tf@db.example:6432/hostnet?connect_timeout=5",
      "postgres://tf@db.example:6432/hostnet?connect_timeout=5&sslmode=require",
      { host: "db.example", port: 6432, user: "tf", database: "hostnet", sslmode: "require" },
    ],
    [
      "postgres://tf@127.0.0.1/h?sslmode=disable",
      "postgres://tf@127.0.0.1/h?sslmode=disable",
      { host: "127.0.0.1", user: "tf", database: "h", sslmode: "disable" },
    ],
    [
      "postgres://tf@[::1]:5433/h?sslmode=verify-full&sslrootcert=/ca.pem",
      "postgres://tf@[::1]:5433/h?sslmode=verify-full&sslrootcert=/ca.pem",
      { host: "::1", port: 5433, user: "tf", database: "h", sslmode: "verify-full", sslrootcert: "/ca.pem" },
    ],
    // A unix socket has no SSL in PostgreSQL.
    [
      "postgres://postgres@/postgres?host=%2Ftmp%2Fpg",
      "postgres://postgres@/postgres?host=%2Ftmp%2Fpg&sslmode=disable",
      { host: "/tmp/pg", user: "postgres", database: "postgres", sslmode: "disable" },
    ],
    [
      "host=db.example user=tf dbname=hostnet",
      "host=db.example user=tf dbname=hostnet sslmode=require",
      { host: "db.example", user: "tf", database: "hostnet", sslmode: "require" },
    ],
    [
      "host=/run/postgresql dbname=hostnet ",
      "host=/run/postgresql dbname=hostnet sslmode=disable",
      { host: "/run/postgresql", database: "hostnet", sslmode: "disable" },
    ],
    [
      "host='db.example' port=5433 sslmode=verify-ca sslrootcert=/ca.pem",
      "host='db.example' port=5433 sslmode=verify-ca sslrootcert=/ca.pem",
      { host: "db.example", port: 5433, sslmode: "verify-ca", sslrootcert: "/ca.pem" },
    ],
  ])("%s", (connStr, tf, target) => {
    expect(parsePgConnStr(connStr)).toEqual({ connection: { connStr: tf, target } });
  });

  test.each([
    ["postgres://tf@db.example/h?sslmode=prefer", "connStr has sslmode=prefer, which Terraform's pg backend does not support."],
    ["host=db.example sslmode=allow", "connStr has sslmode=allow, which Terraform's pg backend does not support."],
    ["postgres://tf@db.example:99999/h", 'connStr has port "99999"; use a number from 1 to 65535.'],
    ["", "connStr is empty."],
    ["host=db.example 'oops", "connStr is neither a postgres:// URL nor key=value pairs libpq understands"],
  ])("%s is refused", (connStr, start) => {
    expect(parsePgConnStr(connStr).problem).toContain(start);
  });

  test("the pool's client options follow the same sslmode", () => {
    const opts = (s: string) => clientOptions(parsePgConnStr(s).connection!.target).ssl;
    expect(opts("postgres://tf@db.example/h")).toEqual({ rejectUnauthorized: false });
    expect(opts("postgres://tf@db.example/h?sslmode=disable")).toBe(false);
    expect(opts("postgres://postgres@/postgres?host=%2Ftmp")).toBe(false);
  });

  test("the shipped provisioner script builds the same client options", () => {
    const src = require("fs").readFileSync(require("path").join(__dirname, "../../bin/hostnet-pool-commit.js"), "utf8") as string;
    const body = (text: string) => /function clientOptions\(t\)[^{]*\{([\s\S]*?)\n\}/.exec(text)![1];
    const js = new Function("fs", "os", `return function (t) {${body(src)}\n}`)(require("fs"), require("os"));
    for (const s of ["postgres://tf@db.example:5433/h?application_name=x", "host=/tmp dbname=h", "postgres://tf@db.example/h?sslmode=disable"]) {
      const t = parsePgConnStr(s).connection!.target;
      expect(js(t)).toEqual(clientOptions(t));
    }
  });
});

describe("defaultSchemaName: one plain PostgreSQL identifier per stack name", () => {
  test.each([
    ["pgs", "hostnet_pgs"],
    ["team_a", "hostnet_team_a"],
    ["web-1", "hostnet_web_1_1c5b1b3a"],
    ["Web", "hostnet_web_fa0c4b87"],
  ])("%s → %s", (stack, schema) => {
    expect(defaultSchemaName(stack).replace(/_[0-9a-f]{8}$/, "_HASH")).toBe(schema.replace(/_[0-9a-f]{8}$/, "_HASH"));
  });

  test("names that map to the same characters get different schemas; long names fit in 63 bytes", () => {
    expect(defaultSchemaName("web-1")).not.toBe(defaultSchemaName("web_1"));
    expect(defaultSchemaName("Web")).not.toBe(defaultSchemaName("web"));
    const long = defaultSchemaName("x".repeat(63));
    expect(long).toMatch(/^hostnet_x+_[0-9a-f]{8}$/);
    expect(long.length).toBe(63);
    expect(defaultSchemaName("X".repeat(63))).not.toBe(long);
  });

  test("the state identity ignores the user (engineers share a state) and differs per schema", () => {
    const t = (s: string) => parsePgConnStr(s).connection!.target;
    expect(stateIdentity(t("postgres://alice@db/h"), "hostnet_a")).toBe(stateIdentity(t("postgres://bob@db/h?sslmode=verify-full"), "hostnet_a"));
    expect(stateIdentity(t("postgres://alice@db/h"), "hostnet_a")).not.toBe(stateIdentity(t("postgres://alice@db/h"), "hostnet_b"));
    expect(stateIdentity(t("postgres://alice@db/h"), "hostnet_a")).toMatch(/^[0-9a-f]{16}$/);
  });
});
