import { formatIp, parseAnyIp } from "../../src/ipam/ip";
import { ipPool } from "../../src/ipam/pool6";
import { AddressRequest, Assignment, StableAllocator } from "../../src/ipam/stable";

const show = (a: Assignment) => ("ip" in a ? formatIp(a.ip > 0xffffffffn ? 6 : 4, a.ip) : `error: ${a.error}`);
const rec = (o: Record<string, string>) => new Map(Object.entries(o).map(([k, v]) => [k, parseAnyIp(v).value]));
const ask = (key: string, explicit?: string): AddressRequest => ({ key, holder: key, explicit });
const assign = (cidr: string, records: Record<string, string>, requests: AddressRequest[]) =>
  new StableAllocator(ipPool(cidr), rec(records)).assign(requests).map(show);

describe("StableAllocator.assign", () => {
  test.each<[string, Record<string, string>, AddressRequest[], string[]]>([
    ["no records: lowest free first, in request order", {}, [ask("web"), ask("db"), ask("cache")], ["10.0.0.2", "10.0.0.3", "10.0.0.4"]],
    ["records win over request order", { web: "10.0.0.4", db: "10.0.0.2" }, [ask("web"), ask("db")], ["10.0.0.4", "10.0.0.2"]],
    [
      "an inserted holder takes the lowest free address, the others keep theirs",
      { web: "10.0.0.2", db: "10.0.0.3" },
      [ask("web"), ask("api"), ask("db")],
      ["10.0.0.2", "10.0.0.4", "10.0.0.3"],
    ],
    [
      "a vanished holder's address is held back in the synth that drops it; a newcomer takes another",
      { web: "10.0.0.2", gone: "10.0.0.3", db: "10.0.0.4" },
      [ask("web"), ask("db"), ask("new")],
      ["10.0.0.2", "10.0.0.4", "10.0.0.5"],
    ],
    [
      "once the lock no longer records it, the freed address is reused lowest first",
      { web: "10.0.0.2", db: "10.0.0.4" },
      [ask("web"), ask("db"), ask("new")],
      ["10.0.0.2", "10.0.0.4", "10.0.0.3"],
    ],
    [
      "an explicit address wins over a record; the recorded holder moves",
      { web: "10.0.0.2" },
      [ask("web"), ask("db", "10.0.0.2")],
      ["10.0.0.3", "10.0.0.2"],
    ],
    ["an explicit address wins over an address held back for a vanished holder", { gone: "10.0.0.2" }, [ask("db", "10.0.0.2")], ["10.0.0.2"]],
    ["an explicit address declared late still beats an allocation declared early", {}, [ask("web"), ask("db", "10.0.0.2")], ["10.0.0.3", "10.0.0.2"]],
    ["a record that became the gateway moves its holder", { web: "10.0.0.1" }, [ask("web")], ["10.0.0.2"]],
    ["a record that became the broadcast address (subnet shrunk) moves its holder", { web: "10.0.0.7" }, [ask("web")], ["10.0.0.2"]],
    ["anonymous requests are never matched to records", { web: "10.0.0.2" }, [{ holder: "x" }, ask("web")], ["10.0.0.3", "10.0.0.2"]],
    [
      "two explicit asks for one address: the second fails naming both",
      {},
      [ask("a", "10.0.0.5"), ask("b", "10.0.0.5")],
      ["10.0.0.5", "error: address 10.0.0.5 is assigned twice: to a and to b. Give one of them another address."],
    ],
  ])("%s", (_name, records, requests, expected) => {
    expect(assign("10.0.0.0/29", records, requests)).toEqual(expected);
  });

  test("exhaustion is reported for the new holder, never for a recorded one", () => {
    expect(assign("192.0.2.0/30", { old: "192.0.2.2" }, [ask("new"), ask("old")])).toEqual([
      "error: subnet 192.0.2.0/30 is exhausted: all 2 usable addresses are taken (asked by new). Use a larger subnet or free an address.",
      "192.0.2.2",
    ]);
  });

  test("a subnet that would be exhausted takes back a held address, lowest first", () => {
    expect(
      assign("192.0.2.0/29", { g1: "192.0.2.6", g2: "192.0.2.5", a: "192.0.2.2", b: "192.0.2.3", c: "192.0.2.4" }, [
        ask("a"),
        ask("b"),
        ask("c"),
        ask("n1"),
        ask("n2"),
      ]),
    ).toEqual(["192.0.2.2", "192.0.2.3", "192.0.2.4", "192.0.2.5", "192.0.2.6"]);
  });
});

describe("StableAllocator.late (an address read before every holder asked)", () => {
  test("holders asking after an early read still get their records; newcomers never take them", () => {
    const alloc = new StableAllocator(ipPool("10.0.0.0/29"), rec({ a: "10.0.0.2", b: "10.0.0.3" }));
    expect(alloc.assign([ask("new")]).map(show)).toEqual(["10.0.0.4"]);
    expect(show(alloc.late(ask("b")))).toBe("10.0.0.3");
    expect(show(alloc.late(ask("a")))).toBe("10.0.0.2");
    expect(show(alloc.late(ask("c")))).toBe("10.0.0.5");
  });

  test("a late explicit address wins over a held one and fails on a claimed one, naming both", () => {
    const alloc = new StableAllocator(ipPool("10.0.0.0/29"), rec({ a: "10.0.0.5", b: "10.0.0.2" }));
    alloc.assign([ask("x", "10.0.0.2")]);
    expect(show(alloc.late(ask("c", "10.0.0.5")))).toBe("10.0.0.5");
    expect(show(alloc.late(ask("a")))).toBe("10.0.0.3");
    expect(show(alloc.late(ask("d", "10.0.0.2")))).toBe(
      "error: address 10.0.0.2 is assigned twice: to x and to d. Give one of them another address.",
    );
  });
});
