import { parseHostCheck, renderCheckBatch } from "../../src/drift/check";
import { ObjectManifest } from "../../src/plan/manifest";
import { failureReason, unreachableLines } from "../../src/cli/drift";

const obj = (id: string, extra: Partial<ObjectManifest>): ObjectManifest => ({
  path: `s/a/${id}`,
  id,
  tag: `hostnet:s:s/a/${id}`,
  kind: "bridge",
  name: id,
  resource: `terraform_data.${id}`,
  ...extra,
});
const OBJECTS = [
  obj("aa01", { checks: ["echo x"] }),
  obj("aa02", { checks: ["echo y"] }),
  obj("aa03", { notChecked: "a tc filter has no readable identity" }),
  obj("aa04", { checks: ["echo z"] }),
];

describe("renderCheckBatch", () => {
  test("the host-wide probe runs first under its own marker; objects without a probe are left out", () => {
    expect(renderCheckBatch(OBJECTS, ["command -v iptables >/dev/null || echo gone"]).split("\n")).toEqual([
      "# hostnet check: read-only",
      "set -u",
      "echo '@@hostnet-check host'",
      "(",
      "  command -v iptables >/dev/null || echo gone",
      ")",
      "echo '@@hostnet-check aa01'",
      "{",
      "  echo x",
      "}",
      "echo '@@hostnet-check aa02'",
      "{",
      "  echo y",
      "}",
      "echo '@@hostnet-check aa04'",
      "{",
      "  echo z",
      "}",
      "echo '@@hostnet-check end'",
    ]);
  });
});

describe("parseHostCheck", () => {
  const out = [
    "@@hostnet-check host",
    "iptables-legacy: the filter FORWARD policy DROP drops traffic this stack forwards (from 10.0.0.0/24)",
    "warning: iptables-legacy has 3 rule(s) beside the rules hostnet writes with iptables-nft",
    "@@hostnet-check aa01",
    "@@hostnet-check aa02",
    "bridge aa02 is missing in the root namespace",
    "@@hostnet-check aa04",
    "? iptables is missing on the host",
    "@@hostnet-check end",
    "",
  ].join("\n");

  test("host problems and warnings apart; drift per object; unchecked objects with their reason", () => {
    const r = parseHostCheck(out, OBJECTS);
    expect(r.problems).toEqual(["iptables-legacy: the filter FORWARD policy DROP drops traffic this stack forwards (from 10.0.0.0/24)"]);
    expect(r.warnings).toEqual(["iptables-legacy has 3 rule(s) beside the rules hostnet writes with iptables-nft"]);
    expect(r.objects.map((d) => [d.object.path, d.checked, d.problems, d.reason])).toEqual([
      ["s/a/aa01", true, [], undefined],
      ["s/a/aa02", true, ["bridge aa02 is missing in the root namespace"], undefined],
      ["s/a/aa03", false, [], "a tc filter has no readable identity"],
      ["s/a/aa04", false, [], "iptables is missing on the host"],
    ]);
  });

  test("a cut session is an error, not a clean bill", () => {
    expect(() => parseHostCheck("@@hostnet-check aa01\n", OBJECTS)).toThrow("did not finish");
  });
});

describe("why a host could not be checked", () => {
  const TRAILER = "hostnet: check of s/a failed on root@198.18.0.10:22 (exit 255); the output above is from the host";
  test.each([
    [
      "a changed host key: ssh's own words, not the transport's trailer",
      "@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@\n@    WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!     @\nHost key verification failed.\n" +
        TRAILER +
        "\n",
      255,
      [
        "host a (198.18.0.10): unreachable: @@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@",
        "    @    WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!     @",
        "    Host key verification failed.",
      ],
    ],
    [
      "refused",
      "ssh: connect to host 198.18.0.10 port 22: Connection refused\n" + TRAILER,
      255,
      ["host a (198.18.0.10): unreachable: ssh: connect to host 198.18.0.10 port 22: Connection refused"],
    ],
    ["nothing but the trailer", TRAILER, 255, ["host a (198.18.0.10): unreachable: ssh exited 255 and printed nothing"]],
    [
      "the script failed on the host",
      "sh: 3: syntax error\n",
      2,
      ["host a (198.18.0.10): the check failed on the host (exit 2): sh: 3: syntax error"],
    ],
  ])("%s", (_what, stderr, exitCode, want) => {
    expect(unreachableLines({ name: "a", address: "198.18.0.10" }, { stderr, exitCode }, "check")).toEqual(want);
    expect(unreachableLines({ name: "a", address: "198.18.0.10" }, { stderr, exitCode }, "check").join("\n")).not.toContain("output above");
  });

  test("failureReason keeps every line of ssh's reason", () => {
    expect(failureReason("a\n\nb\n", 255)).toEqual(["a", "b"]);
  });
});
