import { labTopology } from "../../stacks/lab-topology";
import { synthFiles } from "../support/scripts";
import { newHost, newStack } from "../support/stacks";

// The whole synthesized plan of the example topology, once per resource type:
// a change to any script, name, address or dependency shows up here for review.
// The scripts and the transport are files beside cdk.tf.json (Terraform's values
// hold the scripts' hashes): the snapshot holds them by file name.
describe.each(["terraform_data", "null_resource"] as const)("the lab topology synthesized with %s", (resourceType) => {
  test("matches the reviewed plan", () => {
    const { stack } = newStack({ resourceType });
    labTopology(newHost(stack));
    const { json, files } = synthFiles(stack);
    expect({ "cdk.tf.json": json, ...files }).toMatchSnapshot();
  });
});
