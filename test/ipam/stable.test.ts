import { formatIp4, parseIp4 } from "../../src/ipam/ipv4";
import { AddressPool } from "../../src/ipam/pool";
import { AddressRequest, assignLate, Assignment, assignStable } from "../../src/ipam/stable";

const show = (a: Assignment) => ("ip" in a ? formatIp4(a.ip) : `error: ${a.error}`);
const rec = (o: Record<string, string>) => new Map(Object.entries(o).map(([k, v]) => [k, parseIp4(v)]));
const ask = (key: string, explicit?: string): AddressRequest => ({ key, holder: key, explicit });

describe("assignStable", () => {
  test.each<[string, Record<string, string>, AddressRequest[], string[]]>([
    ["no records: lowest free first, in request order", {}, [ask("web"), ask("db"), ask("cache")], ["10.0.0.2", "10.0.0.3", "10.0.0.4"]],
    ["records win over request order", { web: "10.0.0.4", db: "10.0.0.2" }, [ask("web"), ask("db")], ["10.0.0.4", "10.0.0.2"]],
    ["an inserted holder takes the lowest free address, the others keep theirs", { web: "10.0.0.2", db: "10.0.0.3" }, [ask("web"), ask("api"), ask("db")], ["10.0.0.2", "10.0.0.4", "10.0.0.3"]],
    ["a removed holder's address is free again and reused lowest first", { web: "10.0.0.2", gone: "10.0.0.3", db: "10.0.0.4" }, [ask("web"), ask("db"), ask("new")], ["10.0.0.2", "10.0.0.4", "10.0.0.3"]],
    ["an explicit address wins over a record; the recorded holder moves", { web: "10.0.0.2" }, [ask("web"), ask("db", "10.0.0.2")], ["10.0.0.3", "10.0.0.2"]],
    ["an explicit address declared late still beats an allocation declared early", {}, [ask("web"), ask("db", "10.0.0.2")], ["10.0.0.3", "10.0.0.2"]],
    ["a record that became the gateway moves its holder", { web: "10.0.0.1" }, [ask("web")], ["10.0.0.2"]],
    ["a record that became the broadcast address (subnet shrunk) moves its holder", { web: "10.0.0.7" }, [ask("web")], ["10.0.0.2"]],
    ["anonymous requests are never matched to records", { web: "10.0.0.2" }, [{ holder: "x" }, ask("web")], ["10.0.0.3", "10.0.0.2"]],
    ["two explicit asks for one address: the second fails naming both", {}, [ask("a", "10.0.0.5"), ask("b", "10.0.0.5")], ["10.0.0.5", "error: address 10.0.0.5 is assigned twice: to a and to b. Give one of them another address."]],
  ])("%s", (_name, records, requests, expected) => {
    expect(assignStable(new AddressPool("10.0.0.0/29"), rec(records), requests).map(show)).toEqual(expected);
  });

  test("exhaustion is reported for the new holder, never for a recorded one", () => {
    const got = assignStable(new AddressPool("192.0.2.0/30"), rec({ old: "192.0.2.2" }), [ask("new"), ask("old")]).map(show);
    expect(got).toEqual(["error: subnet 192.0.2.0/30 is exhausted: all 2 usable addresses are taken (asked by new). Use a larger subnet or free an address.", "192.0.2.2"]);
  });
});

describe("assignLate", () => {
  test("a late ask gets its record when free, else the lowest free address", () => {
    const pool = new AddressPool("10.0.0.0/29");
    const records = rec({ a: "10.0.0.5", b: "10.0.0.2" });
    assignStable(pool, records, [ask("x", "10.0.0.2")]);
    expect(show(assignLate(pool, records, ask("a")))).toBe("10.0.0.5");
    expect(show(assignLate(pool, records, ask("b")))).toBe("10.0.0.3");
    expect(show(assignLate(pool, records, ask("c", "10.0.0.5")))).toBe("error: address 10.0.0.5 is assigned twice: to a and to c. Give one of them another address.");
  });
});
