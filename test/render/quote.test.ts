import { execFileSync, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { argv, commentSafe, shq } from "../../src/render/quote";
import { wordsSeenByShell } from "../support/fake-host";

describe("shq leaves shell-safe words bare", () => {
  test.each([
    "eth0",
    "br-lan",
    "10.88.0.1/24",
    "hostnet:s:s/a/br-lan",
    "net.ipv4.ip_forward=1",
    "RELATED,ESTABLISHED",
    "user@host",
    "50%",
    "a+b",
    "/run/hostnet/s/0123456789ab.down",
    "-n",
    "--",
  ])("%s", (word) => {
    expect(shq(word)).toBe(word);
  });

  test.each([
    [1500, "1500"],
    [0, "0"],
    [-1, "-1"],
  ])("the number %p becomes %s", (n, want) => {
    expect(shq(n)).toBe(want);
  });
});

describe("shq single-quotes everything else", () => {
  test.each([
    ["", "''"],
    ["a b", "'a b'"],
    ["it's", `'it'\\''s'`],
    ["''", `''\\'''\\'''`],
    ["$(id)", "'$(id)'"],
    ["`id`", "'`id`'"],
    ["$HOME", "'$HOME'"],
    ["${x}", "'${x}'"],
    ["a;b", "'a;b'"],
    ["a&&b", "'a&&b'"],
    ["a|b", "'a|b'"],
    ["a>b", "'a>b'"],
    ["a\nb", "'a\nb'"],
    ["tab\there", "'tab\there'"],
    ["*", "'*'"],
    ["?", "'?'"],
    ["[a]", "'[a]'"],
    ["{a,b}", "'{a,b}'"],
    ["~root", "'~root'"],
    ["!", "'!'"],
    ["#x", "'#x'"],
    ["back\\slash", "'back\\slash'"],
    ["é", "'é'"],
    ["-rf *", "'-rf *'"],
  ])("%j becomes %s", (value, want) => {
    expect(shq(value)).toBe(want);
  });
});

// Values an attacker or a typo could produce. Each must reach a real shell as the same bytes.
const HOSTILE = [
  "",
  " ",
  "a b",
  "  two  spaces  ",
  "it's",
  "'",
  "''",
  '"',
  "'\"'\"'",
  "$(touch pwned)",
  "`touch pwned`",
  "${IFS}",
  "$HOME",
  "$",
  "$$",
  "a;touch pwned",
  "a && touch pwned",
  "a || touch pwned",
  "a | tee pwned",
  "a > pwned",
  "a < /etc/passwd",
  "line1\nline2",
  "\ntouch pwned\n",
  "trailing newline\n",
  "\r\n",
  "tab\tx",
  "*",
  "/*",
  "?",
  "[a-z]*",
  "{a,b}",
  "~",
  "~root/x",
  "-rf",
  "--help",
  "-",
  "!",
  "!!",
  "#comment",
  "a#b",
  "\\",
  "\\n",
  "%s%n",
  "é",
  "日本語",
  "emoji 🦀",
  "\u200b zero width",
  "\x01\x02\x7f",
  "'; touch pwned; echo '",
  "x'$(touch pwned)'y",
];

describe.each(["/bin/sh", "/bin/bash"])("a quoted value reaches %s unchanged and inert", (shell) => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "hostnet-quote-"));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  test.each(HOSTILE.map((v) => [v]))("%j", (value) => {
    const out = execFileSync(shell, ["-c", `printf '%s\\n' ${shq(value)}`], { cwd: dir });
    expect(out.equals(Buffer.from(`${value}\n`, "utf8"))).toBe(true);
    // Nothing in the value ran: no file was created, not even by a redirection.
    expect(fs.readdirSync(dir)).toEqual([]);
  });

  test("argv of all hostile values arrives as exactly those words", () => {
    expect(wordsSeenByShell(argv(...HOSTILE), shell)).toEqual(HOSTILE);
    expect(fs.readdirSync(dir)).toEqual([]);
  });
});

describe("argv", () => {
  test.each([
    [["ip", "link", "add", "name", "br0", "type", "bridge"], "ip link add name br0 type bridge"],
    [["ip", "-n", "web", "addr", "replace", "10.0.0.2/24", "dev", "eth0"], "ip -n web addr replace 10.0.0.2/24 dev eth0"],
    [["iptables", "-s", "10.0.0.0/24", "!", "-o", "br0"], "iptables -s 10.0.0.0/24 '!' -o br0"],
    [["echo", "a b", "", "c"], "echo 'a b' '' c"],
    [["ip", "link", "set", "mtu", 9000], "ip link set mtu 9000"],
  ])("%j is %s", (words, want) => {
    expect(argv(...words)).toBe(want);
  });

  test("an empty word stays a word", () => {
    expect(wordsSeenByShell(argv("a", "", "b"))).toEqual(["a", "", "b"]);
  });
});

describe("NUL cannot be quoted", () => {
  test.each(["\0", "a\0b", "eth0\0"])("shq(%j) throws", (v) => {
    expect(() => shq(v)).toThrow(/holds a NUL byte, which no shell command can carry/);
  });

  test("argv throws when any word holds a NUL", () => {
    expect(() => argv("ip", "link", "a\0b")).toThrow(/NUL/);
  });
});

describe("commentSafe", () => {
  test.each([
    ["plain text", "plain text"],
    ["s/a/br-lan", "s/a/br-lan"],
    ["é 日本", "é 日本"],
    ["#hash", "#hash"],
    ["a\nb", "a?b"],
    ["a\r\nb", "a??b"],
    ["\x1b[31mred", "?[31mred"],
    ["nul\0", "nul?"],
    ["del\x7f", "del?"],
    ["nel\u0085", "nel?"],
    ["ls\u2028ps\u2029", "ls?ps?"],
    ["tab\t", "tab?"],
  ])("%j becomes %j", (text, want) => {
    expect(commentSafe(text)).toBe(want);
  });

  test("a comment built from hostile text stays one comment line", () => {
    const script = `# ${commentSafe("x\nexit 7\r\nexit 8\u2028exit 9")}\nexit 3`;
    expect(spawnSync("/bin/sh", ["-c", script]).status).toBe(3);
  });
});
