import { Aspects, Testing } from "cdktf";
import { Construct, IConstruct } from "constructs";
import { Bridge, Namespace, synthOrExit, validateStack } from "../../constructs";
import { addProblems, stackProblems } from "../../constructs/problems";
import { newHost, newStack } from "../support/stacks";

describe("validation problems are data; the construct path is added once", () => {
  test("a construct's own problem carries its path as a field", () => {
    const { stack } = newStack();
    new Bridge(newHost(stack), "br", { name: "very-long-name-x" });
    expect(stackProblems(stack)).toEqual([
      { path: "s/a/br", message: `interface name "very-long-name-x" is 16 bytes; Linux allows 15. Set props.name or shorten the construct id.` },
    ]);
  });

  test("a Host reports a clash between its objects as a problem of the later object", () => {
    const { stack } = newStack();
    const a = newHost(stack);
    new Namespace(a, "one", { name: "web" });
    new Namespace(a, "two", { name: "web" });
    expect(stackProblems(stack)).toEqual([
      { path: "s/a/two", message: `namespace name "web" is also used by s/a/one on this host. Give one of them another name (props.name).` },
    ]);
  });

  test("a validation hostnet did not write gets the path of the construct that reported it, even when its text starts like a path", () => {
    const { stack } = newStack();
    const a = newHost(stack);
    new Construct(a, "other").node.addValidation({ validate: () => ["s/elsewhere: looks like a path"] });
    expect(validateStack(stack)).toEqual(["s/a/other: s/elsewhere: looks like a path"]);
  });

  test("cdktf's own synth sees the same problems, one line each", () => {
    const { stack } = newStack();
    const c = new Construct(newHost(stack), "x");
    addProblems(c, () => ["first.", { path: "s/a", message: "about the host." }]);
    expect(validateStack(stack)).toEqual(["s/a/x: first.", "s/a: about the host."]);
    expect(() => Testing.synth(stack, true)).toThrow(/\[s\/a\/x\] s\/a\/x: first\.\n\s+\[s\/a\/x\] s\/a: about the host\./);
  });

  test("a second copy of the module (jest.isolateModules, two installs) collects the same problems with one path each", () => {
    const { stack } = newStack();
    new Bridge(newHost(stack), "br", { name: "very-long-name-x" });
    let other: typeof import("../../constructs/problems") | undefined;
    jest.isolateModules(() => {
      other = require("../../constructs/problems");
    });
    expect(other!.stackProblems).not.toBe(stackProblems);
    expect(other!.stackProblems(stack)).toEqual(stackProblems(stack));
    expect(other!.stackProblems(stack)).toEqual([
      { path: "s/a/br", message: `interface name "very-long-name-x" is 16 bytes; Linux allows 15. Set props.name or shorten the construct id.` },
    ]);
  });
});

describe("synthOrExit runs hostnet's checks once", () => {
  const counted = (stack: IConstruct) => {
    const calls = { n: 0 };
    addProblems(new Construct(newHost(stack as never), "x"), () => (calls.n++, []));
    return calls;
  };

  test("cdktf's synth does not run them again for a stack that has not changed since they passed", () => {
    const { app, stack } = newStack();
    const calls = counted(stack);
    synthOrExit(app);
    expect(calls.n).toBe(1);
    // app.synth() on its own (no check before it) still runs them, through cdktf's validation.
    app.synth();
    expect(calls.n).toBe(2);
  });

  test("a stack an aspect adds constructs to during synth is checked again in full: a bad object it adds fails the synth", () => {
    const { app, stack } = newStack();
    const calls = counted(stack);
    const host = stack.node.findChild("a");
    let added = false;
    Aspects.of(stack).add({
      visit: () => {
        if (added) return;
        added = true;
        new Bridge(host as never, "late", { name: "very-long-name-x" });
      },
    });
    expect(() => synthOrExit(app)).toThrow(/s\/a\/late: interface name "very-long-name-x" is 16 bytes/);
    expect(calls.n).toBe(2);
  });
});
