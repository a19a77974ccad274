import { newStack, synthJson } from "../support/stacks";

describe("HostnetStack pgBackend", () => {
  test("selects Terraform's built-in pg backend with the given connection and schema", () => {
    const { stack } = newStack({ pgBackend: { connStr: "postgres://tf@db.example/hostnet", schemaName: "lab_state" } });
    expect(synthJson(stack).terraform.backend).toEqual({ pg: { conn_str: "postgres://tf@db.example/hostnet", schema_name: "lab_state" } });
  });

  test("without it the state stays local and no backend is written", () => {
    const { stack } = newStack();
    expect(synthJson(stack).terraform?.backend).toBeUndefined();
  });
});
