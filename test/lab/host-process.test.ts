import { isSshdWithConfig, mountinfoHasLabTmpfs } from "../../src/lab/host-process";

describe("recognizing a test host's mount namespace", () => {
  const rootBind = "500 28 254:0 /run/netns /run/netns rw,relatime shared:5 - ext4 /dev/vda rw";
  const labTmpfs = "612 500 0:70 / /run/netns rw,relatime - tmpfs hostnet-lab rw,mode=755";
  const otherTmpfs = "613 500 0:71 / /run/netns rw,relatime - tmpfs tmpfs rw";

  test.each([
    ["the lab's tmpfs on top", [rootBind, labTmpfs], true],
    ["only the root's bind mount (plain ip netns exec)", [rootBind], false],
    ["another tmpfs on top of the lab's", [labTmpfs, otherTmpfs], false],
    ["no mount on /run/netns", ["1 0 0:1 / / rw - ext4 /dev/vda rw"], false],
    ["the lab's tmpfs elsewhere", ["612 500 0:70 / /run/hostnet rw - tmpfs hostnet-lab rw"], false],
  ])("%s: %s", (_, lines, want) => {
    expect(mountinfoHasLabTmpfs((lines as string[]).join("\n") + "\n", "/run/netns")).toBe(want);
  });
});

describe("recognizing a host's sshd", () => {
  const config = "/l/lab/hosts/a/sshd_config";
  test.each([
    ["argv as started", ["/usr/sbin/sshd", "-f", config, "-E", "/l/lab/hosts/a/sshd.log"], true],
    ["argv rewritten by sshd", [`sshd: /usr/sbin/sshd -f ${config} -E /l/lab/hosts/a/sshd.log [listener] 0 of 200-400 startups`], true],
    ["config as the last word", ["/usr/sbin/sshd", "-f", config], true],
    ["another host's sshd", ["/usr/sbin/sshd", "-f", "/l/lab/hosts/b/sshd_config"], false],
    ["a config path that only starts the same", ["/usr/sbin/sshd", "-f", `${config}.bak`], false],
    ["a session process", ["sshd: root@notty"], false],
    ["an editor on the config", ["vi", "-f", config], false],
  ])("%s: %s", (_, argv, want) => {
    expect(isSshdWithConfig(argv as string[], config)).toBe(want);
  });
});
