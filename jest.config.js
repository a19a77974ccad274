// Two projects: unit (pure code and synth, fast, parallel) and integration
// (real test hosts, sshd, iptables, terraform; run in band).
const base = {
  preset: "ts-jest",
  testEnvironment: "node",
  transform: { "^.+\\.ts$": ["ts-jest", {}] },
  modulePathIgnorePatterns: ["<rootDir>/dist/", "cdktf.out"],
  // The examples import from "hostnet" as a user's project does; here that is the sources.
  moduleNameMapper: { "^hostnet$": "<rootDir>/constructs/index.ts" },
};
module.exports = {
  projects: [
    { ...base, displayName: "unit", testMatch: ["<rootDir>/test/**/*.test.ts"], testPathIgnorePatterns: ["/test/integration/"] },
    { ...base, displayName: "integration", testMatch: ["<rootDir>/test/integration/**/*.test.ts"] },
  ],
};
