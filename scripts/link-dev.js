#!/usr/bin/env node
// Run by `npm install` in this repository (the "prepare" script): links
// node_modules/hostnet to constructs/, so the examples import from "hostnet"
// exactly as a user's project does and run from the sources (their app command,
// `node -r sucrase/register/ts main.ts`, loads the .ts files).
// (tsc resolves "hostnet" through tsconfig.json "paths", jest through
// moduleNameMapper; this link is for code that runs outside both.)
"use strict";
const fs = require("fs");
const path = require("path");

const root = path.resolve(__dirname, "..");
const link = path.join(root, "node_modules", "hostnet");
const target = path.join("..", "constructs");
if (!fs.existsSync(path.join(root, "constructs"))) process.exit(0); // an installed package, not the repository
let current;
try {
  current = fs.readlinkSync(link);
} catch {
  current = undefined;
}
if (current !== target) {
  fs.mkdirSync(path.dirname(link), { recursive: true });
  fs.rmSync(link, { recursive: true, force: true });
  fs.symlinkSync(target, link, "dir");
}
