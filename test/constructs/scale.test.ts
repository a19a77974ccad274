import { DataResource, TerraformStack, Testing } from "cdktf";
import { Namespace } from "../../constructs";
import { newHost, newStack, synthJson } from "../support/stacks";
// The module object itself (not an import namespace), so spies replace what cdktf calls.
import childProcess = require("child_process");

// cdktf's own DataResource adds a validation that runs `terraform version` per
// resource; hostnet's hook resource must not, or a big stack takes minutes to synth.
describe("synthesizing 1,000 namespaces", () => {
  const calls: string[] = [];
  const spies: jest.SpyInstance[] = [];

  beforeEach(() => {
    calls.length = 0;
    for (const fn of ["spawn", "spawnSync", "exec", "execSync", "execFile", "execFileSync", "fork"] as const) {
      spies.push(
        jest.spyOn(childProcess, fn).mockImplementation(((...args: unknown[]) => {
          calls.push(`${fn} ${JSON.stringify(args[0])}`);
          throw new Error(`unexpected child process: ${fn} ${String(args[0])}`);
        }) as never),
      );
    }
  });

  afterEach(() => {
    for (const s of spies.splice(0)) s.mockRestore();
  });

  test("the spies see cdktf's own terraform_data resource ask terraform for its version", () => {
    const stack = new TerraformStack(Testing.app(), "control");
    new DataResource(stack, "d", {});
    try {
      Testing.synth(stack, true);
    } catch {
      // The validation reports the failed spawn; only the attempt matters here.
    }
    expect(calls.some((c) => c.includes("terraform"))).toBe(true);
  });

  test("validates and synthesizes without starting any process", () => {
    const { app, stack } = newStack();
    const host = newHost(stack);
    for (let i = 0; i < 1000; i++) new Namespace(host, `ns${i}`);
    const json = synthJson(stack);
    expect(() => Testing.synth(stack, true)).not.toThrow();
    app.synth();
    expect(calls).toEqual([]);
    expect(Object.keys(json.resource.terraform_data)).toHaveLength(1002);
  }, 120_000);
});
