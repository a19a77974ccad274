// The default app's topology is the bridge-nat example's, written as a user writes it.
export * from "../examples/bridge-nat/topology";
