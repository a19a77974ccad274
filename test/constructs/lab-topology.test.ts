import { labTopology } from "../../stacks/lab-topology";
import { newHost, newStack, synthJson } from "../support/stacks";

// The whole synthesized plan of the example topology, once per resource type:
// a change to any script, name, address or dependency shows up here for review.
describe.each(["terraform_data", "null_resource"] as const)("the lab topology synthesized with %s", (resourceType) => {
  test("matches the reviewed plan", () => {
    const { stack } = newStack({ resourceType });
    labTopology(newHost(stack));
    expect(synthJson(stack)).toMatchSnapshot();
  });
});
